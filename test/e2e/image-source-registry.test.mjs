// The registry's ImageSource (RemoteImage) through the conformance validator: images
// skopeo pushed to Debian's docker-registry on 127.0.0.1 (by tag and by digest, an
// index), plain layers served by a tiny registry, the source a pull hands its
// destination (layers that follow downloads still in progress), and registries that lie
// (a fault proxy corrupting a blob, a tiny registry serving a wrong diff_id, a wrong
// media type, wrong sizes), each lie named by the validator. No store, no namespace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as hxLib from '../lib/hx.mjs';
import { startRegistry } from '../lib/registry.mjs';
import { startFaultProxy } from '../lib/fault-proxy.mjs';
import { startTinyRegistry } from '../lib/tiny-registry.mjs';
import { buildLayout, busyboxFiles, pushLayout } from '../lib/oci-build.mjs';
import { makeTar } from '../lib/tar-build.mjs';
import { userFiles } from '../../dist/host/user-files.js';
import { hostPlatform } from '../../dist/image/platform.js';
import { parseNormalized } from '../../dist/image/reference.js';
import { RegistrySession } from '../../dist/image/registry/client.js';
import { pullImage } from '../../dist/image/registry/pull.js';
import { resolveRemoteImage } from '../../dist/image/registry/remote-image.js';
import { imageId } from '../../dist/image/source.js';
import { validateImageSource } from '../../dist/image/validate.js';

hxLib.need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
const base = hxLib.tempDir('hx-source-reg-');
const registry = await startRegistry({ dir: join(base, 'registry') });
const proxy = await startFaultProxy(registry.port);
const tiny = await startTinyRegistry();
const R = registry.host;
const P = proxy.host;
const T = tiny.host;
const sha256 = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const host = hostPlatform();
const other = host.architecture === 'arm64' ? { architecture: 'amd64' } : { architecture: 'arm64', variant: 'v8' };

const layout = join(base, 'layout');
const built = buildLayout(layout, [
  { tag: 'gz', layers: [busyboxFiles(), { 'etc/hello': 'hello\n' }, { 'srv/data.bin': Buffer.alloc(2_000_000, 0x5a) }], cmd: ['cat', '/etc/hello'] },
  { tag: 'plain', gzip: false, layers: [busyboxFiles(), { 'etc/plain': 'not compressed\n' }] },
  { tag: 'host', architecture: host.architecture, variant: host.variant, layers: [{ 'etc/arch': `${host.architecture}\n` }] },
  { tag: 'other', ...other, layers: [{ 'etc/arch': `${other.architecture}\n` }] },
], [{ tag: 'multi', of: ['host', 'other'] }]);
pushLayout(layout, 'gz', `${R}/src/app:gz`);
pushLayout(layout, 'multi', `${R}/src/multi:1`, { all: true });

const files = userFiles({ HOME: join(base, 'home'), XDG_CONFIG_HOME: join(base, 'config'), HX_REGISTRIES_CONF: join(base, 'registries.json') });
const session = new RegistrySession({ files, tlsVerify: false });
const remote = (ref, o = {}) => {
  const r = parseNormalized(ref);
  return resolveRemoteImage(session.endpoint(r.domain).repository(r.path), r, o);
};

async function valid(src, what) {
  const problems = await validateImageSource(src);
  assert.equal(problems, [], `${what}: ${problems.join('; ')}`);
}

test('an image skopeo pushed, gzip layers: a valid source, named and digested as a pull records it', async () => {
  const img = await remote(`${R}/src/app:gz`);
  assert.equal(img.names, [`${R}/src/app:gz`]);
  assert.equal(img.repoDigests, [`${R}/src/app@${built.gz.manifestDigest}`]);
  assert.is(img.manifest.digest, built.gz.manifestDigest);
  assert.is(imageId(img), built.gz.configDigest);
  assert.equal(img.layers.map((l) => [l.digest, l.size]), built.gz.layers.map((l) => [l.digest, l.size]));
  await valid(img, 'gz');
});

test('plain layers (skopeo would compress them: served as the layout holds them), and an image by digest', async () => {
  const blob = (digest) => readFileSync(join(layout, 'blobs', 'sha256', digest.slice(7)));
  const p = built.plain;
  const blobs = { [p.configDigest]: blob(p.configDigest) };
  for (const l of p.layers) blobs[l.digest] = blob(l.digest);
  tiny.put('plain/app', { manifests: { latest: { bytes: blob(p.manifestDigest), mediaType: 'application/vnd.oci.image.manifest.v1+json' } }, blobs });
  const img = await remote(`${T}/plain/app:latest`);
  assert.equal(img.layers.map((l) => l.mediaType), p.layers.map(() => 'application/vnd.oci.image.layer.v1.tar'));
  await valid(img, 'plain');
  const byDigest = await remote(`${R}/src/app@${built.gz.manifestDigest}`);
  assert.equal(byDigest.names, []);
  assert.equal(byDigest.repoDigests, [`${R}/src/app@${built.gz.manifestDigest}`]);
  assert.is(imageId(byDigest), built.gz.configDigest);
  await valid(byDigest, 'by digest');
});

