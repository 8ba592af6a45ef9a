// The tar readers (TypeScript and Wasm engines) against archives GNU tar made: the records
// must match GNU tar's own listing and each other, at any chunking; corrupt archives fail
// with the same TarFormatError in both.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFixtures } from '../fixtures/tar/make-fixtures.mjs';
import { END, extHeader, gnuListing, gnuTarAccepts, gnuTarList, padded, parseChunked, paxRecord, rawHeader, sha256 } from '../fixtures/tar/helpers.mjs';
import { TarErrorCode, TarFormatError, TarStreamParser, classifyWhiteout, readTarBuffer, tarWritable } from '../../dist/layer/tar/index.js';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gzipSync } from 'node:zlib';

const fx = await makeFixtures();
const read = (name) => readFileSync(fx.archives[name]);
const ENGINES = ['ts', 'wasm'];
const GOOD = ['gnu', 'pax', 'ustar', 'v7', 'gnu-base256', 'gnu-negative-mtime', 'pax-bigid', 'pax-global', 'empty'];

test.after(() => rmSync(fx.dir, { recursive: true, force: true }));

for (const name of GOOD) {
  test(`${name}: both engines list what GNU tar lists`, () => {
    const expected = gnuTarList(fx.archives[name]);
    for (const engine of ENGINES) {
      const r = parseChunked(read(name), { engine });
      assert.is(r.error, null, `${engine}: ${r.error?.message}`);
      assert.equal(r.problems, []);
      assert.equal(r.entries.map(gnuListing), expected, engine);
    }
  });
}

test('file data matches the source files', () => {
  for (const name of ['gnu', 'pax', 'ustar', 'v7']) {
    for (const engine of ENGINES) {
      const r = parseChunked(read(name), { engine });
      let files = 0;
      for (const e of r.entries.filter((x) => x.type === 'file')) {
        const src = [join(fx.dir, 'basic', e.name), join(fx.dir, 'long', e.name)].find((p) => existsSync(p));
        assert.ok(src, `source of ${e.name}`);
        assert.is(e.sha256, sha256(readFileSync(src)), `${name}/${engine}: ${e.name}`);
        files++;
      }
      assert.ok(files >= (name === 'v7' ? 6 : 10), `${name}: ${files} files`);
    }
  }
});

test('pax xattrs (SCHILY.xattr.*) come through with binary values', () => {
  if (!fx.xattrs) {
    console.log('  (skipped: cannot set user.* xattrs on this filesystem)');
    return;
  }
  for (const engine of ENGINES) {
    const e = parseChunked(read('pax'), { engine }).entries.find((x) => x.name === './x.txt');
    assert.equal(e.xattrs, [
      ['user.test', Buffer.from('hello').toString('hex')],
      ['user.bin', '000102ff0a3d'],
    ]);
  }
});

test('long names and links: GNU L/K, pax path/linkpath and the ustar prefix give the same names', () => {
  const names = (n) => parseChunked(read(n), { engine: 'ts' }).entries.map((e) => `${e.name}|${e.linkname}`);
  const gnu = names('gnu');
  assert.equal(names('pax'), gnu);
  const long = gnu.filter((n) => n.length > 255);
  assert.ok(long.length >= 2, 'a name and a link target longer than 255 bytes');
  assert.ok(names('ustar').some((n) => n.split('|')[0].length > 100), 'ustar prefix split');
});

test('chunk boundaries: 1, 7, 512, 513 bytes and whole give the same records and data', () => {
  for (const name of ['gnu', 'pax', 'pax-global', 'gnu-base256']) {
    const buf = read(name);
    const base = parseChunked(buf, { engine: 'ts' });
    assert.is(base.error, null);
    for (const engine of ENGINES) {
      for (const chunk of [1, 7, 512, 513, 4096, buf.length]) {
        const r = parseChunked(buf, { engine, chunk });
        assert.is(r.error, null, `${name} ${engine} ${chunk}: ${r.error?.message}`);
        assert.equal(r.problems, []);
        assert.equal(r.entries, base.entries, `${name} ${engine} chunk ${chunk}`);
        assert.ok(r.maxPiece <= chunk, 'data pieces never exceed the chunk');
      }
    }
  }
});

