// Issue 6: the statistics, sizes and CPU description behind `hx bench`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatBytes, mbPerSec, median, parseSize, summarize } from '../../dist/bench/stats.js';
import { parseCpuinfo } from '../../dist/bench/system.js';

test('median: odd and even counts, unsorted input, input untouched', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  const xs = [5, 4, 3];
  median(xs);
  assert.equal(xs, [5, 4, 3]);
  assert.throws(() => median([]), RangeError);
});

test('summarize: spread, stddev, one sample', () => {
  const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.is(s.median, 4.5);
  assert.is(s.min, 2);
  assert.is(s.max, 9);
  assert.is(s.mean, 5);
  assert.ok(Math.abs(s.stddev - Math.sqrt(32 / 7)) < 1e-12);
  assert.ok(Math.abs(s.spreadPct - (7 / 4.5) * 100) < 1e-9);
  const one = summarize([0.25]);
  assert.is(one.stddev, 0);
  assert.is(one.spreadPct, 0);
  assert.equal(one.samples, [0.25]);
});

test('mbPerSec is 10^6 bytes per second', () => {
  assert.is(mbPerSec(250e6, 0.5), 500);
  assert.is(mbPerSec(1, 0), 0);
});

test('parseSize: binary units, decimals, rejects junk and zero', () => {
  assert.is(parseSize('128M'), 128 * 1024 * 1024);
  assert.is(parseSize('1.5G'), 1.5 * 1024 ** 3);
  assert.is(parseSize('64k'), 65536);
  assert.is(parseSize('2MiB'), 2 * 1024 * 1024);
  assert.is(parseSize('4096'), 4096);
  assert.is(parseSize('1T'), 1024 ** 4);
  for (const bad of ['', 'M', '-1M', '0', '12Q', '1e9', 'ten']) assert.is(parseSize(bad), undefined, bad);
});

test('formatBytes', () => {
  assert.is(formatBytes(512), '512 B');
  assert.is(formatBytes(128 * 1024 * 1024), '128 MiB');
  assert.is(formatBytes(1.5 * 1024 ** 3), '1.5 GiB');
});

const X86 = `processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13
physical id\t: 0
cpu cores\t: 2
flags\t\t: fpu sse2 avx2 sha_ni

processor\t: 1
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B13
physical id\t: 0
cpu cores\t: 2
flags\t\t: fpu sse2 avx2 sha_ni
`;

const ARM = `processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32
CPU implementer\t: 0x41
CPU part\t: 0xd0c

processor\t: 1
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32
CPU part\t: 0xd0c

Hardware\t: foo
Model\t: Raspberry Pi 5
`;

test('parseCpuinfo: x86 model, cores, SHA-NI', () => {
  assert.equal(parseCpuinfo(X86), { model: 'AMD EPYC 7B13', logicalCpus: 2, physicalCores: 2, shaExtensions: true });
  assert.is(parseCpuinfo(X86.replace(/ sha_ni/g, '')).shaExtensions, false);
});

test('parseCpuinfo: arm64 layout (no model name per processor)', () => {
  const d = parseCpuinfo(ARM);
  assert.is(d.model, 'Raspberry Pi 5');
  assert.is(d.logicalCpus, 2);
  assert.is(d.shaExtensions, true);
  assert.is(d.physicalCores, undefined);
});

test.run();