test("an index: the platform's manifest is the source's, the index digest its repo digest", async () => {
  const mine = await remote(`${R}/src/multi:1`);
  assert.is(mine.manifest.digest, built.host.manifestDigest);
  assert.equal(mine.repoDigests, [`${R}/src/multi@${built.multi.manifestDigest}`]);
  await valid(mine, 'index, host platform');
  const theirs = await remote(`${R}/src/multi:1`, { platform: { os: 'linux', ...other } });
  assert.is(imageId(theirs), built.other.configDigest);
  await valid(theirs, 'index, other platform');
});

test('the source a pull hands its destination: layers that follow downloads still running, valid', async () => {
  const blobs = join(base, 'dest-blobs');
  const work = join(base, 'dest-work');
  mkdirSync(blobs);
  mkdirSync(work);
  const events = [];
  let problems;
  const destination = {
    findImage: () => undefined,
    readBlob: () => undefined,
    begin: async () => ({
      dir: work,
      has: () => undefined,
      publishBlob: async (file, digest) => {
        renameSync(file, join(blobs, digest));
        events.push(`publish ${digest}`);
      },
      openBlob: (digest) => createReadStream(join(blobs, digest)),
      storeImage: async (src) => {
        events.push('store');
        problems = await validateImageSource(src);
        return imageId(src);
      },
      release: () => events.push('release'),
    }),
  };
  const last = built.gz.layers[2].digest;
  proxy.rules.push({ match: new RegExp(last), delayMs: 1500, times: 1 });
  const r = await pullImage({ reference: parseNormalized(`${P}/src/app:gz`), session, destination });
  assert.is(r.id, built.gz.configDigest);
  assert.equal(problems, []);
  assert.ok(events.indexOf('store') < events.indexOf(`publish ${last}`), `the sink began before the last download ended: ${events.join(', ')}`);
  assert.is(events.at(-1), 'release');
  assert.is(events.filter((e) => e.startsWith('publish ')).length, 3);
});

test('a proxy that corrupts a blob: the validator names the layer and the digest', async () => {
  const victim = built.gz.layers[1].digest;
  proxy.rules.length = 0;
  proxy.rules.push({ match: new RegExp(victim), corrupt: true });
  try {
    const img = await remote(`${P}/src/app:gz`);
    const problems = await validateImageSource(img);
    assert.is(problems.length, 1, problems.join('\n'));
    assert.match(problems[0], `layer 2 (layer ${victim.slice(7, 19)}): open() gives no readable blob: `);
    assert.match(problems[0], /does not match its digest/);
  } finally {
    proxy.rules.length = 0;
  }
});

test('a registry that lies about diff_ids, media types and sizes: each lie named', async () => {
  const tar = makeTar([{ name: 'hello', data: 'from the tiny registry\n' }]);
  const gz = gzipSync(tar);
  const config = (diffIds) => Buffer.from(JSON.stringify({ architecture: host.architecture, ...(host.variant ? { variant: host.variant } : {}), os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }));
  const serve = (name, configBytes, layers) => {
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(configBytes), size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: sha256(l.bytes), size: l.size ?? l.bytes.length })),
    };
    const blobs = { [sha256(configBytes)]: configBytes };
    for (const l of layers) blobs[sha256(l.bytes)] = l.bytes;
    tiny.put(name, { manifests: { latest: { bytes: Buffer.from(JSON.stringify(manifest)), mediaType: manifest.mediaType } }, blobs });
  };
  const gzType = 'application/vnd.oci.image.layer.v1.tar+gzip';
  const wrong = `sha256:${'d'.repeat(64)}`;
  serve('lies/diffid', config([wrong]), [{ bytes: gz, mediaType: gzType }]);
  serve('lies/type', config([sha256(tar)]), [{ bytes: tar, mediaType: gzType }]);
  serve('lies/long', config([sha256(tar)]), [{ bytes: gz, mediaType: gzType, size: gz.length + 10 }]);
  serve('lies/short', config([sha256(tar)]), [{ bytes: gz, mediaType: gzType, size: gz.length - 10 }]);
  const label = (b) => `layer 1 (layer ${sha256(b).slice(7, 19)})`;
  const check = async (name) => validateImageSource(await remote(`${T}/${name}`));
  assert.equal(await check('lies/diffid'), [`${label(gz)}: the config's diff_id is ${wrong}, but its uncompressed bytes hash to ${sha256(tar)}`]);
  assert.equal(await check('lies/type'), [`${label(tar)}: media type ${gzType} means gzip, but the blob is not compressed`]);
  const long = await check('lies/long');
  assert.is(long.length, 1, long.join('\n'));
  assert.match(long[0], `${label(gz)}: open() gives no readable blob: connection ended after ${gz.length} of ${gz.length + 10} bytes`);
  const short = await check('lies/short');
  assert.is(short.length, 1, short.join('\n'));
  assert.match(short[0], `${label(gz)}: open() gives no readable blob: 127.0.0.1:${tiny.port}/lies/short sent more than the ${gz.length - 10} bytes`);
});

test.after(async () => {
  session.close();
  await tiny.stop();
  await proxy.stop();
  await registry.stop();
  rmSync(base, { recursive: true, force: true });
});

test.run();