test('wasm: small copy windows and a full records area change nothing', () => {
  const buf = read('pax');
  const base = parseChunked(buf, { engine: 'ts' }).entries;
  for (const wasmWindow of [512, 1000, 4096, 70_000]) {
    assert.equal(parseChunked(buf, { engine: 'wasm', wasmWindow }).entries, base, `window ${wasmWindow}`);
  }
  // 10000 entries in one chunk: more than the 4096 records one Wasm call writes.
  const parts = [];
  for (let i = 0; i < 10000; i++) parts.push(rawHeader({ name: `f${i}`, size: i % 3 }), i % 3 ? padded(Buffer.from('ab'.slice(0, i % 3))) : Buffer.alloc(0));
  parts.push(END);
  const many = Buffer.concat(parts);
  const ts = parseChunked(many, { engine: 'ts' });
  const wasm = parseChunked(many, { engine: 'wasm' });
  assert.is(ts.entries.length, 10000);
  assert.equal(wasm.entries, ts.entries);
});

test('a file larger than the chunks streams in pieces (nothing buffered whole)', () => {
  const size = 1024 * 1024 * 1024 + 3; // 1 GiB + 3, never materialised
  const header = rawHeader({ name: 'huge', size });
  const chunk = Buffer.alloc(1024 * 1024, 7);
  for (const engine of ENGINES) {
    let got = 0;
    let pieces = 0;
    let maxPiece = 0;
    let ended = false;
    const p = new TarStreamParser(
      {
        onEntry(e) {
          assert.is(e.size, size);
        },
        onData(_e, d) {
          got += d.length;
          pieces++;
          maxPiece = Math.max(maxPiece, d.length);
        },
        onEntryEnd() {
          ended = true;
        },
      },
      { engine },
    );
    p.push(header);
    // The data and its padding (their content does not matter to the parser).
    for (let left = size + 509; left > 0; left -= chunk.length) p.push(left >= chunk.length ? chunk : chunk.subarray(0, left));
    p.push(END);
    p.end();
    assert.ok(ended);
    assert.is(got, size);
    assert.ok(pieces >= 1024 && maxPiece <= chunk.length, `${pieces} pieces, largest ${maxPiece}`);
    assert.ok(p.done);
  }
});

/** Both engines, at several chunkings, fail with the same code and message. */
function expectError(buf, code, opts = {}) {
  let first = null;
  for (const engine of ENGINES) {
    for (const chunk of [7, 512, buf.length || 1]) {
      const r = parseChunked(buf, { engine, chunk, ...opts });
      assert.ok(r.error instanceof TarFormatError, `${engine}/${chunk}: expected TarFormatError, got ${r.error}`);
      assert.is(r.error.code, code, `${engine}/${chunk}: ${r.error.message}`);
      assert.is(r.error.exitCode, 125);
      assert.ok(r.error.hint);
      first ??= r.error.message;
      assert.is(r.error.message, first, `${engine}/${chunk}`);
    }
  }
  return first;
}

test('corrupt: bad header checksum (GNU tar refuses it too)', () => {
  const buf = Buffer.from(read('gnu'));
  buf[512 + 2] ^= 0x01; // second header's name
  const msg = expectError(buf, TarErrorCode.BadChecksum);
  assert.match(msg, /checksum/);
  const p = join(fx.dir, 'badsum.tar');
  writeFileSync(p, buf);
  assert.not.ok(gnuTarAccepts(p));
});

