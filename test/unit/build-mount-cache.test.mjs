// RUN --mount=type=cache directories (engine/build/mount-cache.ts) with real flocks in a temp
// store root: one directory per id, made with the owner and mode asked; shared lets two
// users in at once, private gives the second its own instance, locked makes it wait until
// the first lets go; prune removes what no one holds and skips what is held.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leaseCacheMount, pruneCacheMounts } from '../../dist/engine/build/mount-cache.js';

const root = mkdtempSync(join(tmpdir(), 'hx-mount-cache-'));
// leaseCacheMount reads only the store's root
const store = { root };
const uid = process.getuid();
const gid = process.getgid();
const req = (id, sharing, mode = 0o755) => ({ id, sharing, uid, gid, mode });

test('one directory per id, made with the mode asked; shared users get the same one at once', async () => {
  const a = await leaseCacheMount(store, req('/var/cache/apt', 'shared', 0o700));
  const b = await leaseCacheMount(store, req('/var/cache/apt', 'shared'));
  assert.is(a.dir, b.dir);
  assert.is(statSync(a.dir).mode & 0o777, 0o700, 'the first user made it; the second finds it as it is');
  const other = await leaseCacheMount(store, req('other', 'shared'));
  assert.is.not(other.dir, a.dir);
  for (const l of [a, b, other]) l.release();
});

test('private: a second user while the first holds it gets another instance; afterwards the first again', async () => {
  const a = await leaseCacheMount(store, req('p', 'private'));
  const b = await leaseCacheMount(store, req('p', 'private'));
  assert.is.not(a.dir, b.dir);
  a.release();
  const c = await leaseCacheMount(store, req('p', 'private'));
  assert.is(c.dir, a.dir);
  b.release();
  c.release();
});

test('locked: a second user waits until the first releases', async () => {
  const a = await leaseCacheMount(store, req('l', 'locked'));
  let got = false;
  const waiting = leaseCacheMount(store, req('l', 'locked')).then((l) => ((got = true), l));
  await new Promise((r) => setTimeout(r, 150));
  assert.is(got, false, 'still waiting while the first holds it');
  a.release();
  const b = await waiting;
  assert.is(b.dir, a.dir);
  b.release();
});

test('prune: removes the directories no one holds, keeps a held one', async () => {
  const held = await leaseCacheMount(store, req('held', 'shared'));
  writeFileSync(join(held.dir, 'f'), 'x'.repeat(100));
  const free = await leaseCacheMount(store, req('free', 'shared'));
  writeFileSync(join(free.dir, 'f'), 'y'.repeat(50));
  free.release();
  const r = pruneCacheMounts(store);
  assert.ok(r.removed >= 1);
  assert.ok(r.bytes >= 50);
  assert.ok(statSync(held.dir, { throwIfNoEntry: false }), 'held: kept');
  assert.is(statSync(free.dir, { throwIfNoEntry: false }), undefined);
  held.release();
  assert.is(pruneCacheMounts(store).removed, 1);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
