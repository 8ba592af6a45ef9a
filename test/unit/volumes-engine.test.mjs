// engine.volumes over a real store, no container needed: create's rules (names, the local
// driver's options, drivers), docker's idempotent create, list filters, rm and prune. The
// in-use rules need containers: test/e2e/volumes.test.mjs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, Filters } from '../../dist/engine/index.js';

const base = mkdtempSync(join(tmpdir(), 'hx-volumes-engine-'));
let n = 0;
const engine = () => new Engine({ storageRoot: join(base, `s${++n}`) });
const rejects = async (p, check) => {
  try {
    await p;
  } catch (e) {
    check(e);
    return;
  }
  assert.unreachable('expected a rejection');
};
const f = (...values) => Filters.fromFlags(values);

test('create: a record and an empty _data; a taken name gives the existing volume; no name: anonymous', async () => {
  const e = engine();
  const v = await e.volumes.create({ name: 'web-data', labels: { a: 'b' } });
  assert.equal({ ...v, CreatedAt: '' }, { Name: 'web-data', Driver: 'local', CreatedAt: '', Labels: { a: 'b' }, Options: {}, Scope: 'local' });
  const doc = e.volumes.inspect('web-data');
  assert.is(doc.Mountpoint, join(e.context.storageRoot, 'volumes', 'web-data', '_data'));
  assert.ok(existsSync(doc.Mountpoint));
  assert.equal(await e.volumes.create({ name: 'web-data', labels: { other: '1' } }), v, 'docker returns the existing one');
  const anon = await e.volumes.create();
  assert.match(anon.Name, /^[a-f0-9]{64}$/);
  assert.equal(anon.Labels, { 'com.docker.volume.anonymous': '' });
});

test("create refuses: bad names, other drivers, the local driver's unknown or incomplete options", async () => {
  const e = engine();
  const refused = async (req, message, kind = 'invalid-argument') =>
    rejects(e.volumes.create(req), (err) => {
      assert.is(err.message, message);
      assert.is(err.kind, kind);
      assert.is(err.exitCode, 1);
    });
  await refused({ name: 'a/b' }, 'create a/b: "a/b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path');
  await refused({ name: 'x' }, 'create x: volume name is too short, names should be at least two alphanumeric characters');
  await refused({ name: 'vv', driver: 'nfs' }, 'create vv: error looking up volume plugin nfs: plugin "nfs" not found', 'not-found');
  await refused({ name: 'vv', options: { colour: 'red' } }, 'create vv: invalid option: "colour"');
  await refused({ name: 'vv', options: { o: 'size=1m' } }, 'create vv: missing required option: "type"');
  await refused({ name: 'vv', options: { type: 'none', o: 'bind' } }, 'create vv: missing required option: "device"');
  await refused({ name: 'vv', options: { type: 'none', o: 'bind', device: 'rel' } }, 'create vv: invalid device "rel": a bind needs an absolute host path');
  await refused({ name: 'vv', options: { type: 'ext4', device: '/dev/sda1' } }, "create vv: the local driver's type=ext4 cannot be mounted by hx", 'not-implemented');
  assert.equal(e.volumes.list(), []);
  assert.ok(await e.volumes.create({ name: 'tm', options: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } }));
  assert.ok(await e.volumes.create({ name: 'bd', options: { type: 'none', o: 'bind', device: '/srv' } }));
});

test('list: sorted, filters name (regexp), label, driver, dangling; unknown filters refused', async () => {
  const e = engine();
  for (const [name, labels] of [['beta', { tier: 'db' }], ['alpha', { tier: 'web', x: '' }], ['gamma', {}]]) await e.volumes.create({ name, labels });
  const names = (filters) => e.volumes.list({ filters }).map((v) => v.Name);
  assert.equal(names(), ['alpha', 'beta', 'gamma']);
  assert.equal(names(f('name=^.a')), ['gamma']);
  assert.equal(names(f('name=beta', 'name=alpha')), ['alpha', 'beta']);
  assert.equal(names(f('label=tier')), ['alpha', 'beta']);
  assert.equal(names(f('label=tier=db')), ['beta']);
  assert.equal(names(f('driver=local')), ['alpha', 'beta', 'gamma']);
  assert.equal(names(f('dangling=true')), ['alpha', 'beta', 'gamma']);
  assert.equal(names(f('dangling=false')), []);
  assert.throws(() => names(f('dangling=maybe')), /invalid filter 'dangling=\[maybe\]'/);
  assert.throws(() => names(f('until=1h')), /invalid filter 'until'/);
  const sized = e.volumes.list({ sizes: true }).find((v) => v.Name === 'beta');
  assert.is(sized.size, 0);
  writeFileSync(join(e.volumes.inspect('beta').Mountpoint, 'f'), 'x'.repeat(1000));
  assert.is(e.volumes.list({ sizes: true }).find((v) => v.Name === 'beta').size, 1000);
});

test('rm: a missing volume is not-found ("get X: no such volume"), forgiven with force; prune: anonymous only unless all', async () => {
  const e = engine();
  await rejects(e.volumes.remove('nope'), (err) => {
    assert.is(err.message, 'get nope: no such volume');
    assert.is(err.kind, 'not-found');
  });
  await e.volumes.remove('nope', true);
  await e.volumes.create({ name: 'named1', labels: { keep: 'no' } });
  await e.volumes.create({ name: 'named2' });
  const anon = (await e.volumes.create({ labels: { keep: 'no' } })).Name;
  const anon2 = (await e.volumes.create()).Name;
  writeFileSync(join(e.volumes.inspect(anon2).Mountpoint, 'f'), 'y'.repeat(300));
  assert.equal(await e.volumes.prune({ filters: f('label!=keep=no') }), { deleted: [anon2], reclaimed: 300 });
  assert.equal((await e.volumes.prune({ filters: f('label=keep=no') })).deleted, [anon]);
  assert.equal((await e.volumes.prune({ filters: f('all=true', 'label=keep') })).deleted, ['named1']);
  for (const bad of ['until=1h', 'dangling=true']) await rejects(e.volumes.prune({ filters: f(bad) }), (err) => assert.is(err.message, `invalid filter '${bad.split('=')[0]}'`));
  assert.equal((await e.volumes.prune({ all: true })).deleted, ['named2']);
  assert.equal(e.volumes.list(), []);
  await e.volumes.remove('nope', true);
});

test.after(() => rmSync(base, { recursive: true, force: true }));
test.run();
