// The store's bookkeeping without namespaces: chain IDs, temp-dir cleanup of dead owners,
// pins and GC, image commit (digest/diff_id checks), lookups, archive reading (links,
// descriptor sizes and digests, configs), config
// merging for `hx run IMAGE`, and import's --change parsing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { chainIds } from '../../dist/store/digest.js';
import { Store } from '../../dist/store/store.js';
import { storeImage } from '../../dist/image/store-image.js';
import { imageSource } from '../../dist/image/source.js';
import { findImage } from '../../dist/image/resolve.js';
import { readArchive } from '../../dist/image/archive/read.js';
import { DirSource, TarFileSource } from '../../dist/image/archive/source.js';
import { mergeRunConfig } from '../../dist/container/config.js';
import { applyChanges } from '../../dist/image/import.js';
import { makeTar } from '../lib/tar-build.mjs';

const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const base = mkdtempSync(join(tmpdir(), 'hx-store-'));
const me = { uid: process.getuid(), gid: process.getgid() };
const ctx = { opaqueXattr: 'user.overlay.opaque', maxEntries: 1000, createDevices: false, ignoreChownErrors: false, umask: process.umask() };

function image(files, names = []) {
  const layers = files.map((f) => makeTar(Object.entries(f).map(([name, data]) => ({ name, data, ...me }))));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: layers.map(sha) } }));
  return imageSource({ configBytes: config, names, layers: layers.map((l, i) => ({ open: () => Readable.from([l]), mediaType: 'application/vnd.oci.image.layer.v1.tar', label: `layer ${i}` })) });
}

test('chain IDs follow the image spec', () => {
  const a = `sha256:${'a'.repeat(64)}`;
  const b = `sha256:${'b'.repeat(64)}`;
  assert.equal(chainIds([a, b]), [a, sha(`${a} ${b}`)]);
});

test('temp dirs of dead owners are removed; live ones are kept', () => {
  const s = new Store(join(base, 's1')).init();
  const live = s.tempDir('layer');
  mkdirSync(join(s.tmpDir, 'layer-999-dead'));
  writeFileSync(join(s.tmpDir, 'layer-999-dead.lock'), '');
  mkdirSync(join(s.tmpDir, 'orphan-without-lock'));
  s.cleanTemp();
  assert.ok(existsSync(live.path));
  assert.not.ok(existsSync(join(s.tmpDir, 'layer-999-dead')));
  assert.not.ok(existsSync(join(s.tmpDir, 'orphan-without-lock')));
  live.release();
  assert.equal(readdirSync(s.tmpDir), []);
});

test('commit, share layers, GC keeps what images and pins reference', async () => {
  const s = new Store(join(base, 's2')).init();
  const one = await storeImage(s, image([{ 'etc/a': 'a' }], ['docker.io/library/one:1']), ctx);
  const two = await storeImage(s, image([{ 'etc/a': 'a' }, { 'etc/b': 'b' }], ['docker.io/library/two:1']), ctx);
  assert.is(two.layers[0], one.layers[0], 'the shared base layer is stored once');
  assert.is(s.listLayers().length, 2);
  assert.is(findImage(s, 'one:1')?.id, one.id);
  assert.is(findImage(s, 'docker.io/library/two:1')?.id, two.id);
  assert.is(findImage(s, two.id.slice(7, 12))?.id, two.id);
  const pin = await s.locked(() => s.pin([two.layers[1]]));
  await s.locked(() => {
    s.deleteImage(two.id);
    s.gc();
  });
  assert.ok(s.getLayer(two.layers[1]), 'pinned layer survives GC');
  pin.release();
  const removed = await s.locked(() => s.gc());
  assert.equal(removed.layers, [two.layers[1]]);
  assert.ok(s.getLayer(one.layers[0]), 'a layer another image uses stays');
  assert.ok(s.hasBlob(one.id));
  assert.not.ok(s.hasBlob(two.id));
});

test('commit refuses a diff_id mismatch and leaves nothing referenced', async () => {
  const s = new Store(join(base, 's3')).init();
  const img = image([{ f: 'x' }], ['docker.io/library/bad:1']);
  img.layers[0].open = () => Readable.from([makeTar([{ name: 'f', data: 'y', ...me }])]);
  try {
    await storeImage(s, img, ctx);
    assert.unreachable();
  } catch (e) {
    assert.match(e.message, /diff_id/);
    assert.is(e.exitCode, 125);
  }
  assert.equal(s.listImages(), []);
  assert.equal(s.listLayers(), []);
  assert.equal(readdirSync(s.tmpDir).filter((n) => !n.startsWith('pin-')), []);
});

