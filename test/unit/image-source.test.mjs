// The ImageSource conformance suite: validateImageSource (go-containerregistry's
// validate.Image) on every implementation that needs no root and no namespace: an OCI
// layout written by umoci, the docker-archive and oci-archive skopeo makes of it (plain
// and gzip-compressed), Docker 25's dual layout, an imported rootfs tarball (plain and
// gzip), the built-in hello-world, and the store's images after storeImage, and what
// hx's archive writers make of those. Then a broken source of each kind, which the
// validator must name. The registry's RemoteImage: test/e2e/image-source-registry.test.mjs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { cpSync, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Store } from '../../dist/store/store.js';
import { readArchive } from '../../dist/image/archive/read.js';
import { DirSource, spoolIfNeeded, TarFileSource } from '../../dist/image/archive/source.js';
import { writeDockerArchive, writeOciArchive } from '../../dist/image/archive/write.js';
import { helloWorldSource } from '../../dist/image/hello.js';
import { importSource } from '../../dist/image/import.js';
import { imageId, imageSource } from '../../dist/image/source.js';
import { StoreImage } from '../../dist/image/store-source.js';
import { storeImage } from '../../dist/image/store-image.js';
import { assertValidImageSource, validateImageSource } from '../../dist/image/validate.js';
import { buildDir } from '../../dist/sys/install.js';
import { execFileSync } from 'node:child_process';
import { buildLayout, haveTools, skopeoCopy, stage } from '../lib/image-fixtures.mjs';
import { makeTar } from '../lib/tar-build.mjs';

const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const base = mkdtempSync(join(tmpdir(), 'hx-source-'));
const ctx = { opaqueXattr: 'user.overlay.opaque', maxEntries: 10_000, createDevices: false, ignoreChownErrors: false, umask: process.umask() };
const tools = haveTools('umoci', 'skopeo', 'tar');
const toolTest = tools ? test : test.skip;
if (!tools) console.log('  (umoci, skopeo or tar missing: the archive cases are skipped)');

/** Each open source, closed at the end. */
const opened = [];
const tarSource = (file) => {
  const s = new TarFileSource(file);
  opened.push(s);
  return s;
};

async function valid(src, what) {
  const problems = await validateImageSource(src);
  assert.equal(problems, [], `${what}: ${problems.join('; ')}`);
}

/** The one image of an archive. */
function only(archive) {
  const images = readArchive(archive);
  assert.is(images.length, 1);
  return images[0];
}

// ---- fixtures: an image made by real tools, archived by real tools
const layers = [
  { 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n', 'bin/tool': { copy: '/bin/sh', mode: 0o755 }, 'bin/alias': { symlink: 'tool' }, 'srv/': { dir: true } },
  { 'etc/motd': 'layer two\n', 'srv/data': 'x'.repeat(100_000), 'srv/link': { hardlink: 'srv/data' } },
];
/** GNU tar of a staged DIR, its files owned by whoever runs this (so a store outside a namespace can take them). */
function tarDir(dir, out) {
  execFileSync('tar', ['--sort=name', '--numeric-owner', `--owner=${process.getuid()}`, `--group=${process.getgid()}`, '--mtime=@1700000000', '-C', dir, '-cf', out, '.']);
  return out;
}
let layout, dockerTar, ociTar;
if (tools) {
  const tars = layers.map((spec, i) => {
    stage(join(base, `stage${i}`), spec);
    return tarDir(join(base, `stage${i}`), join(base, `layer${i}.tar`));
  });
  layout = buildLayout(join(base, 'fx'), 'app', tars, ['/bin/tool']);
  writeFileSync(join(base, 'rootfs.tar.gz'), gzipSync(readFileSync(tars[0])));
  dockerTar = join(base, 'app-docker.tar');
  ociTar = join(base, 'app-oci.tar');
  skopeoCopy(`oci:${layout}:app`, `docker-archive:${dockerTar}:example.com/app:1`);
  skopeoCopy(`oci:${layout}:app`, `oci-archive:${ociTar}:example.com/app:1`);
}

toolTest('an OCI layout directory (umoci): gzip layers, the manifest and index as umoci wrote them', async () => {
  const img = only(new DirSource(layout));
  assert.is(img.layers.length, 2);
  for (const l of img.layers) assert.is(l.mediaType, OCI_LAYER_GZIP);
  assert.ok(img.manifest, 'the OCI manifest is part of the source');
  await valid(img, 'OCI layout');
});

toolTest('a docker-archive (skopeo, legacy <id>/layer.tar links): plain layers, no digests stated, the name', async () => {
  const img = only(tarSource(dockerTar));
  assert.equal(img.names, ['example.com/app:1']);
  assert.is(img.manifest, undefined);
  for (const l of img.layers) {
    assert.is(l.digest, undefined, 'manifest.json names no blob digest');
    assert.is(l.mediaType, OCI_LAYER, 'the media type comes from the magic bytes');
  }
  await valid(img, 'docker-archive');
});

toolTest('an oci-archive (skopeo), and the same gzip-compressed through the spool', async () => {
  await valid(only(tarSource(ociTar)), 'oci-archive');
  const gz = join(base, 'app-oci.tar.gz');
  writeFileSync(gz, gzipSync(readFileSync(ociTar)));
  const spool = join(base, 'spooled.tar');
  const spooled = await spoolIfNeeded(() => createReadStream(gz), readFileSync(gz).subarray(0, 6), true, spool);
  assert.ok(spooled);
  await valid(only(tarSource(spool)), 'gzip oci-archive');
});

toolTest("Docker 25's dual layout: manifest.json over the OCI blobs, media types from the OCI manifest", async () => {
  const dir = join(base, 'dual');
  cpSync(layout, dir, { recursive: true });
  const oci = only(new DirSource(dir));
  const config = `blobs/sha256/${imageId(oci).slice(7)}`;
  const members = oci.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: config, RepoTags: ['example.com/dual:1'], Layers: members }]));
  const img = only(new DirSource(dir));
  assert.equal(img.names, ['example.com/dual:1']);
  assert.equal(img.layers.map((l) => l.mediaType), [OCI_LAYER_GZIP, OCI_LAYER_GZIP]);
  assert.is(img.manifest.digest, oci.manifest.digest, 'the OCI manifest is kept');
  await valid(img, 'dual layout');
});

