// Issue 9, items 7 and 8: a registry on 127.0.0.1 that lies (a config size that is too big
// or too small, md5 digests, a config whose Cmd holds a number) makes `hx pull` fail with
// a message naming the field, before any layer blob is requested and with nothing stored;
// `hx load` refuses the same config and an archive whose manifest.json is a symlink; an
// unmapped --user names the real extent of the id map.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as hxLib from '../lib/hx.mjs';
import { registryTestWorld } from '../lib/registry.mjs';
import { sha256, startTinyRegistry } from '../lib/tiny-registry.mjs';
import { makeTar } from '../lib/tar-build.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';
import { hostPlatform } from '../../dist/image/platform.js';

hxLib.need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
const world = await registryTestWorld(hxLib);
const { env } = world;
const registry = await startTinyRegistry();
const R = registry.host;
const host = hostPlatform();
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const md5 = (b) => `md5:${createHash('md5').update(b).digest('hex')}`;
// Async: the registry runs in this process, so a synchronous spawn would starve it.
const pull = (ref) => hxLib.hxAsync(['pull', '--tls-verify=false', ref], { env });
const hxs = (args, opts = {}) => hxLib.hx(args, { ...opts, env });

const layerTar = makeTar([{ name: 'hello', data: 'hello from the tiny registry\n' }]);
const goodConfig = { architecture: host.architecture, ...(host.variant ? { variant: host.variant } : {}), os: 'linux', config: { Cmd: ['/hello'] }, rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] } };

/**
 * Serve repository NAME with one image: CONFIG (a document), the manifest's config size
 * set by configSize(real), digests made by DIGEST (sha256 unless told).
 */
function serve(name, { config = goodConfig, configSize = (n) => n, digest = sha256, layerDigest = digest, chunked = false } = {}) {
  const configBytes = Buffer.from(JSON.stringify(config));
  const c = digest(configBytes);
  const l = layerDigest(layerTar);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: c, size: configSize(configBytes.length) },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l, size: layerTar.length }],
  };
  registry.put(name, { manifests: { latest: { bytes: Buffer.from(JSON.stringify(manifest)), mediaType: OCI_MANIFEST } }, blobs: { [c]: configBytes, [l]: layerTar }, chunked });
  return { configDigest: c, layerDigest: l, configLength: configBytes.length };
}

const blobRequests = () => registry.log.filter((e) => e.path.includes('/blobs/')).map((e) => decodeURIComponent(e.path.split('/').pop()));
const images = () => hxs(['images', '-q', '--no-trunc']).stdout.trim();