test('signed-char checksums are accepted, as GNU tar does', () => {
  const name = Buffer.from('caf\xe9-\xff\xfe', 'latin1');
  const buf = Buffer.concat([rawHeader({ name, size: 0, checksum: 'signed' }), END]);
  const p = join(fx.dir, 'signed.tar');
  writeFileSync(p, buf);
  assert.ok(gnuTarAccepts(p), 'GNU tar accepts the signed sum');
  for (const engine of ENGINES) assert.is(readTarBuffer(buf, { engine }).length, 1);
  const wrong = Buffer.concat([rawHeader({ name, size: 0, checksum: 1234 }), END]);
  expectError(wrong, TarErrorCode.BadChecksum);
});

test('corrupt: truncated mid-header, mid-data, at an entry boundary; empty input', () => {
  const buf = read('gnu');
  const entries = readTarBuffer(buf, { engine: 'ts' });
  const big = entries.find((e) => e.entry.name === './big.bin').entry;
  assert.match(expectError(buf.subarray(0, big.dataOffset - 512 + 100), TarErrorCode.TruncatedHeader), /inside a header/);
  const msg = expectError(buf.subarray(0, big.dataOffset + 1000), TarErrorCode.TruncatedData);
  assert.match(msg, /big\.bin.*69000 of 70000 bytes missing/);
  // Exactly at the end of big.bin's padded data: no end marker.
  const boundary = big.dataOffset + big.size + ((512 - (big.size % 512)) % 512);
  expectError(buf.subarray(0, boundary), TarErrorCode.MissingEnd);
  for (const engine of ENGINES) {
    const ok = parseChunked(buf.subarray(0, boundary), { engine, allowMissingEnd: true });
    assert.is(ok.error, null);
    assert.is(ok.entries.at(-1).name, './big.bin');
  }
  expectError(buf.subarray(0, big.dataOffset + big.size + 10), TarErrorCode.TruncatedData);
  expectError(Buffer.alloc(0), TarErrorCode.Empty);
});

test('end of archive: one zero block then EOF is accepted; bytes after the marker are ignored', () => {
  const one = Buffer.concat([rawHeader({ name: 'a', size: 1 }), padded(Buffer.from('x')), Buffer.alloc(512)]);
  const after = Buffer.concat([rawHeader({ name: 'a', size: 1 }), padded(Buffer.from('x')), END, Buffer.from('garbage after the end')]);
  for (const engine of ENGINES) {
    for (const buf of [one, after]) {
      for (const chunk of [1, 100, buf.length]) {
        const r = parseChunked(buf, { engine, chunk });
        assert.is(r.error, null, r.error?.message);
        assert.equal(r.entries.map((e) => e.name), ['a']);
      }
    }
  }
  // A lone zero block followed by a header is an error (as Go's archive/tar).
  const lone = Buffer.concat([Buffer.alloc(512), rawHeader({ name: 'b' }), END]);
  expectError(lone, TarErrorCode.LoneZeroBlock);
});

test('corrupt: pax size that does not fit, pax size past the end', () => {
  assert.match(expectError(read('pax-size-huge'), TarErrorCode.TooBig), /size is too large/);
  assert.match(expectError(read('pax-size-past-end'), TarErrorCode.TruncatedData), /f511/);
});

test('whiteouts in GNU tar archives: .wh.NAME, .wh..wh..opq, and a bare .wh. that is an error', () => {
  for (const engine of ENGINES) {
    const kinds = readTarBuffer(read('pax'), { engine })
      .map(({ entry }) => classifyWhiteout(entry.name))
      .filter((c) => c.kind !== 'normal');
    assert.equal(kinds, [
      { path: '.wh.gone', kind: 'whiteout', target: 'gone' },
      { path: 'dir/.wh..wh..opq', kind: 'opaque', target: 'dir' },
    ]);
    const [bare] = readTarBuffer(read('bare-whiteout'), { engine });
    assert.is(bare.entry.name, '.wh.');
    assert.throws(() => classifyWhiteout(bare.entry.name), (e) => e instanceof TarFormatError && e.code === TarErrorCode.BareWhiteout && e.exitCode === 125);
  }
});