test('OCI layout: names from annotations, digests verified', () => {
  const dir = join(base, 'layout');
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  const put = (b) => {
    writeFileSync(join(dir, 'blobs/sha256', sha(b).slice(7)), b);
    return { digest: sha(b), size: b.length };
  };
  const layer = makeTar([{ name: 'f', data: 'x' }]);
  const l = put(layer);
  const cfg = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layer)] } })));
  const man = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l }] }));
  const m = put(man);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': 'example.com/app:2' } },
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
    { mediaType: 'application/vnd.example.unknown', digest: `sha256:${'0'.repeat(64)}`, size: 1 },
  ] }));
  const imgs = readArchive(new DirSource(dir));
  assert.is(imgs.length, 1);
  assert.equal(imgs[0].names, ['example.com/app:2']);
  assert.is(imgs[0].layers[0].digest, l.digest);
  // Docker 25+ writes both: manifest.json (names as RepoTags) over the same blobs.
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: `blobs/sha256/${cfg.digest.slice(7)}`, RepoTags: ['busybox:latest'], Layers: [`blobs/sha256/${l.digest.slice(7)}`] }]));
  const dual = readArchive(new DirSource(dir));
  assert.is(dual.length, 1);
  assert.equal(dual[0].names.sort(), ['docker.io/library/busybox:latest', 'example.com/app:2']);
  assert.is(dual[0].manifest.digest, m.digest, 'the OCI manifest is kept');
  rmSync(join(dir, 'manifest.json'));
  writeFileSync(join(dir, 'blobs/sha256', m.digest.slice(7)), Buffer.concat([man, Buffer.from(' ')]));
  assert.throws(() => readArchive(new DirSource(dir)), /does not match its digest/);
});