/** A pull that must fail: exit 1, one message matching MESSAGE, no layer requested, nothing stored. */
async function refusedPull(name, message, img) {
  registry.log.length = 0;
  const r = await pull(`${R}/${name}`);
  assert.is(r.code, 1, `${name}: exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, message, `${name}: ${r.stderr}`);
  assert.match(r.stderr, /^hx: /, `${name}: an hx error line`);
  const blobs = blobRequests();
  assert.not.ok(blobs.includes(img.layerDigest), `${name}: the layer blob was requested (${JSON.stringify(registry.log)})`);
  assert.ok(registry.log.some((e) => e.path === `/v2/${name}/manifests/latest`), `${name}: the manifest was asked for`);
  assert.is(images(), '', `${name}: nothing was stored`);
  return { r, blobs };
}

test('the fixture serves a truthful image that hx pulls (so the refusals below are the lies\'s doing)', async () => {
  const img = serve('truthful');
  const r = await pull(`${R}/truthful`);
  assert.is(r.code, 0, r.stderr);
  assert.ok(blobRequests().includes(img.layerDigest));
  assert.is(images(), img.configDigest);
  assert.is(hxs(['rmi', `${R}/truthful`]).code, 0);
  assert.is(images(), '');
});

test('a config size that lies, bigger or smaller, with or without Content-Length: refused naming the manifest config', async () => {
  for (const chunked of [false, true]) {
    const bigger = serve(`lies/bigger-${chunked}`, { configSize: (n) => n + 100, chunked });
    const { blobs } = await refusedPull(`lies/bigger-${chunked}`, new RegExp(`manifest config: size ${bigger.configLength + 100} but the blob has ${bigger.configLength} bytes`), bigger);
    assert.equal(blobs, [bigger.configDigest], 'only the config was requested');
    const smaller = serve(`lies/smaller-${chunked}`, { configSize: (n) => n - 10, chunked });
    // With Content-Length the length is known at once; without, reading stops at size + 1.
    const has = chunked ? `more than ${smaller.configLength - 10}` : `${smaller.configLength}`;
    await refusedPull(`lies/smaller-${chunked}`, new RegExp(`${R}/lies/smaller-${chunked}:latest: manifest config: size ${smaller.configLength - 10} but the blob has ${has} bytes`), smaller);
  }
});

test('md5 digests: refused when the manifest is parsed, before any blob is requested', async () => {
  const all = serve('md5/all', { digest: md5 });
  const { blobs } = await refusedPull('md5/all', /manifest config: digest algorithm md5 is not supported \(hx verifies sha256\)/, all);
  assert.equal(blobs, [], 'no blob at all');
  const layers = serve('md5/layers', { layerDigest: md5 });
  const second = await refusedPull('md5/layers', /manifest layers\[0\]: digest algorithm md5 is not supported/, layers);
  assert.equal(second.blobs, [], 'not even the config');
  // By digest in the reference: refused before the first request.
  registry.log.length = 0;
  const r = await pull(`${R}/md5/all@md5:${'0'.repeat(32)}`);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /digest algorithm md5 is not supported/);
  assert.equal(registry.log.filter((e) => e.path !== '/v2/'), []);
});

test('a config whose Cmd holds a number: refused at pull (after the config, before the layers) and at load', async () => {
  const bad = { ...goodConfig, config: { Cmd: ['sh', 1] } };
  const img = serve('bad/cmd', { config: bad });
  const { blobs } = await refusedPull('bad/cmd', /image config: config\.Cmd\[1\] is a number, not a string/, img);
  assert.equal(blobs, [img.configDigest]);

  const configBytes = Buffer.from(JSON.stringify(bad));
  const cfgName = `${sha256(configBytes).slice(7)}.json`;
  const archive = makeTar([
    { name: cfgName, data: configBytes },
    { name: 'layer/layer.tar', data: layerTar },
    { name: 'manifest.json', data: JSON.stringify([{ Config: cfgName, RepoTags: ['bad/cmd:1'], Layers: ['layer/layer.tar'] }]) },
  ]);
  const r = hxs(['load'], { input: archive });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /^hx: docker\.io\/bad\/cmd:1: image config: config\.Cmd\[1\] is a number, not a string\n/);
  assert.is(images(), '');
});

test('an archive whose manifest.json is a symlink out of it is reported as a symlink, not as missing', () => {
  const r = hxs(['load'], { input: makeTar([{ name: 'manifest.json', type: 'symlink', linkname: '../x' }, { name: 'x', data: '[]' }]) });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /^hx: manifest\.json is a symlink \(to \.\.\/x\); archives must hold regular files\n/);
  assert.not.match(r.stderr, /no manifest\.json/);
});

test('--user beyond the id map: the hint gives the map\'s extent, not the single-id hint', () => {
  const rootfs = makeBusyboxRootfs(join(world.base, 'rootfs'));
  const map = hxs(['unshare', '--', 'cat', '/proc/self/uid_map']).stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const top = Math.max(...map.map(([inside, , count]) => inside + count - 1));
  assert.ok(map.length > 1 && top > 0, `a full map (subuid range) for this user: ${JSON.stringify(map)}`);
  const r = hxs(['run', '--rm', '--rootfs', rootfs, '--user', String(top + 1), 'true']);
  assert.is(r.code, 125, r.stderr);
  assert.match(r.stderr, /setuid/);
  assert.match(r.stderr, new RegExp(`hint: uid ${top + 1} is not mapped in the user namespace, which maps uids 0-${top}:`));
  assert.not.match(r.stderr, /single-id/);
  assert.is(hxs(['run', '--rm', '--rootfs', rootfs, '--user', String(top), 'true']).code, 0, 'the last mapped uid runs');
});

test.after(async () => {
  await registry.stop();
  world.cleanup();
});

test.run();
