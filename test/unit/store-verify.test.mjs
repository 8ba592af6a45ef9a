// verifyStore (`hx system check`): a store made by the real commit path checks clean;
// each broken invariant, made by hand the way a crash, a bug or a disk would, is reported
// under the right subject; nothing is repaired.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Store } from '../../dist/store/store.js';
import { verifyStore } from '../../dist/store/verify.js';
import { storeImage } from '../../dist/image/store-image.js';
import { imageSource } from '../../dist/image/source.js';
import { makeTar } from '../lib/tar-build.mjs';

const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const base = mkdtempSync(join(tmpdir(), 'hx-verify-'));
const me = { uid: process.getuid(), gid: process.getgid() };
const ctx = { opaqueXattr: 'user.overlay.opaque', maxEntries: 1000, createDevices: false, ignoreChownErrors: false, umask: process.umask() };
let stores = 0;

function image(files, names) {
  const layers = files.map((f) => makeTar(Object.entries(f).map(([name, data]) => ({ name, data, ...me }))));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(sha) } }));
  return imageSource({ configBytes: config, names, layers: layers.map((l, i) => ({ open: () => Readable.from([l]), mediaType: 'application/vnd.oci.image.layer.v1.tar', label: `layer ${i}` })) });
}

/** A store with two images sharing a base layer and a container on one of them. */
async function sound() {
  const s = new Store(join(base, `s${++stores}`)).init();
  const one = await storeImage(s, image([{ 'etc/a': 'a' }], ['docker.io/library/one:1']), ctx);
  const two = await storeImage(s, image([{ 'etc/a': 'a' }, { 'etc/b': 'b' }], ['docker.io/library/two:1']), ctx);
  const id = 'c'.repeat(64);
  mkdirSync(s.containerDir(id));
  s.putContainer({ id, image: two.id, layers: two.layers, driver: 'vfs', rootfs: join(s.containerDir(id), 'rootfs'), created: new Date().toISOString() });
  return { s, one, two, container: id };
}

const problems = (s, opts) => verifyStore(s, opts).problems;
const about = (list, subject) => list.filter((p) => p.subject === subject).map((p) => p.problem);

test('a store made by storeImage, with a container, checks clean', async () => {
  const { s } = await sound();
  const r = verifyStore(s);
  assert.equal(r.problems, []);
  assert.equal(r.checked, { images: 2, layers: 2, blobs: 6, links: 2, containers: 1, temp: 0 });
});

test('a corrupt or missing config or manifest blob is reported against its image', async () => {
  const { s, one, two } = await sound();
  appendFileSync(s.blobPath(one.id), ' ');
  unlinkSync(s.blobPath(two.manifestDigest));
  const list = problems(s);
  assert.match(about(list, `image ${one.id}`).join('\n'), /config blob .* does not hash to its name/);
  assert.match(about(list, `image ${two.id}`).join('\n'), /manifest blob .* is missing/);
  assert.is(list.filter((p) => p.subject === `blob ${one.id}`).length, 0, 'a corrupt blob is reported once, under the record that uses it');
});

test('layers: a missing layer, a wrong chain ID, no diff/, a layer dir without layer.json', async () => {
  const { s, one, two, container } = await sound();
  const top = two.layers[1];
  const rec = JSON.parse(readFileSync(join(s.layerDir(top), 'layer.json'), 'utf8'));
  writeFileSync(join(s.layerDir(top), 'layer.json'), JSON.stringify({ ...rec, diffId: one.layers[0] }));
  rmSync(s.layerDiff(one.layers[0]), { recursive: true });
  const debris = `sha256:${'d'.repeat(64)}`;
  mkdirSync(join(s.layerDir(debris), 'diff'), { recursive: true });
  let list = problems(s);
  assert.match(about(list, `layer ${top}`).join('\n'), /chain ID does not follow/);
  assert.match(about(list, `layer ${one.layers[0]}`).join('\n'), /diff\/ is missing/);
  assert.match(about(list, `layer ${debris}`).join('\n'), /no layer\.json/);
  rmSync(s.layerDir(top), { recursive: true });
  list = problems(s);
  assert.match(about(list, `image ${two.id}`).join('\n'), /layer 2 \(.*\) is missing/);
  assert.match(about(list, `container ${container}`).join('\n'), /layer .* is missing/);
});

test('short links: missing, dangling, pointing elsewhere', async () => {
  const { s, one, two } = await sound();
  const base1 = s.getLayer(one.layers[0]);
  unlinkSync(join(s.linksDir, base1.link));
  symlinkSync(`../layers/${'e'.repeat(64)}/diff`, join(s.linksDir, 'DANGLINGDANGLINGDANGLINGDA'));
  symlinkSync(`../layers/${two.layers[1].slice(7)}/diff`, join(s.linksDir, 'SECONDNAMESECONDNAMESECOND'));
  const list = problems(s);
  assert.match(about(list, `layer ${one.layers[0]}`).join('\n'), /short link .* is missing/);
  assert.match(about(list, 'l/DANGLINGDANGLINGDANGLINGDA').join('\n'), /does not exist/);
  assert.match(about(list, 'l/SECONDNAMESECONDNAMESECOND').join('\n'), /calls its link/);
});

