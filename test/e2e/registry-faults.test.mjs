// Issue 5: pulls through a fault-injecting proxy on 127.0.0.1. Each fault either heals
// (retry, resume with Range) or fails clearly, and the store never keeps anything corrupt.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as hxLib from '../lib/hx.mjs';
import { registryTestWorld, startRegistry } from '../lib/registry.mjs';
import { startFaultProxy } from '../lib/fault-proxy.mjs';
import { buildLayout, busyboxFiles, pushLayout } from '../lib/oci-build.mjs';

const world = await registryTestWorld(hxLib);
const { env } = world;
const registry = await startRegistry({ dir: join(world.base, 'registry') });
const proxy = await startFaultProxy(registry.port);
const P = proxy.host;
const layout = join(world.base, 'layout');
// Random bytes do not compress: the blob stays big enough to cut in the middle.
const built = buildLayout(layout, [
  { tag: 'img', layers: [busyboxFiles(), { 'srv/random.bin': randomBytes(4_000_000) }, { 'etc/last': 'last layer\n' }] },
]);
const img = built.img;
pushLayout(layout, 'img', `${registry.host}/fault/img:1`);
// Layer dirs are keyed by chain ID: ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
const chains = img.layers.reduce((acc, l) => [...acc, acc.length ? `sha256:${createHash('sha256').update(`${acc.at(-1)} ${l.diffId}`).digest('hex')}` : l.diffId], []);
const blobPath = (d) => join(env.HX_STORAGE_ROOT, 'blobs', 'sha256', d.slice(7));
const pull = (args = []) => hxLib.hxAsync(['pull', '--tls-verify=false', ...args, `${P}/fault/img:1`], { env });
const hxs = (args) => hxLib.hx(args, { env });

/** The store holds only what it can trust: every blob hashes to its name, no image half-made. */
function assertStoreSound() {
  const check = hxs(['unshare', '--', 'sh', '-c', `cd ${env.HX_STORAGE_ROOT}/blobs/sha256 && set -- * && { [ -e "$1" ] || exit 0; } && for f; do echo "$f  $f"; done | sha256sum -c --quiet`]);
  assert.is(check.code, 0, `a blob does not match its name: ${check.stdout}${check.stderr}`);
  const tmp = readdirSync(join(env.HX_STORAGE_ROOT, 'tmp'));
  assert.equal(tmp, [], `temp files left behind: ${tmp}`);
}

function reset() {
  proxy.rules.length = 0;
  proxy.log.length = 0;
  const r = hxs(['system', 'reset', '-f']);
  assert.is(r.code, 0, r.stderr);
}

test('a blob whose bytes do not match its digest: exit 1, nothing of it stored', async () => {
  reset();
  proxy.rules.push({ match: new RegExp(img.layers[1].digest), corrupt: true });
  const r = await pull();
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, 'does not match its digest');
  assert.match(r.stderr, img.layers[1].digest);
  assert.not.ok(existsSync(blobPath(img.layers[1].digest)), 'the corrupt blob was kept');
  assert.is(hxs(['images', '-q']).stdout, '');
  for (const c of chains.slice(1)) assert.not.ok(existsSync(join(env.HX_STORAGE_ROOT, 'layers', c.slice(7))), 'a layer of the failed image was kept');
  assertStoreSound();
  // Once the data is right again, the same pull works.
  proxy.rules.length = 0;
  const ok = await pull(['-q']);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(hxs(['images', '-q', '--no-trunc']).stdout.trim(), img.configDigest);
  assertStoreSound();
});

test('a connection cut midway: the pull resumes with Range and completes', async () => {
  reset();
  proxy.rules.push({ match: new RegExp(img.layers[1].digest), cutAfter: 1_000_000, times: 1 });
  const r = await pull();
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /retrying/);
  const gets = proxy.log.filter((e) => e.method === 'GET' && e.path.endsWith(img.layers[1].digest));
  assert.is(gets.length, 2, JSON.stringify(gets));
  assert.is(gets[0].action, 'cut after 1000000');
  assert.match(gets[1].range ?? '', /^bytes=[1-9]\d*-$/, 'the second request resumes where the first stopped');
  assert.is(hxs(['images', '-q', '--no-trunc']).stdout.trim(), img.configDigest);
  assertStoreSound();
});

test('429 with Retry-After and 503s are waited out; a registry that keeps failing ends with exit 1', async () => {
  reset();
  proxy.rules.push({ match: /\/manifests\//, status: 429, retryAfter: '1', times: 1 });
  proxy.rules.push({ match: new RegExp(img.layers[2].digest), status: 503, times: 2 });
  const t = Date.now();
  const r = await pull();
  assert.is(r.code, 0, r.stderr);
  assert.ok(Date.now() - t >= 1000, 'Retry-After was honoured');
  assert.match(r.stderr, /retrying in 1\.0 s \(attempt 1\): .*HTTP 429/);
  assert.match(r.stderr, /HTTP 503/);
  reset();
  world.setConfig({ retries: 2, maxRetryDelaySeconds: 1 });
  proxy.rules.push({ match: /\/manifests\//, status: 500 });
  const bad = await pull();
  world.setConfig({});
  assert.is(bad.code, 1);
  assert.match(bad.stderr, `${P} answered HTTP 500`);
  assert.is(proxy.log.filter((e) => e.path.includes('/manifests/')).length, 3, 'one try and two retries');
  assertStoreSound();
});

test('kill -9 of hx pull midway, then a new pull completes and reuses what was verified', async () => {
  reset();
  // The last layer stalls, so the first two are downloaded and verified when the kill comes.
  proxy.rules.push({ match: new RegExp(img.layers[2].digest), delayMs: 60_000, times: 1 });
  const child = spawn(hxLib.hxBin, ['pull', '--tls-verify=false', `${P}/fault/img:1`], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const deadline = Date.now() + 30_000;
  while (!(existsSync(blobPath(img.layers[0].digest)) && existsSync(blobPath(img.layers[1].digest)))) {
    assert.ok(Date.now() < deadline, 'the first layers never arrived');
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  assert.is(hxs(['images', '-q']).stdout, '', 'no image record after the kill');
  proxy.log.length = 0;
  const r = await pull();
  assert.is(r.code, 0, r.stderr);
  const fetched = proxy.log.filter((e) => e.method === 'GET' && e.path.includes('/blobs/')).map((e) => e.path.split('/').pop());
  assert.not.ok(fetched.includes(img.layers[0].digest), 'layer 1 was downloaded again');
  assert.not.ok(fetched.includes(img.layers[1].digest), 'layer 2 was downloaded again');
  assert.ok(fetched.includes(img.layers[2].digest));
  assertStoreSound();
});

test.after(async () => {
  await proxy.stop();
  await registry.stop();
  world.cleanup();
});

test.run();