test('archives: a metadata file that is a link is refused as one; descriptor sizes and configs are checked before anything is stored', () => {
  const dir = join(base, 'links');
  mkdirSync(dir);
  writeFileSync(join(base, 'outside.json'), '[]');
  symlinkSync('../outside.json', join(dir, 'manifest.json'));
  assert.throws(() => readArchive(new DirSource(dir)), (e) => e.kind === 'data' && e.message === 'manifest.json is a symlink (to ../outside.json); archives must hold regular files');
  rmSync(join(dir, 'manifest.json'));
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  symlinkSync('oci-layout', join(dir, 'index.json')); // inside the archive, but still a link
  assert.throws(() => readArchive(new DirSource(dir)), /^index\.json is a symlink \(to oci-layout\)/);
  // The same in a tar: a symlink and a hard link leading out.
  const tarFile = (entries) => {
    const f = join(base, `links-${Math.random().toString(36).slice(2)}.tar`);
    writeFileSync(f, makeTar(entries));
    return new TarFileSource(f);
  };
  assert.throws(() => readArchive(tarFile([{ name: 'manifest.json', type: 'symlink', linkname: '../x' }])), /^manifest\.json is a symlink \(to \.\.\/x\); archives must hold regular files$/);
  assert.throws(() => readArchive(tarFile([{ name: 'manifest.json', type: 'hardlink', linkname: '../x' }])), /^manifest\.json is a hard link to \.\.\/x, which is not a file in the archive$/);
  // Truly missing is still reported as missing.
  assert.throws(() => readArchive(tarFile([{ name: 'other', data: 'x' }])), /neither a docker-archive \(no manifest\.json\)/);

  // An OCI layout whose descriptors lie about sizes, or use md5, or whose config is bad.
  const oci = join(base, 'lies');
  mkdirSync(join(oci, 'blobs/sha256'), { recursive: true });
  writeFileSync(join(oci, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const put = (b) => {
    writeFileSync(join(oci, 'blobs/sha256', sha(b).slice(7)), b);
    return { digest: sha(b), size: b.length };
  };
  const layer = makeTar([{ name: 'f', data: 'x' }]);
  const layout = ({ configDoc = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layer)] } }, configSize, layerSize, layerDigest } = {}) => {
    const l = put(layer);
    const cfg = put(Buffer.from(JSON.stringify(configDoc)));
    const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg, ...(configSize !== undefined ? { size: configSize } : {}) },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l, ...(layerSize !== undefined ? { size: layerSize } : {}), ...(layerDigest ? { digest: layerDigest } : {}) }] };
    const m = put(Buffer.from(JSON.stringify(manifest)));
    writeFileSync(join(oci, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: manifest.mediaType, ...m }] }));
    return { cfg, m };
  };
  let { cfg, m } = layout({ configSize: 3 });
  assert.throws(() => readArchive(new DirSource(oci)), (e) => e.message === `manifest ${m.digest} config: size 3 but the blob has ${cfg.size} bytes`);
  ({ m } = layout({ layerSize: layer.length + 10 }));
  assert.throws(() => readArchive(new DirSource(oci)), (e) => e.message === `manifest ${m.digest} layers[0]: size ${layer.length + 10} but the blob has ${layer.length} bytes`);
  ({ m } = layout({ layerDigest: 'md5:' + 'f'.repeat(32) }));
  assert.throws(() => readArchive(new DirSource(oci)), (e) => e.message === `manifest ${m.digest} layers[0]: digest algorithm md5 is not supported (hx verifies sha256)`);
  layout({ configDoc: { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh', 1] }, rootfs: { type: 'layers', diff_ids: [sha(layer)] } } });
  assert.throws(() => readArchive(new DirSource(oci)), (e) => e.kind === 'data' && /image config: config\.Cmd\[1\] is a number, not a string$/.test(e.message));
});

test('run config: Entrypoint + Cmd, flags override like docker', () => {
  const img = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Entrypoint: ['/ep'], Cmd: ['a'], Env: ['PATH=/x', 'A=1'], WorkingDir: '/w', User: 'app', Volumes: { '/data': {} }, StopSignal: 'SIGQUIT' } };
  let c = mergeRunConfig(img, {});
  assert.equal(c.args, ['/ep', 'a']);
  assert.equal(c.env, ['PATH=/x', 'A=1']);
  assert.is(c.cwd, '/w');
  assert.is(c.user, 'app');
  assert.equal(c.volumes, ['/data']);
  assert.is(c.stopSignal, 'SIGQUIT');
  c = mergeRunConfig(img, { cmd: ['b', 'c'], env: ['A=2', 'B=3'], workdir: '/o', user: '0' });
  assert.equal(c.args, ['/ep', 'b', 'c']);
  assert.equal(c.env, ['PATH=/x', 'A=2', 'B=3']);
  assert.is(c.cwd, '/o');
  assert.is(c.user, '0');
  c = mergeRunConfig(img, { entrypoint: '/other' });
  assert.equal(c.args, ['/other'], '--entrypoint drops the image Cmd');
  c = mergeRunConfig({ ...img, config: { Cmd: ['sh'] } }, {});
  assert.ok(c.env[0].startsWith('PATH=/usr/local/sbin'), 'a default PATH');
  assert.throws(() => mergeRunConfig({ ...img, config: {} }, {}), /no command/);
});

test('import --change instructions', () => {
  const c = applyChanges({}, ['CMD ["sh","-c","x"]', 'ENTRYPOINT /init', 'ENV A=1 B="two words"', 'ENV C 3', 'EXPOSE 80 53/udp', 'LABEL k=v', 'USER app', 'WORKDIR /srv', 'VOLUME /data', 'STOPSIGNAL SIGINT']);
  assert.equal(c.Cmd, ['sh', '-c', 'x']);
  assert.equal(c.Entrypoint, ['/bin/sh', '-c', '/init']);
  assert.equal(c.Env, ['A=1', 'B=two words', 'C=3']);
  assert.equal(Object.keys(c.ExposedPorts), ['80/tcp', '53/udp']);
  assert.equal(c.Labels, { k: 'v' });
  assert.is(c.User, 'app');
  assert.is(c.WorkingDir, '/srv');
  assert.equal(Object.keys(c.Volumes), ['/data']);
  assert.is(c.StopSignal, 'SIGINT');
  assert.throws(() => applyChanges({}, ['RUN make']), /^run is not a valid change command$/);
});

test.after(() => rmSync(base, { recursive: true, force: true }));
test.run();