toolTest('import: a rootfs tarball, plain and gzip, as a one-layer image', async () => {
  const plain = join(base, 'layer0.tar');
  const gz = join(base, 'rootfs.tar.gz');
  const a = await importSource(plain, { changes: ['CMD ["/bin/tool"]'], source: plain, name: 'docker.io/library/imported:1', label: plain });
  const b = await importSource(gz, { changes: [], source: gz, label: gz });
  assert.is(a.layers[0].mediaType, OCI_LAYER);
  assert.is(b.layers[0].mediaType, OCI_LAYER_GZIP);
  assert.is(a.config.rootfs.diff_ids[0], b.config.rootfs.diff_ids[0], 'the same tar inside');
  assert.equal(a.config.config.Cmd, ['/bin/tool']);
  await valid(a, 'import (plain)');
  await valid(b, 'import (gzip)');
});

test('the built-in hello-world', async () => {
  const bin = join(buildDir(), 'hello');
  if (!existsSync(bin)) {
    console.log('  (build/hello is not built: skipped)');
    return;
  }
  const src = helloWorldSource(readFileSync(bin));
  assert.is(imageId(src), imageId(helloWorldSource(readFileSync(bin))), 'deterministic');
  await valid(src, 'hello-world');
});

// ---- the store: images stored from the sources above, read back as StoreImages
let store;
const stored = {};
toolTest('store images: each source stored, then the store image is a valid source with the same id', async () => {
  store = new Store(join(base, 'store')).init();
  const sources = {
    oci: only(tarSource(ociTar)),
    docker: only(tarSource(dockerTar)),
  };
  const gz = join(base, 'rootfs.tar.gz');
  sources.imported = await importSource(gz, { changes: [], source: gz, name: 'docker.io/library/imported:gz', label: gz });
  for (const [what, src] of Object.entries(sources)) {
    const rec = await storeImage(store, src, ctx);
    assert.is(rec.id, imageId(src));
    stored[what] = rec;
    const img = await StoreImage.open(store, rec);
    try {
      assert.is(imageId(img), rec.id);
      assert.equal(img.names, rec.names);
      for (const l of img.layers) assert.ok(l.diffId && l.uncompressedSize !== undefined, 'the layer records give diff_id and size');
      await valid(img, `store image from ${what}`);
    } finally {
      img.release();
    }
  }
  // The docker-archive and the oci-archive hold the same image: stored once, named by both.
  assert.is(stored.docker.id, stored.oci.id);
});

