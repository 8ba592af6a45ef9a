// Entry-name rules for layers: OCI path cleaning and whiteout classification, in TypeScript
// and in Wasm (one name at a time and in batches), checked against the rules and node's
// path.posix.normalize.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { posix } from 'node:path';
import { TarErrorCode, TarFormatError, classifyWhiteout, classifyWhiteoutBatchWasm, classifyWhiteoutWasm, cleanPath, cleanPathWasm } from '../../dist/layer/tar/index.js';

const outcome = (fn, name) => {
  try {
    return fn(name);
  } catch (e) {
    assert.ok(e instanceof TarFormatError, String(e));
    assert.is(e.exitCode, 125);
    return { error: e.code, message: e.message };
  }
};

// [name, path, kind, target] or [name, errorCode]
const TABLE = [
  ['a', 'a', 'normal', ''],
  ['a/b/c', 'a/b/c', 'normal', ''],
  ['./a/b', 'a/b', 'normal', ''],
  ['/a/b', 'a/b', 'normal', ''],
  ['///a//b//', 'a/b', 'normal', ''],
  ['a/./b/.', 'a/b', 'normal', ''],
  ['a/b/../c', 'a/c', 'normal', ''],
  ['usr/bin/', 'usr/bin', 'normal', ''],
  ['./', '.', 'normal', ''],
  ['/', '.', 'normal', ''],
  ['.', '.', 'normal', ''],
  ['a/..', '.', 'normal', ''],
  ['..', TarErrorCode.PathEscapes],
  ['../x', TarErrorCode.PathEscapes],
  ['/../x', TarErrorCode.PathEscapes],
  ['a/../../x', TarErrorCode.PathEscapes],
  ['./a/../../etc/passwd', TarErrorCode.PathEscapes],
  ['', TarErrorCode.EmptyName],
  ['a\0b', TarErrorCode.NulInName],
  ['.wh.foo', '.wh.foo', 'whiteout', 'foo'],
  ['./dir/.wh.foo', 'dir/.wh.foo', 'whiteout', 'dir/foo'],
  ['dir/sub/.wh..hidden', 'dir/sub/.wh..hidden', 'whiteout', 'dir/sub/.hidden'],
  ['é/ü/.wh.ñ', 'é/ü/.wh.ñ', 'whiteout', 'é/ü/ñ'],
  ['.wh..wh..opq', '.wh..wh..opq', 'opaque', '.'],
  ['./a/b/.wh..wh..opq', 'a/b/.wh..wh..opq', 'opaque', 'a/b'],
  ['a/.wh..wh.plnk', 'a/.wh..wh.plnk', 'internal', ''],
  ['.wh..wh.aufs', '.wh..wh.aufs', 'internal', ''],
  ['a/.wh.', TarErrorCode.BareWhiteout],
  ['.wh.', TarErrorCode.BareWhiteout],
  ['a/.wh..', TarErrorCode.BadWhiteout],
  ['a/.wh...', TarErrorCode.BadWhiteout],
  ['a/.wh.x/', 'a/.wh.x', 'whiteout', 'a/x'],
  ['a.wh.b', 'a.wh.b', 'normal', ''],
  ['x/.wh', 'x/.wh', 'normal', ''],
];

test('the OCI rules, in TypeScript and Wasm', () => {
  const batch = classifyWhiteoutBatchWasm(TABLE.map((r) => r[0]));
  TABLE.forEach(([name, ...want], i) => {
    const expected = want.length === 1 ? { error: want[0] } : { path: want[0], kind: want[1], target: want[2] };
    const ts = outcome(classifyWhiteout, name);
    const wasm = outcome(classifyWhiteoutWasm, name);
    const b = batch[i] instanceof Error ? { error: batch[i].code, message: batch[i].message } : batch[i];
    const strip = ({ message, ...rest }) => rest;
    assert.equal(strip(ts), expected, `ts ${JSON.stringify(name)}`);
    assert.equal(wasm, ts, `wasm ${JSON.stringify(name)}`);
    assert.equal(b, ts, `batch ${JSON.stringify(name)}`);
  });
});

test('cleanPath alone does not judge whiteouts', () => {
  for (const fn of [cleanPath, cleanPathWasm]) {
    assert.is(fn('./a/.wh.'), 'a/.wh.');
    assert.is(fn('x//.wh..'), 'x/.wh..');
    assert.throws(() => fn('../a'), (e) => e.code === TarErrorCode.PathEscapes);
  }
});

/** An independent oracle: strip leading slashes, then path.posix.normalize. */
function oracle(name) {
  if (name === '') return { error: TarErrorCode.EmptyName };
  if (name.includes('\0')) return { error: TarErrorCode.NulInName };
  const n = posix.normalize(name.replace(/^\/+/, '') || '.');
  if (n === '..' || n.startsWith('../')) return { error: TarErrorCode.PathEscapes };
  return { path: n.replace(/\/+$/, '') || '.' };
}

test('random names: cleanPath equals path.posix.normalize; all three implementations agree', () => {
  const parts = ['a', 'bc', '.', '..', '', '.wh.', '.wh.x', '.wh..wh..opq', '.wh..wh.plnk', 'é', '名', '\0'];
  let seed = 12345;
  const rnd = (n) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const names = [];
  for (let i = 0; i < 20000; i++) {
    const k = 1 + rnd(6);
    const segs = [];
    for (let j = 0; j < k; j++) segs.push(parts[rnd(parts.length - (i % 50 === 0 ? 0 : 1))]);
    names.push((rnd(4) === 0 ? '/' : rnd(4) === 0 ? './' : '') + segs.join('/') + (rnd(5) === 0 ? '/' : ''));
  }
  const batch = classifyWhiteoutBatchWasm(names);
  names.forEach((name, i) => {
    const o = oracle(name);
    const c = outcome(cleanPath, name);
    assert.equal(typeof c === 'string' ? { path: c } : { error: c.error }, o, JSON.stringify(name));
    assert.equal(outcome(cleanPathWasm, name), c, JSON.stringify(name));
    const ts = outcome(classifyWhiteout, name);
    assert.equal(outcome(classifyWhiteoutWasm, name), ts, JSON.stringify(name));
    const b = batch[i] instanceof Error ? { error: batch[i].code, message: batch[i].message } : batch[i];
    assert.equal(b, ts, JSON.stringify(name));
  });
});

test.run();
