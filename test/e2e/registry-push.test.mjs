// Issue 5: hx push to Debian's docker-registry on 127.0.0.1, read back by skopeo:
// HEAD skips, cross-repository mounts (and the 202 fallback), --format, gzip on the way
// out, chunked uploads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as hxLib from '../lib/hx.mjs';
import { registryTestWorld, startRegistry } from '../lib/registry.mjs';
import { startFaultProxy } from '../lib/fault-proxy.mjs';
import { buildLayout, busyboxFiles, pushLayout, skopeo, stage } from '../lib/oci-build.mjs';

const world = await registryTestWorld(hxLib);
const { env } = world;
const registry = await startRegistry({ dir: join(world.base, 'registry') });
const proxy = await startFaultProxy(registry.port);
const R = registry.host;
const P = proxy.host;
const layout = join(world.base, 'layout');
const built = buildLayout(layout, [{ tag: 'app', layers: [busyboxFiles(), { 'etc/app.conf': 'x=1\n' }], cmd: ['cat', '/etc/app.conf'] }]);
pushLayout(layout, 'app', `${R}/src/app:1`);
const hxa = (args) => hxLib.hxAsync(args, { env });
const inspectRaw = (ref) => JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]).stdout);
const inspect = (ref) => JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${ref}`]).stdout);
/** skopeo copy checks every blob's digest on the way: a clean copy means the registry holds what it should. */
function skopeoCopies(ref) {
  const dir = join(world.base, `copy-${Math.random().toString(36).slice(2)}`);
  const r = skopeo(['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${dir}:x`], { allowFail: true });
  assert.is(r.status, 0, r.stderr);
}

test('push to another repository: layers mounted from where the image came from, read back by skopeo', async () => {
  const pulled = await hxa(['pull', '--tls-verify=false', `${R}/src/app:1`]);
  assert.is(pulled.code, 0, pulled.stderr);
  const r = await hxa(['push', '--tls-verify=false', `${R}/src/app:1`, `${R}/dst/app:1`]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `The push refers to repository [${R}/dst/app]`);
  for (const l of built.app.layers) assert.match(r.stdout, `${l.digest.slice(7, 19)}: Mounted from src/app`);
  // The stored manifest went out byte for byte: same digest as the source.
  assert.match(r.stdout, `1: digest: ${built.app.manifestDigest} size: ${built.app.manifestSize}`);
  assert.is(inspect(`${R}/dst/app:1`).Digest, built.app.manifestDigest);
  skopeoCopies(`${R}/dst/app:1`);
  // Again: every blob is there already.
  const again = await hxa(['push', '--tls-verify=false', `${R}/src/app:1`, `${R}/dst/app:1`]);
  assert.is(again.code, 0, again.stderr);
  for (const l of built.app.layers) assert.match(again.stdout, `${l.digest.slice(7, 19)}: Already exists`);
  // The push is recorded in RepoDigests.
  const img = JSON.parse((await hxa(['image', 'inspect', `${R}/src/app:1`])).stdout);
  assert.ok((Array.isArray(img) ? img[0] : img).RepoDigests.includes(`${R}/dst/app@${built.app.manifestDigest}`));
});

test('--format v2s2 and --format oci write the manifest types asked for', async () => {
  const v2 = await hxa(['push', '--tls-verify=false', '--format', 'v2s2', `${R}/src/app:1`, `${R}/fmt/app:v2s2`]);
  assert.is(v2.code, 0, v2.stderr);
  const m = inspectRaw(`${R}/fmt/app:v2s2`);
  assert.is(m.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.is(m.config.mediaType, 'application/vnd.docker.container.image.v1+json');
  for (const l of m.layers) assert.is(l.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
  assert.equal(m.layers.map((l) => l.digest), built.app.layers.map((l) => l.digest));
  skopeoCopies(`${R}/fmt/app:v2s2`);
  const oci = await hxa(['push', '--tls-verify=false', '--format', 'oci', `${R}/src/app:1`, `${R}/fmt/app:oci`]);
  assert.is(oci.code, 0, oci.stderr);
  assert.is(inspectRaw(`${R}/fmt/app:oci`).mediaType, 'application/vnd.oci.image.manifest.v1+json');
  const bad = await hxa(['push', '--tls-verify=false', '--format', 'v1', `${R}/src/app:1`, `${R}/fmt/app:x`]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, 'unknown manifest format');
});

test('an uncompressed layer is gzipped on the way out, uploaded in chunks, after a refused mount (202)', async () => {
  // A one-layer image from a plain tar: its layer is stored uncompressed.
  const rootfs = join(world.base, 'rootfs');
  mkdirSync(rootfs);
  stage(rootfs, { ...busyboxFiles(), 'etc/imported': 'yes\n' });
  const tar = join(world.base, 'rootfs.tar');
  execFileSync('tar', ['--numeric-owner', '-C', rootfs, '-cf', tar, '.']);
  const imp = await hxa(['import', '--change', 'CMD ["cat", "/etc/imported"]', tar, 'local/imported:1']);
  assert.is(imp.code, 0, imp.stderr);
  // A name in a repository of the destination registry that lacks the blobs: the mount gets 202.
  assert.is((await hxa(['tag', 'local/imported:1', `${P}/ghost/app:1`])).code, 0);
  world.setConfig({ chunkSizeBytes: 256 * 1024 });
  proxy.log.length = 0;
  const r = await hxa(['push', '--tls-verify=false', 'local/imported:1', `${P}/dst2/app:1`]);
  world.setConfig({});
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /: Pushed/);
  const mount = proxy.log.find((e) => e.method === 'POST' && /mount=sha256/.test(e.path));
  assert.ok(mount && /from=ghost%2Fapp/.test(mount.path), JSON.stringify(proxy.log));
  const patches = proxy.log.filter((e) => e.method === 'PATCH');
  assert.ok(patches.length >= 3, `chunked upload: ${patches.length} PATCH requests`);
  // The upload continued at the Location of the 202, query included.
  assert.ok(patches[0].path.includes('_state='), patches[0].path);
  const m = inspectRaw(`${R}/dst2/app:1`);
  assert.is(m.layers.length, 1);
  assert.is(m.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  skopeoCopies(`${R}/dst2/app:1`);
  // Pulled back into an empty store: the same image (same config, same diff_id).
  const id = (await hxa(['images', '-q', '--no-trunc', 'local/imported:1'])).stdout.trim();
  const other = { ...env, HX_STORAGE_ROOT: join(world.base, 'store2') };
  const back = await hxLib.hxAsync(['pull', '-q', '--tls-verify=false', `${R}/dst2/app:1`], { env: other });
  try {
    assert.is(back.code, 0, back.stderr);
    assert.is(hxLib.hx(['images', '-q', '--no-trunc'], { env: other }).stdout.trim(), id);
  } finally {
    hxLib.hx(['unshare', '--', 'rm', '-rf', other.HX_STORAGE_ROOT], { env });
  }
});

test('push errors: an ID without a destination, a registry that is down', async () => {
  const id = (await hxa(['images', '-q', `${R}/src/app:1`])).stdout.trim();
  const r = await hxa(['push', id]);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'is an image ID, not a name to push to');
  const down = await hxa(['push', '--tls-verify=false', `${R}/src/app:1`, '127.0.0.1:1/x/y:1']);
  assert.is(down.code, 1);
  assert.match(down.stderr, 'cannot reach registry 127.0.0.1:1');
});

test.after(async () => {
  await proxy.stop();
  await registry.stop();
  world.cleanup();
});

test.run();
