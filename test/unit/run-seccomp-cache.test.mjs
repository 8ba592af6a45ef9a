// The on-disk cache of compiled default seccomp filters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedFilter, compilerIdentity } from '../../dist/runtime/seccomp-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'hx-sccache-'));
const src = join(dir, 'compiler.js');
writeFileSync(src, 'v1');
const cache = join(dir, 'cache');
let compiles = 0;
const program = (byte) => async () => {
  compiles++;
  return Buffer.alloc(16, byte);
};

test('the second lookup reads the file instead of compiling', async () => {
  const id = compilerIdentity([src]);
  const a = await cachedFilter(cache, id, 'default x64 CAP_A', program(1));
  const b = await cachedFilter(cache, id, 'default x64 CAP_A', program(9));
  assert.is(compiles, 1);
  assert.equal(b, a);
  assert.is(readdirSync(cache).length, 1);
});

test('another key or a rebuilt compiler compiles again', async () => {
  const before = compiles;
  const other = await cachedFilter(cache, compilerIdentity([src]), 'default x64 CAP_B', program(2));
  assert.is(other[0], 2);
  utimesSync(src, new Date(), new Date(Date.now() + 5000));
  const rebuilt = await cachedFilter(cache, compilerIdentity([src]), 'default x64 CAP_A', program(3));
  assert.is(rebuilt[0], 3);
  assert.is(compiles, before + 2);
  assert.is(readdirSync(cache).length, 1, 'the files of the earlier build were removed');
});

test('a damaged or foreign file is ignored and replaced', async () => {
  for (const f of readdirSync(cache)) writeFileSync(join(cache, f), 'garbage that is not a cache entry');
  const before = compiles;
  const r = await cachedFilter(cache, compilerIdentity([src]), 'default x64 CAP_A', program(4));
  assert.is(r[0], 4);
  assert.is(compiles, before + 1);
});

test('a file others can write is not trusted', async () => {
  const id = compilerIdentity([src]);
  await cachedFilter(cache, id, 'default x64 CAP_W', program(6));
  for (const f of readdirSync(cache)) chmodSync(join(cache, f), 0o666);
  const before = compiles;
  const r = await cachedFilter(cache, id, 'default x64 CAP_W', program(7));
  assert.is(r[0], 7);
  assert.is(compiles, before + 1);
});

test('without a known compiler identity nothing is cached', async () => {
  const before = compiles;
  assert.is(compilerIdentity([join(dir, 'missing.js')]), '');
  await cachedFilter(join(dir, 'nocache'), '', 'k', program(5));
  await cachedFilter(join(dir, 'nocache'), '', 'k', program(5));
  assert.is(compiles, before + 2);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