toolTest("hx's archive writers take store images: their output reads back as valid sources of the same image", async () => {
  const img = await StoreImage.open(store, store.getImage(stored.oci.id));
  try {
    for (const [format, write] of [['docker-archive', writeDockerArchive], ['oci-archive', writeOciArchive]]) {
      const file = join(base, `written-${format}.tar`);
      const out = createWriteStream(file);
      await write([img], out);
      await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
      const back = only(tarSource(file));
      assert.is(imageId(back), img.record.id, format);
      assert.equal([...back.names].sort(), [...img.names].sort(), format);
      await valid(back, `${format} written by hx`);
    }
  } finally {
    img.release();
  }
});

// ---- broken sources: what the validator must find
test('an in-memory source that lies in every way: each lie is named', async () => {
  const tar = makeTar([{ name: 'f', data: 'hello' }]);
  const other = makeTar([{ name: 'f', data: 'HELLO' }]);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(tar), sha(tar)] } }));
  let calls = 0;
  const manifestDoc = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length + 1 }, layers: [{ mediaType: OCI_LAYER, digest: sha(tar), size: tar.length }] };
  const manifestBytes = Buffer.from(JSON.stringify(manifestDoc));
  const src = {
    ...imageSource({
      configBytes: config,
      names: ['busybox', 'docker.io/library/ok:1'],
      repoDigests: ['docker.io/library/ok@sha256:nothex'],
      manifest: { bytes: manifestBytes, digest: `sha256:${'0'.repeat(64)}`, mediaType: OCI_MANIFEST },
      layers: [
        // gzip promised, plain tar given; a second open() gives other bytes
        { open: () => Readable.from([calls++ === 0 ? tar : other]), mediaType: OCI_LAYER_GZIP, digest: sha(tar), size: tar.length + 3, label: 'fickle' },
        { open: () => Readable.from([Buffer.from('not a tar at all, just words'.repeat(30))]), mediaType: OCI_LAYER, label: 'words' },
      ],
    }),
  };
  src.config = { ...src.config, os: 'windows' };
  const problems = await validateImageSource(src);
  const expect = [
    /^config: the parsed config differs/,
    /^manifest: digest sha256:0+, but its bytes hash to/,
    /^manifest: config size \d+, but the config has \d+ bytes$/,
    /^manifest: lists 1 layer\(s\), the source has 2$/,
    /^layer 1 \(fickle\): size \d+, but open\(\) gives \d+ bytes$/,
    /^layer 1 \(fickle\): media type application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip means gzip, but the blob is not compressed$/,
    /^layer 1 \(fickle\): the manifest says media type application\/vnd\.oci\.image\.layer\.v1\.tar, the layer .*\+gzip$/,
    /^layer 1 \(fickle\): a second open\(\) gives other bytes/,
    /^layer 2 \(words\): the config's diff_id is sha256:[a-f0-9]+, but its uncompressed bytes hash to/,
    /^layer 2 \(words\): the uncompressed blob is not a tar archive/,
    /^name "busybox" is not a normalized tagged reference \(that is docker\.io\/library\/busybox:latest\)$/,
    /^repo digest "docker\.io\/library\/ok@sha256:nothex" is not REPOSITORY@sha256:DIGEST/,
  ];
  for (const re of expect) assert.ok(problems.some((p) => re.test(p)), `${re} in:\n${problems.join('\n')}`);
  assert.is(problems.length, expect.length, problems.join('\n'));
  calls = 0; // the fickle layer starts over
  try {
    await assertValidImageSource(src, 'the liar');
    assert.unreachable();
  } catch (e) {
    assert.is(e.kind, 'data');
    assert.match(e.message, /^the liar is not a valid image source:\n {2}config: /);
    for (const p of problems) assert.ok(e.message.includes(p));
  }
});

test('a source whose config lists fewer layers than it has, and a layer that cannot be read', async () => {
  const tar = makeTar([{ name: 'f', data: 'x' }]);
  const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] } }));
  const src = imageSource({ configBytes: config, layers: [{ open: () => Readable.from((async function* () { yield tar.subarray(0, 100); throw new Error('disk on fire'); })()), mediaType: OCI_LAYER, label: 'burning' }] });
  assert.equal(await validateImageSource(src), ['config: rootfs.diff_ids lists 0 layer(s), the source has 1', 'layer 1 (burning): open() gives no readable blob: disk on fire']);
});

/** BYTES (a gzip stream) with another MTIME in its header: other bytes, the same data inside. */
function retimed(bytes) {
  const out = Buffer.from(bytes);
  assert.ok(out[0] === 0x1f && out[1] === 0x8b, 'a gzip stream');
  out.writeUInt32LE((out.readUInt32LE(4) + 1) >>> 0, 4);
  return out;
}