test('unsupported: GNU sparse (type S and pax GNU.sparse.*)', () => {
  expectError(read('gnu-sparse'), TarErrorCode.Sparse);
  expectError(read('pax-sparse'), TarErrorCode.Sparse);
  expectError(Buffer.concat([rawHeader({ name: 'vol', type: 'V' }), END]), TarErrorCode.UnsupportedType);
});

test('bounds and numbers: base-256 negative and huge, bad octal, ids over 2^32-1', () => {
  const b256 = (bytes) => Buffer.from(bytes);
  // size: 0xff... is negative in base-256
  expectError(Buffer.concat([rawHeader({ name: 'neg', raw: [[124, b256([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe])]] }), END]), TarErrorCode.Negative);
  // size 2^64 in base-256
  expectError(Buffer.concat([rawHeader({ name: 'huge', raw: [[124, b256([0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])]] }), END]), TarErrorCode.TooBig);
  // uid 2^32 in base-256 (8-byte field)
  expectError(Buffer.concat([rawHeader({ name: 'uid', raw: [[108, b256([0x80, 0, 0, 1, 0, 0, 0, 0])]] }), END]), TarErrorCode.TooBig);
  expectError(Buffer.concat([rawHeader({ name: 'mode', raw: [[100, Buffer.from('00006x4\0')]] }), END]), TarErrorCode.BadNumber);
  // 2^53 - 1 exactly is allowed (as a header; the data is then missing)
  const max = Buffer.from([0x80, 0, 0, 0, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  for (const engine of ENGINES) {
    const r = parseChunked(Buffer.concat([rawHeader({ name: 'max', raw: [[124, max]] }), END]), { engine });
    assert.is(r.error?.code, TarErrorCode.TruncatedData);
  }
  let seen = null;
  new TarStreamParser({ onEntry: (e) => (seen = e) }, { engine: 'wasm' }).push(rawHeader({ name: 'max', raw: [[124, max]] }));
  assert.is(seen.size, Number.MAX_SAFE_INTEGER);
});

test('bounds: pax header over 16 MiB, GNU long name over 1 MiB, pax path over 1 MiB, too many xattrs', () => {
  expectError(rawHeader({ name: 'big-pax', type: 'x', size: 16 * 1024 * 1024 + 1 }), TarErrorCode.PaxTooBig);
  expectError(rawHeader({ name: 'big-L', type: 'L', size: 1024 * 1024 + 1 }), TarErrorCode.NameTooBig);
  const longPath = extHeader('x', paxRecord('path', 'p'.repeat(1024 * 1024 + 1)));
  expectError(Buffer.concat([longPath, rawHeader({ name: 'x' }), END]), TarErrorCode.NameTooBig);
  const many = [];
  for (let i = 0; i <= 4096; i++) many.push(paxRecord(`SCHILY.xattr.user.k${i}`, 'v'));
  expectError(Buffer.concat([extHeader('x', Buffer.concat(many)), rawHeader({ name: 'x' }), END]), TarErrorCode.TooManyXattrs);
});

test('pax: malformed records, zero block inside a chain', () => {
  for (const bad of ['5 path=abc\n', '12 path\n', 'x path=abc\n', '11 path=abc', '9 =value\n']) {
    expectError(Buffer.concat([extHeader('x', Buffer.from(bad)), rawHeader({ name: 'f' }), END]), TarErrorCode.BadPaxRecord);
  }
  expectError(Buffer.concat([extHeader('x', paxRecord('path', 'a')), END]), TarErrorCode.ZeroInChain);
  expectError(Buffer.concat([extHeader('x', paxRecord('uid', '12a')), rawHeader({ name: 'f' }), END]), TarErrorCode.BadPaxValue);
  expectError(Buffer.concat([extHeader('x', paxRecord('gid', '-1')), rawHeader({ name: 'f' }), END]), TarErrorCode.Negative);
  expectError(Buffer.concat([extHeader('x', paxRecord('uid', '4294967296')), rawHeader({ name: 'f' }), END]), TarErrorCode.TooBig);
});

test('pax: mtime fractions (incl. negative), LIBARCHIVE.xattr, empty values, global headers, trailing NULs', () => {
  const archive = Buffer.concat([
    extHeader('g', Buffer.concat([paxRecord('uid', '77'), paxRecord('mtime', '100.5')])),
    extHeader('x', Buffer.concat([paxRecord('mtime', '-1.25'), paxRecord('LIBARCHIVE.xattr.user.%41b', Buffer.from('hi there').toString('base64')), paxRecord('SCHILY.xattr.user.raw', Buffer.from([0, 10, 61]))])),
    rawHeader({ name: 'a', uid: 5 }),
    extHeader('x', Buffer.concat([paxRecord('path', 'from-pax'), paxRecord('path', ''), paxRecord('uid', ''), Buffer.alloc(7)])),
    rawHeader({ name: 'b', uid: 6 }),
    extHeader('x', paxRecord('mtime', '3.000000001999')),
    rawHeader({ name: 'c' }),
    END,
  ]);
  const want = [
    { name: 'a', uid: 77, mtime: -2, mtimeNsec: 750000000, xattrs: [['user.Ab', Buffer.from('hi there').toString('hex')], ['user.raw', '000a3d']] },
    { name: 'b', uid: 77, mtime: 100, mtimeNsec: 500000000, xattrs: [] },
    { name: 'c', uid: 77, mtime: 3, mtimeNsec: 1, xattrs: [] },
  ];
  for (const engine of ENGINES) {
    for (const chunk of [1, 512, archive.length]) {
      const r = parseChunked(archive, { engine, chunk });
      assert.is(r.error, null, r.error?.message);
      assert.equal(r.entries.map(({ name, uid, mtime, mtimeNsec, xattrs }) => ({ name, uid, mtime, mtimeNsec, xattrs })), want, `${engine}/${chunk}`);
    }
  }
});

test('old-style regular file with a trailing slash is a directory; links and dirs carry no data', () => {
  const archive = Buffer.concat([
    rawHeader({ name: 'olddir/', type: 0, size: 0, magic: '' }),
    rawHeader({ name: 'link', type: '2', linkname: 'target', size: 0 }),
    rawHeader({ name: 'pfx-name', prefix: 'some/prefix' }),
    END,
  ]);
  for (const engine of ENGINES) {
    const r = parseChunked(archive, { engine });
    assert.is(r.error, null);
    assert.equal(r.entries.map((e) => `${e.type} ${e.name} ${e.linkname}`), ['dir olddir/ ', 'symlink link target', 'file some/prefix/pfx-name ']);
  }
});

test('not a tar: gzip bytes fail with a hint', () => {
  const gz = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(2000, 0x55)]);
  const msg = expectError(gz, TarErrorCode.BadChecksum);
  assert.match(msg, /byte 0/);
});

test('tarWritable in a gunzip pipeline; a truncated archive rejects the pipeline', async () => {
  const raw = read('pax');
  const gz = gzipSync(raw);
  const want = readTarBuffer(raw, { engine: 'ts' }).map((x) => x.entry.name);
  for (const engine of ENGINES) {
    const names = [];
    let bytes = 0;
    await pipeline(Readable.from([gz.subarray(0, 1000), gz.subarray(1000)]), createGunzip({ chunkSize: 64 * 1024 }), tarWritable({ onEntry: (e) => names.push(e.name), onData: (_e, d) => (bytes += d.length) }, { engine }));
    assert.equal(names, want);
    assert.is(bytes, readTarBuffer(raw, { engine: 'ts' }).reduce((n, x) => n + x.entry.size, 0));
    const cut = gzipSync(raw.subarray(0, 5000));
    await pipeline(Readable.from([cut]), createGunzip(), tarWritable({ onEntry() {} }, { engine })).then(
      () => assert.unreachable('should fail'),
      (e) => assert.ok(e instanceof TarFormatError && e.code === TarErrorCode.TruncatedData, String(e)),
    );
  }
});

test.run();