test('garbage (what GC would delete) is a problem; a live pin keeps it from being one', async () => {
  const { s, two } = await sound();
  s.deleteImage(two.id);
  unlinkSync(join(s.containerDir('c'.repeat(64)), 'container.json'));
  rmSync(s.containerDir('c'.repeat(64)), { recursive: true });
  const pin = await s.locked(() => s.pin([two.layers[1]]));
  let list = problems(s);
  assert.equal(about(list, `layer ${two.layers[1]}`), [], 'pinned by a live command');
  assert.match(about(list, `blob ${two.id}`).join('\n'), /no image, layer or running command uses it/);
  pin.release();
  list = problems(s);
  assert.match(about(list, `layer ${two.layers[1]}`).join('\n'), /no image, container or running command uses it/);
  await s.locked(() => s.gc());
  assert.equal(problems(s), [], 'GC removes exactly what the check calls garbage');
});

test('records: a name on two images, a half-written record, an unreadable one, a container dir without record', async () => {
  const { s, one, two } = await sound();
  s.putImage({ ...s.getImage(one.id), names: ['docker.io/library/two:1'] });
  writeFileSync(join(s.imagesDir, `.${two.id.slice(7)}.json.4242.1.tmp`), '{"id":');
  mkdirSync(s.containerDir('f'.repeat(64)));
  let list = problems(s);
  assert.ok(list.some((p) => /name docker\.io\/library\/two:1 also names image/.test(p.problem)), JSON.stringify(list));
  assert.match(about(list, `images/.${two.id.slice(7)}.json.4242.1.tmp`).join('\n'), /unfinished record write/);
  assert.match(about(list, `container ${'f'.repeat(64)}`).join('\n'), /no container\.json/);
  writeFileSync(s.imagePath(two.id), '{ not json');
  list = problems(s);
  assert.match(about(list, `image ${two.id}`).join('\n'), /not valid JSON/);
});

test('temp dirs: one without its lock file is reported; a live one is not; --quick skips layer hashes', async () => {
  const { s, one } = await sound();
  const live = s.tempDir('layer');
  mkdirSync(join(s.tmpDir, 'layer-1-nolock'));
  let list = problems(s);
  assert.equal(list.map((p) => p.subject), ['tmp/layer-1-nolock']);
  assert.ok(readdirSync(s.tmpDir).includes('layer-1-nolock'), 'the check repairs nothing');
  live.release();
  rmSync(join(s.tmpDir, 'layer-1-nolock'), { recursive: true });
  const layerBlob = s.getLayer(one.layers[0]).digest;
  const bytes = readFileSync(s.blobPath(layerBlob));
  bytes[bytes.length - 1] ^= 1; // same size, other content
  writeFileSync(s.blobPath(layerBlob), bytes);
  assert.match(about(problems(s), `layer ${one.layers[0]}`).join('\n'), /does not hash to its name/);
  assert.equal(problems(s, { quick: true }), []);
});

test('volumes: a container whose volume is gone, a dir without volume.json, a foreign entry, no _data; a dead staging dir is fine', async () => {
  const { s, two } = await sound();
  const rec = (name) => ({ Name: name, Driver: 'local', CreatedAt: '2026-01-01T00:00:00Z', Labels: {}, Options: null, Scope: 'local' });
  assert.equal(s.volumes.create(rec('kept')).created, true);
  assert.equal(s.volumes.create(rec('kept')), { record: rec('kept'), created: false }, 'a taken name gives the existing volume');
  s.volumes.create(rec('nodata'));
  rmSync(s.volumes.dataPath('nodata'), { recursive: true });
  mkdirSync(join(s.volumes.dir, 'norecord'));
  mkdirSync(join(s.volumes.dir, '-bad'));
  mkdirSync(join(s.volumes.dir, '.staging', '_data'), { recursive: true });
  const id = 'e'.repeat(64);
  mkdirSync(s.containerDir(id));
  const mounts = [{ type: 'volume', name: 'kept', target: '/k' }, { type: 'volume', name: 'gone', target: '/g' }];
  s.putContainer({ id, image: two.id, layers: two.layers, driver: 'vfs', rootfs: '', created: new Date().toISOString(), spec: { options: { mounts } } });
  const list = problems(s);
  assert.equal(about(list, `container ${id}`), ['its volume gone (at /g) is missing']);
  assert.equal(about(list, 'volume nodata'), ['its _data directory is missing']);
  assert.equal(about(list, 'volume norecord'), ['the volume dir has no volume.json']);
  assert.equal(about(list, 'volumes/-bad'), ['is not a volume (not a volume name)']);
  assert.equal(about(list, 'volume kept'), []);
  assert.equal(s.volumes.names(), ['kept', 'nodata', 'norecord'], '.staging and foreign names are not volumes');
  // the next create replaces the dead staging dir; a dir without volume.json is replaced too
  assert.equal(s.volumes.create(rec('norecord')).created, true);
  assert.equal(readdirSync(s.volumes.dataPath('norecord')), []);
  assert.throws(() => s.volumes.path('../x'), /invalid volume name/);
});

test.after(() => rmSync(base, { recursive: true, force: true }));

test.run();