toolTest('a broken OCI layout: a layer blob replaced by other bytes of the same length', async () => {
  const dir = join(base, 'broken-layout');
  cpSync(layout, dir, { recursive: true });
  const victim = only(new DirSource(dir)).layers[1];
  const path = join(dir, 'blobs/sha256', victim.digest.slice(7));
  const tampered = retimed(readFileSync(path));
  writeFileSync(path, tampered);
  const problems = await validateImageSource(only(new DirSource(dir)));
  const where = `layer 2 (blobs/sha256/${victim.digest.slice(7)})`;
  assert.equal(problems, [
    `${where}: digest ${victim.digest}, but its bytes hash to ${sha(tampered)}`,
    `${where}: the manifest says digest ${victim.digest}, but its bytes hash to ${sha(tampered)}`,
  ]);
});

toolTest('a broken docker-archive: its config names a diff_id its layer does not have', async () => {
  const dir = join(base, 'broken-docker');
  mkdirSync(dir);
  const good = only(tarSource(dockerTar));
  const diffIds = [...good.config.rootfs.diff_ids];
  diffIds[0] = `sha256:${'e'.repeat(64)}`;
  const config = Buffer.from(JSON.stringify({ ...JSON.parse(good.configBytes), rootfs: { type: 'layers', diff_ids: diffIds } }));
  const read = (l) => new Promise((resolve, reject) => {
    const chunks = [];
    l.open().on('data', (c) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
  const file = join(dir, 'broken.tar');
  writeFileSync(file, makeTar([
    { name: `${sha(config).slice(7)}.json`, data: config },
    { name: 'l0/layer.tar', data: await read(good.layers[0]) },
    { name: 'l1/layer.tar', data: await read(good.layers[1]) },
    { name: 'manifest.json', data: JSON.stringify([{ Config: `${sha(config).slice(7)}.json`, RepoTags: ['example.com/broken:1'], Layers: ['l0/layer.tar', 'l1/layer.tar'] }]) },
  ]));
  const problems = await validateImageSource(only(tarSource(file)));
  assert.equal(problems, [`layer 1 (l0/layer.tar): the config's diff_id is ${diffIds[0]}, but its uncompressed bytes hash to ${good.config.rootfs.diff_ids[0]}`]);
});

toolTest('a broken import: the tarball changes after the source was made', async () => {
  const file = join(base, 'changing.tar');
  writeFileSync(file, makeTar([{ name: 'a', data: 'first' }]));
  const src = await importSource(file, { changes: [], source: file, label: file });
  writeFileSync(file, makeTar([{ name: 'a', data: 'later' }]));
  const problems = await validateImageSource(src);
  assert.equal(problems.map((p) => p.replace(/sha256:[a-f0-9]{64}/g, 'D')), [
    `layer 1 (${file}): digest D, but its bytes hash to D`,
    `layer 1 (${file}): diff_id D, but its uncompressed bytes hash to D`,
    `layer 1 (${file}): the config's diff_id is D, but its uncompressed bytes hash to D`,
  ]);
});

toolTest('a broken store: a layer blob damaged on disk is named; a missing one stops StoreImage.open', async () => {
  const rec = store.getImage(stored.oci.id);
  const m = JSON.parse(store.readBlob(rec.manifestDigest));
  const digest = m.layers[1].digest;
  const path = store.blobPath(digest);
  const original = readFileSync(path);
  const damaged = retimed(original);
  writeFileSync(path, damaged);
  let img = await StoreImage.open(store, rec);
  try {
    assert.equal(await validateImageSource(img), [
      `layer 2 (blob ${digest.slice(7, 19)}): digest ${digest}, but its bytes hash to ${sha(damaged)}`,
      `layer 2 (blob ${digest.slice(7, 19)}): the manifest says digest ${digest}, but its bytes hash to ${sha(damaged)}`,
    ]);
  } finally {
    img.release();
  }
  writeFileSync(path, original);
  img = await StoreImage.open(store, rec);
  await valid(img, 'the store repaired');
  img.release();
  unlinkSync(path);
  try {
    await StoreImage.open(store, rec);
    assert.unreachable();
  } catch (e) {
    assert.is(e.message, `the blob of layer 2 (${digest}) is missing from the store`);
  }
  writeFileSync(path, original);
  // Nothing is left pinned by the failed opens.
  assert.equal(readdirSync(store.tmpDir).filter((n) => n.startsWith('pin-')), []);
});

test.after(() => {
  for (const s of opened) s.close();
  rmSync(base, { recursive: true, force: true });
});
test.run();
