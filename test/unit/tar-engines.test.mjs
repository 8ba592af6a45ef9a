// The two tar engines on generated and mutated archives: every outcome (records, data, error
// code and message) must be the same in TypeScript and Wasm, whatever the chunking.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync } from 'node:fs';
import { makeFixtures } from '../fixtures/tar/make-fixtures.mjs';
import { END, extHeader, padded, parseChunked, paxRecord, rawHeader } from '../fixtures/tar/helpers.mjs';

let seed = 20240601;
const rnd = (n) => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return (seed >>> 8) % n;
};
const outcome = (r) => JSON.stringify({ entries: r.entries, error: r.error ? [r.error.code, r.error.message] : null });

test('random pax records, long names and entries: same outcome in both engines', () => {
  const keys = ['path', 'linkpath', 'size', 'uid', 'gid', 'mtime', 'SCHILY.xattr.user.a', 'LIBARCHIVE.xattr.user.%41', 'GNU.sparse.major', 'comment', 'SCHILY.xattr.', 'pat'];
  const vals = ['', '12', '-3', '1.5', 'abc', '99999999999999999999', '-0.5', '.5', '1.', 'a\0b', '4294967296', '9007199254740992', 'x'.repeat(300), 'aGk='];
  const seen = new Set();
  for (let it = 0; it < 1500; it++) {
    const parts = [];
    for (let e = 1 + rnd(4); e > 0; e--) {
      const recs = [];
      for (let k = rnd(5); k > 0; k--) {
        let r = paxRecord(keys[rnd(keys.length)], vals[rnd(vals.length)]);
        if (rnd(10) === 0) {
          r = Buffer.from(r);
          r[rnd(r.length)] = [0x20, 0x3d, 0x0a, 0x30, 0][rnd(5)];
        }
        recs.push(r);
      }
      const t = ['x', 'g', 'L', 'K', 'x', 'x'][rnd(6)];
      if (recs.length) parts.push(extHeader(t, t === 'L' || t === 'K' ? Buffer.from(vals[rnd(vals.length)] + '\0') : Buffer.concat(recs)));
      const type = ['0', '1', '2', '5', '3', 0][rnd(6)];
      const size = rnd(3) ? rnd(1200) : 0;
      parts.push(rawHeader({ name: `e${e}` + (rnd(5) === 0 ? '/' : ''), type, size, linkname: 'lnk', uid: rnd(100) }));
      if (type === '0' || type === 0) parts.push(padded(Buffer.alloc(size, 1)));
    }
    parts.push(END);
    const buf = Buffer.concat(parts);
    const ts = parseChunked(buf, { engine: 'ts', chunk: [1 + rnd(700), buf.length][rnd(2)] });
    const wasm = parseChunked(buf, { engine: 'wasm', chunk: [buf.length, 1 + rnd(600)][rnd(2)], wasmWindow: 512 * (1 + rnd(4)) });
    assert.is(outcome(wasm), outcome(ts), `iteration ${it}`);
    seen.add(ts.error ? ts.error.code : 'ok');
  }
  assert.ok(seen.size >= 5, `varied outcomes: ${[...seen]}`);
});

test('mutated GNU tar archives (fields changed, checksums fixed or not): same outcome', async () => {
  const fx = await makeFixtures();
  try {
    const files = ['gnu', 'pax', 'ustar', 'v7', 'pax-global', 'gnu-base256'].map((n) => readFileSync(fx.archives[n]));
    const fixSum = (b, h) => {
      b.fill(0x20, h + 148, h + 156);
      let s = 0;
      for (let i = 0; i < 512; i++) s += b[h + i];
      b.write(s.toString(8).padStart(6, '0'), h + 148, 'latin1');
      b[h + 154] = 0;
    };
    for (let it = 0; it < 1500; it++) {
      const src = files[rnd(files.length)];
      const b = Buffer.from(src.subarray(0, Math.min(src.length, 512 * (4 + rnd(60)))));
      for (let k = 1 + rnd(6); k > 0; k--) {
        const blk = rnd(b.length / 512) * 512;
        const kind = rnd(4);
        const off = blk + (kind === 0 ? rnd(512) : kind === 1 ? 100 + rnd(60) : kind === 2 ? 124 + rnd(36) : 512 + rnd(200));
        if (off < b.length) b[off] = [0, 0x20, 0x30 + rnd(10), 0x80, 0xff, rnd(256), 0x3d, 0x0a][rnd(8)];
        if (rnd(3)) fixSum(b, blk);
      }
      const ts = parseChunked(b, { engine: 'ts', chunk: [1 + rnd(700), b.length][rnd(2)], allowMissingEnd: true });
      const wasm = parseChunked(b, { engine: 'wasm', chunk: b.length, allowMissingEnd: true });
      assert.is(outcome(wasm), outcome(ts), `iteration ${it}`);
    }
  } finally {
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

test.run();
