// The tar header writer: the TypeScript and Wasm engines give identical bytes, hx's readers
// read back the fields, and the real GNU tar lists and extracts what it writes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gnuListing, gnuTarList } from '../fixtures/tar/helpers.mjs';
import { TAR_END, TarFormatError, TarStreamParser, encodeTarHeader, readTarBuffer, tarPadding } from '../../dist/layer/tar/index.js';

const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : '/tmp', 'hx-tar-write-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const GiB8 = 8 * 1024 * 1024 * 1024;
const data = (n, c = 'x') => Buffer.alloc(n, c);

/** Entries covering every ustar limit and each pax fallback. */
function cases() {
  const list = [];
  const t = 1700000000;
  for (const len of [1, 99, 100, 101, 155, 156, 200, 255, 256, 300]) {
    // plain long names, and names with a slash at various places (ustar prefix split)
    list.push({ name: `n${'a'.repeat(len - 1)}`, type: 'file', mode: 0o644, mtime: t, size: 3, data: data(3) });
    const half = Math.max(1, Math.floor(len / 2));
    list.push({ name: `d${'b'.repeat(half - 1)}/${'c'.repeat(Math.max(1, len - half - 1))}`, type: 'file', mode: 0o600, mtime: t, size: 1, data: data(1) });
  }
  list.push({ name: 'dir-slash/' + 'q'.repeat(120) + '/', type: 'dir', mode: 0o755, mtime: t });
  list.push({ name: 'ünïcödé/名前.txt', type: 'file', mode: 0o644, mtime: t, size: 2, data: data(2) });
  list.push({ name: 'sym100', type: 'symlink', mode: 0o777, mtime: t, linkname: 'l'.repeat(100) });
  list.push({ name: 'sym101', type: 'symlink', mode: 0o777, mtime: t, linkname: 'l'.repeat(101) });
  list.push({ name: 'sym-utf8', type: 'symlink', mode: 0o777, mtime: t, linkname: 'zié/ł' });
  list.push({ name: 'hard', type: 'hardlink', mode: 0o644, mtime: t, linkname: 'n' + 'a'.repeat(99) });
  list.push({ name: 'ids-max-octal', type: 'file', mode: 0o4755, uid: 0o7777777, gid: 0o7777777, mtime: t });
  list.push({ name: 'ids-pax', type: 'file', mode: 0o2755, uid: 0o7777777 + 1, gid: 0xffffffff, mtime: t });
  list.push({ name: 'sticky/', type: 'dir', mode: 0o1777, mtime: t });
  list.push({ name: 'mtime-zero', type: 'file', mode: 0o644, mtime: 0 });
  list.push({ name: 'mtime-max-octal', type: 'file', mode: 0o644, mtime: 0o77777777777 });
  list.push({ name: 'mtime-past-octal', type: 'file', mode: 0o644, mtime: 0o77777777777 + 1 });
  list.push({ name: 'mtime-negative', type: 'file', mode: 0o644, mtime: -1000 });
  list.push({ name: 'mtime-ns', type: 'file', mode: 0o644, mtime: t, mtimeNsec: 123456789 });
  list.push({ name: 'mtime-ns-round', type: 'file', mode: 0o644, mtime: t, mtimeNsec: 500000000 });
  list.push({ name: 'uname', type: 'file', mode: 0o644, mtime: t, uname: 'u'.repeat(32), gname: 'g'.repeat(33) });
  list.push({ name: 'fifo', type: 'fifo', mode: 0o600, mtime: t });
  list.push({ name: 'null', type: 'char', mode: 0o666, mtime: t, devmajor: 1, devminor: 3 });
  list.push({ name: 'blk', type: 'block', mode: 0o660, mtime: t, devmajor: 259, devminor: 0o7777777 });
  list.push({
    name: 'xattrs',
    type: 'file',
    mode: 0o644,
    mtime: t,
    size: 4,
    data: data(4, 'z'),
    xattrs: new Map([
      ['user.plain', Buffer.from('value')],
      ['user.binary', Buffer.from([0, 1, 10, 61, 255])],
      ['user.empty', Buffer.alloc(0)],
      ['user.big', Buffer.alloc(3000, 'v')],
    ]),
  });
  list.push({ name: 'size-511', type: 'file', mode: 0o644, mtime: t, size: 511, data: data(511) });
  list.push({ name: 'size-512', type: 'file', mode: 0o644, mtime: t, size: 512, data: data(512) });
  list.push({ name: 'size-513', type: 'file', mode: 0o644, mtime: t, size: 513, data: data(513) });
  return list;
}

function archive(entries, engine) {
  const parts = [];
  for (const e of entries) {
    parts.push(encodeTarHeader(e, { engine }));
    if (e.data) parts.push(e.data, tarPadding(e.data.length));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}

const expectedEntry = (e) => ({
  name: e.name,
  type: e.type,
  mode: e.mode,
  uid: e.uid ?? 0,
  gid: e.gid ?? 0,
  size: e.size ?? 0,
  mtime: e.mtime ?? 0,
  mtimeNsec: e.mtimeNsec ?? 0,
  linkname: e.linkname ?? '',
  devmajor: e.devmajor ?? 0,
  devminor: e.devminor ?? 0,
});

test('TypeScript and Wasm writers produce the same bytes', () => {
  const list = cases();
  for (const e of list) assert.equal(encodeTarHeader(e, { engine: 'wasm' }), encodeTarHeader(e, { engine: 'ts' }), e.name);
  assert.equal(archive(list, 'wasm'), archive(list, 'ts'));
});

test('headers are ustar when everything fits, pax only when needed', () => {
  const fits = { name: 'd'.repeat(100) + '/' + 'n'.repeat(100), type: 'file', mode: 0o644, uid: 0o7777777, mtime: 0o77777777777, linkname: '' };
  assert.is(encodeTarHeader(fits).length, 512);
  for (const over of [{ name: 'n'.repeat(101) }, { name: 'é' }, { uid: 0o7777777 + 1 }, { mtime: -1 }, { mtimeNsec: 1 }, { xattrs: new Map([['user.a', Buffer.from('b')]]) }]) {
    const h = encodeTarHeader({ ...fits, ...over });
    assert.ok(h.length > 1024 && h[156] === 0x78, JSON.stringify(Object.keys(over)));
  }
});

test('hx reads back every field (both engines)', () => {
  const list = cases();
  for (const writer of ['ts', 'wasm']) {
    const buf = archive(list, writer);
    for (const engine of ['ts', 'wasm']) {
      const got = readTarBuffer(buf, { engine });
      assert.is(got.length, list.length);
      got.forEach(({ entry, data: d }, i) => {
        const { xattrs, dataOffset, ...fields } = entry;
        assert.equal(fields, expectedEntry(list[i]), `${writer}->${engine}: ${list[i].name}`);
        assert.equal(xattrs, list[i].xattrs ?? new Map());
        assert.equal(d, list[i].data ?? Buffer.alloc(0));
      });
    }
  }
});

test('GNU tar lists what the writer wrote', () => {
  const list = cases();
  const p = join(dir, 'cases.tar');
  writeFileSync(p, archive(list, 'wasm'));
  assert.equal(gnuTarList(p), list.map((e) => gnuListing(expectedEntry(e))));
});

test('GNU tar reads a size of 8 GiB and more (pax size) from the header', () => {
  const p = join(dir, 'big.tar');
  for (const size of [GiB8 - 1, GiB8, 2 ** 40 + 7]) {
    writeFileSync(p, encodeTarHeader({ name: 'big', type: 'file', mode: 0o644, size, mtime: 1 }, { engine: 'wasm' }));
    // The data is not there, so tar fails after listing the entry.
    const r = spawnSync('tar', ['--numeric-owner', '-tvf', p], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    assert.match(r.stdout, new RegExp(`0/0 +${size} 1970-01-01 00:00 big`), r.stdout + r.stderr);
    for (const engine of ['ts', 'wasm']) {
      let seen = -1;
      new TarStreamParser({ onEntry: (e) => (seen = e.size) }, { engine }).push(readFileSync(p));
      assert.is(seen, size, engine);
    }
  }
});

test('GNU tar extracts what the writer wrote: contents, links, modes, mtimes, xattrs', async () => {
  const t = 1700000000;
  const list = [
    { name: 'top/', type: 'dir', mode: 0o755, mtime: t },
    { name: 'top/file', type: 'file', mode: 0o640, mtime: t, mtimeNsec: 250000000, size: 5, data: Buffer.from('hello') },
    { name: 'top/' + 'x'.repeat(150) + '/' + 'y'.repeat(150), type: 'file', mode: 0o600, mtime: t, size: 2, data: Buffer.from('hi') },
    { name: 'top/' + 'x'.repeat(150) + '/', type: 'dir', mode: 0o700, mtime: t },
    { name: 'top/sym', type: 'symlink', mode: 0o777, mtime: t, linkname: 'file' },
    { name: 'top/longsym', type: 'symlink', mode: 0o777, mtime: t, linkname: 'z'.repeat(300) },
    { name: 'top/hard', type: 'hardlink', mode: 0o640, mtime: t, linkname: 'top/file' },
    { name: 'top/fifo', type: 'fifo', mode: 0o600, mtime: t },
    { name: 'top/ünï', type: 'file', mode: 0o644, mtime: t, size: 1, data: Buffer.from('u') },
    { name: 'top/attrs', type: 'file', mode: 0o644, mtime: t, size: 1, data: Buffer.from('a'), xattrs: new Map([['user.one', Buffer.from([0, 1, 2, 255])], ['user.two', Buffer.from('second')]]) },
  ];
  const p = join(dir, 'extract.tar');
  writeFileSync(p, archive(list, 'wasm'));
  const out = join(dir, 'out');
  mkdirSync(out);
  execFileSync('tar', ['--xattrs', '--xattrs-include=user.*', '--no-same-owner', '-xpf', p, '-C', out]);
  assert.is(readFileSync(join(out, 'top/file'), 'utf8'), 'hello');
  assert.is(readFileSync(join(out, list[2].name), 'utf8'), 'hi');
  assert.is(readlinkSync(join(out, 'top/sym')), 'file');
  assert.is(readlinkSync(join(out, 'top/longsym')), 'z'.repeat(300));
  assert.is(lstatSync(join(out, 'top/hard')).ino, lstatSync(join(out, 'top/file')).ino);
  assert.ok(lstatSync(join(out, 'top/fifo')).isFIFO());
  assert.is(readFileSync(join(out, 'top/ünï'), 'utf8'), 'u');
  const st = lstatSync(join(out, 'top/file'), { bigint: true });
  assert.is(Number(st.mode & 0o7777n), 0o640);
  assert.is(st.mtimeNs, BigInt(t) * 1_000_000_000n + 250_000_000n);
  assert.is(Number(lstatSync(join(out, 'top/' + 'x'.repeat(150))).mode & 0o7777), 0o700);
  const { lgetxattr } = await import('../../dist/sys/libc.js');
  let xattrsWork = true;
  try {
    const { lsetxattr } = await import('../../dist/sys/libc.js');
    lsetxattr(join(out, 'top/ünï'), 'user.probe', Buffer.from('1'));
  } catch {
    xattrsWork = false;
  }
  if (xattrsWork) {
    assert.equal(lgetxattr(join(out, 'top/attrs'), 'user.one'), Buffer.from([0, 1, 2, 255]));
    assert.equal(lgetxattr(join(out, 'top/attrs'), 'user.two'), Buffer.from('second'));
  } else {
    console.log('  (xattr check skipped: no user.* xattrs on this filesystem)');
  }
});

test('a pax mtime is written as GNU tar writes it (negative with a fraction)', () => {
  const f = join(dir, 'old');
  writeFileSync(f, '');
  execFileSync('touch', ['-d', '@-99.999999995', f]);
  const gnu = execFileSync('tar', ['--format=pax', '-cf', '-', '-C', dir, 'old']);
  const [{ entry }] = readTarBuffer(gnu, { engine: 'ts' });
  assert.equal([entry.mtime, entry.mtimeNsec], [-100, 5]);
  const gnuRecord = gnu.toString('latin1').match(/\d+ mtime=[^\n]*\n/)[0];
  for (const engine of ['ts', 'wasm']) {
    const ours = encodeTarHeader({ name: 'old', type: 'file', mode: 0o644, mtime: entry.mtime, mtimeNsec: entry.mtimeNsec }, { engine });
    assert.ok(ours.toString('latin1').includes(gnuRecord), `${engine}: ${gnuRecord.trim()}`);
  }
});

test('the writer refuses what tar cannot hold', () => {
  const base = { name: 'f', type: 'file', mode: 0o644 };
  for (const bad of [
    { name: '' },
    { name: 'a\0b' },
    { type: 'symlink' },
    { uid: -1 },
    { gid: 2 ** 32 },
    { mode: 0o10000 },
    { size: -1 },
    { size: 1.5 },
    { type: 'dir', size: 1 },
    { mtimeNsec: 1e9 },
    { type: 'char', devmajor: 0o7777777 + 1 },
    { xattrs: new Map([['user.a=b', Buffer.from('x')]]) },
  ]) {
    for (const engine of ['ts', 'wasm']) {
      assert.throws(() => encodeTarHeader({ ...base, ...bad }, { engine }), (e) => e instanceof TarFormatError && e.exitCode === 125, JSON.stringify(bad));
    }
  }
});

test.run();
