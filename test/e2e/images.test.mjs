// Images end to end, as an unprivileged user: load (docker-archive, OCI, stdin, gzip),
// the merged rootfs against `umoci unpack --rootless` (the oracle), save/load round trips
// that skopeo and podman accept, import, tag/rmi/prune/df/reset, bad input, concurrency.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { hx, hxBin, need, removeTree, run, tempDir, treeRoot } from '../lib/hx.mjs';
import { buildLayout, haveTools, listRootfs, skopeoCopy, umociOwner } from '../lib/image-fixtures.mjs';
import { makeTar } from '../lib/tar-build.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
need(haveTools('umoci', 'skopeo', 'tar'), 'umoci, skopeo and tar are installed');
const { lgetxattr } = await import(join(treeRoot, 'dist/sys/libc.js'));

const work = tempDir('hx-images-');
const store = join(work, 'store');
const env = { HX_STORAGE_ROOT: store };
const H = (args, o = {}) => hx(args, { ...o, env: { ...env, ...(o.env ?? {}) } });

function ok(r, what) {
  assert.is(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  return r;
}

// ---- fixtures: a busybox image and a three-layer image with deletions and an opaque dir
const fx = join(work, 'fx');
mkdirSync(fx);
const bbFiles = {
  'bin/busybox': { copy: '/bin/busybox', mode: 0o755 },
  'bin/sh': { symlink: 'busybox' },
  'bin/ls': { symlink: 'busybox' },
  'bin/cat': { symlink: 'busybox' },
  'bin/echo': { symlink: 'busybox' },
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
  'etc/group': 'root:x:0:\n',
  'usr/bin/su-ish': { copy: '/bin/busybox', mode: 0o4755 },
  'root/': { dir: true },
  'tmp/': { dir: true, mode: 0o1777 },
  'var/secret/': { dir: true, mode: 0o700 },
  'var/secret/key': 'k',
};
buildLayout(fx, 'bb', [bbFiles]);
const three = [
  {
    'etc/a': 'a1', 'etc/b': 'b1', 'd/x': 'x', 'd/sub/y': 'y', 'keep/k': 'k', 'keep/k2': 'k2',
    'lnk': { symlink: 'etc/b' }, 'hl1': 'shared', 'hl2': { hardlink: 'hl1' }, 'gone/deep/file': 'g', 'f2d': 'file',
  },
  { 'etc/.wh.a': '', 'd/.wh..wh..opq': '', 'd/new': 'n', 'gone/.wh.deep': '', 'added/one': '1', 'f2d/.keep': '' },
  { 'keep/.wh.k': '', 'etc/a': 'a3', '.wh.gone': '', 'added/.wh..wh..opq': '', 'added/two': '2', 'etc/c': { symlink: '/etc/b' } },
];
// f2d: a file in layer 1 replaced by a dir in layer 2 (tar of a dir over a file).
buildLayout(fx, 'three', three);
const layout = join(fx, 'layout');
const bbDocker = join(fx, 'bb-docker.tar');
const threeDocker = join(fx, 'three-docker.tar');
const threeOci = join(fx, 'three-oci.tar');
skopeoCopy(`oci:${layout}:bb`, `docker-archive:${bbDocker}:localhost/bb:1`);
skopeoCopy(`oci:${layout}:three`, `docker-archive:${threeDocker}:localhost/three:1`);
skopeoCopy(`oci:${layout}:three`, `oci-archive:${threeOci}:localhost/three:1`);

function storeState() {
  const list = (d) => (existsSync(join(store, d)) ? readdirSync(join(store, d)).sort() : []);
  return { images: list('images'), layers: list('layers'), blobs: list('blobs/sha256'), tmp: list('tmp') };
}

function hxListing(image, driver) {
  const r = H(['unshare', '--', process.execPath, join(treeRoot, 'test/lib/hx-rootfs-list.mjs'), image, ...(driver ? [driver] : [])]);
  ok(r, `rootfs listing of ${image}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function umociListing(tag) {
  const dir = join(work, `umoci-${tag}`);
  execFileSync('umoci', ['unpack', '--rootless', '--image', `${layout}:${tag}`, dir]);
  return listRootfs(join(dir, 'rootfs'), umociOwner(lgetxattr));
}

test('load a docker-archive (legacy layout from skopeo) and an OCI archive from stdin, gzip-compressed', () => {
  const a = ok(H(['load', '-i', bbDocker]), 'load docker-archive');
  assert.match(a.stdout, /Loaded image: localhost\/bb:1/);
  const b = ok(H(['load'], { input: gzipSync(readFileSync(threeOci)) }), 'load gzip oci-archive from stdin');
  assert.match(b.stdout, /Loaded image: localhost\/three:1/);
  const again = ok(H(['load', '-i', threeDocker]), 'load the same image as docker-archive');
  assert.match(again.stdout, /localhost\/three:1/);
  const ids = ok(H(['images', '-q']), 'images -q').stdout.trim().split('\n');
  assert.is(ids.length, 2);
  const rows = ok(H(['images', '--format', 'json']), 'images json').stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.map((r) => `${r.Repository}:${r.Tag}`).sort(), ['localhost/bb:1', 'localhost/three:1']);
  assert.is(storeState().tmp.length, 0, 'no temp debris');
});

test('load an OCI layout directory holding several images (tags only, so unnamed)', () => {
  const other = join(work, 'store-dir');
  const r = hx(['load', '-i', layout], { env: { HX_STORAGE_ROOT: other } });
  assert.is(r.code, 0, r.stderr);
  const ids = hx(['images', '-q', '--no-trunc'], { env: { HX_STORAGE_ROOT: other } }).stdout.trim().split('\n').sort();
  const want = ok(H(['images', '-q', '--no-trunc']), 'ids').stdout.trim().split('\n').sort();
  assert.equal(ids, want, 'the same images as the archives skopeo made from this layout');
  assert.match(hx(['images'], { env: { HX_STORAGE_ROOT: other } }).stdout, /<none>\s+<none>/);
  removeTree(other);
});

test('oracle: merged rootfs equals umoci unpack --rootless (overlay and vfs)', () => {
  for (const [tag, name] of [['bb', 'localhost/bb:1'], ['three', 'localhost/three:1']]) {
    const want = umociListing(tag);
    const got = hxListing(name);
    assert.equal(got.listing, want, `${tag} via ${got.driver}`);
    const vfs = hxListing(name, 'vfs');
    assert.equal(vfs.listing, want, `${tag} via vfs`);
  }
  const t = hxListing('localhost/three:1').listing.join('\n');
  assert.not.match(t, /\/etc\/a f .* a1|\/keep\/k f|\/gone|\/d\/x|\/added\/one/);
});

test('image inspect and history have docker shape', () => {
  const [doc] = JSON.parse(ok(H(['image', 'inspect', 'localhost/three:1']), 'inspect').stdout);
  assert.match(doc.Id, /^sha256:[a-f0-9]{64}$/);
  assert.equal(doc.RepoTags, ['localhost/three:1']);
  assert.is(doc.RootFS.Layers.length, 3);
  assert.equal(doc.Config.Cmd, ['sh']);
  assert.ok(doc.Size > 0);
  const short = doc.Id.slice(7, 12);
  const byPrefix = JSON.parse(ok(H(['image', 'inspect', short]), 'inspect by id prefix').stdout);
  assert.is(byPrefix[0].Id, doc.Id);
  const hist = ok(H(['history', 'localhost/three:1']), 'history').stdout.trim().split('\n');
  assert.match(hist[0], /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT/);
  assert.ok(hist.length >= 4);
  assert.match(hist.slice(2).join('\n'), /<missing>/);
});

test('save -> load round-trips to identical IDs; skopeo inspects the output', () => {
  const ids = ok(H(['images', '-q', '--no-trunc']), 'ids').stdout.trim().split('\n').sort();
  const outD = join(work, 'saved-docker.tar');
  const outO = join(work, 'saved-oci.tar');
  ok(H(['save', '-o', outD, 'localhost/bb:1', 'localhost/three:1']), 'save docker-archive');
  ok(H(['save', '--format', 'oci-archive', '-o', outO, 'localhost/three:1']), 'save oci-archive');
  const ins = JSON.parse(run('skopeo', ['inspect', `docker-archive:${outD}:localhost/three:1`]).stdout);
  assert.is(ins.Layers.length, 3);
  const insO = JSON.parse(run('skopeo', ['inspect', `oci-archive:${outO}`]).stdout);
  assert.is(insO.Layers.length, 3);
  for (const [file, count] of [[outD, 2], [outO, 1]]) {
    const other = join(work, `store-${count}`);
    const r = hx(['load', '-i', file], { env: { HX_STORAGE_ROOT: other } });
    ok(r, `load ${file} into a fresh store`);
    const got = hx(['images', '-q', '--no-trunc'], { env: { HX_STORAGE_ROOT: other } }).stdout.trim().split('\n').sort();
    assert.is(got.length, count);
    for (const id of got) assert.ok(ids.includes(id), `${id} round-trips`);
    removeTree(other);
  }
});

test('podman load accepts hx save output', () => {
  if (!haveTools('podman')) return;
  const out = join(work, 'for-podman.tar');
  ok(H(['save', '-o', out, 'localhost/bb:1']), 'save');
  const proot = join(work, 'podman');
  const p = run('podman', ['--root', join(proot, 'root'), '--runroot', join(proot, 'run'), '--storage-driver', 'vfs', 'load', '-i', out]);
  if (/cannot|newuidmap|permission|setup/i.test(p.stderr) && p.code !== 0) {
    console.log(`  (podman unusable here: ${p.stderr.trim().split('\n')[0]})`);
    return;
  }
  assert.is(p.code, 0, p.stderr);
  assert.match(p.stdout + p.stderr, /localhost\/bb:1/);
  run('podman', ['--root', join(proot, 'root'), '--runroot', join(proot, 'run'), '--storage-driver', 'vfs', 'system', 'reset', '-f']);
});

test('import a rootfs tarball with --change; tag, rmi, prune, df', () => {
  const rootfs = join(work, 'rootfs.tar');
  execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', join(fx, 'bb-stage0'), '-cf', rootfs, '.']);
  const r = ok(H(['import', '--change', 'CMD ["/bin/sh"]', '--change', 'ENV A=1', rootfs, 'imported:1']), 'import');
  const id = r.stdout.trim();
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  const [doc] = JSON.parse(ok(H(['image', 'inspect', 'imported:1']), 'inspect').stdout);
  assert.equal(doc.Config.Cmd, ['/bin/sh']);
  assert.ok(doc.Config.Env.includes('A=1'));
  ok(H(['tag', 'imported:1', 'example.com/team/other:2']), 'tag');
  assert.match(ok(H(['images']), 'images').stdout, /example\.com\/team\/other\s+2/);
  const refused = H(['rmi', id.slice(7, 19)]);
  assert.is(refused.code, 1, 'an image with two names needs -f when removed by ID');
  assert.match(refused.stderr, /multiple repositories/);
  assert.match(ok(H(['rmi', 'imported:1']), 'untag').stdout, /Untagged: imported:1/);
  const del = ok(H(['rmi', 'example.com/team/other:2']), 'rmi');
  assert.match(del.stdout, new RegExp(`Deleted: ${id}`));
  assert.is(H(['image', 'inspect', id]).code, 1);
  const df = ok(H(['system', 'df']), 'df').stdout;
  assert.match(df, /Images\s+2/);
  ok(H(['import', rootfs]), 'import without a name');
  assert.match(ok(H(['images']), 'images').stdout, /<none>\s+<none>/);
  const pr = ok(H(['image', 'prune']), 'prune');
  assert.match(pr.stdout, /deleted: sha256:/);
  assert.is(ok(H(['images', '-q']), 'ids').stdout.trim().split('\n').length, 2);
});

test('bad input: exit 1 (docker\'s for a failed command), a clear message, nothing stored', () => {
  const before = storeState();
  const cases = [];
  const add = (name, bytes, pattern) => cases.push({ name, bytes, pattern });
  // Wrap a layer tar into a docker-archive whose config matches (or not) its diff_id.
  const archive = (layer, { diffId, digestName } = {}) => {
    const crypto = await_crypto();
    const real = `sha256:${crypto.createHash('sha256').update(layer).digest('hex')}`;
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId ?? real] } }));
    const cfgHex = crypto.createHash('sha256').update(config).digest('hex');
    const layerName = digestName ? `blobs/sha256/${digestName}` : 'abc/layer.tar';
    return makeTar([
      { name: `${cfgHex}.json`, data: config },
      { name: layerName, data: layer },
      { name: 'manifest.json', data: JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: ['bad:1'], Layers: [layerName] }]) },
    ]);
  };
  const layer = (entries, o) => makeTar(entries, o);
  add('corrupt gzip', (() => { const g = gzipSync(archive(layer([{ name: 'f', data: 'x' }]))); g[20] ^= 0xff; g[g.length - 6] ^= 0xff; return g; })(), /gzip|corrupt/i);
  add('truncated tar', archive(layer([{ name: 'f', data: 'x'.repeat(3000) }])).subarray(0, 2500), /truncated|end/i);
  add('wrong diff_id', archive(layer([{ name: 'f', data: 'x' }]), { diffId: `sha256:${'0'.repeat(64)}` }), /diff_id/);
  add('wrong layer digest', archive(layer([{ name: 'f', data: 'x' }]), { digestName: '1'.repeat(64) }), /digest/);
  add('../../x', archive(layer([{ name: '../../x', data: 'x' }])), /climb|escape|outside|above/i);
  add('/abs', archive(layer([{ name: '/abs', data: 'x' }])), /absolute/);
  add('symlink to / then write through it', archive(layer([{ name: 'r', type: 'symlink', linkname: '/' }, { name: 'r/tmp/pwned', data: 'x' }])), /symlink/);
  add('symlink to .. then write through it', archive(layer([{ name: 'u', type: 'symlink', linkname: '..' }, { name: 'u/pwned', data: 'x' }])), /symlink/);
  add('hardlink outside', archive(layer([{ name: 'h', type: 'hardlink', linkname: '../../etc/passwd' }])), /outside/);
  add('hardlink through symlink', archive(layer([{ name: 's', type: 'symlink', linkname: '/etc' }, { name: 'h', type: 'hardlink', linkname: 's/passwd' }])), /symlink/);
  add('bad header checksum', archive(layer([{ name: 'f', data: 'x', badChecksum: true }])), /checksum/);
  add('pax size that does not fit', archive(layer([{ name: 'f', data: 'x', pax: { size: '1e400' } }])), /size/i);
  add('missing layer', makeTar([{ name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', RepoTags: [], Layers: ['x/layer.tar'] }]) }, { name: 'c.json', data: '{}' }]), /lacks|missing/);
  add('not an archive', Buffer.from('hello world, not a tar'.repeat(40)), /not a tar|archive/);
  for (const c of cases) {
    const r = H(['load'], { input: c.bytes });
    assert.is(r.code, 1, `${c.name}: exit ${r.code} ${r.stderr}`);
    assert.match(r.stderr, c.pattern, `${c.name}: ${r.stderr}`);
    assert.match(r.stderr, /^hx: /, `${c.name}: one clear line`);
    assert.equal(storeState(), before, `${c.name}: the store is unchanged`);
  }
  assert.not.ok(existsSync('/tmp/pwned'));
});

function await_crypto() {
  return globalThis.__crypto;
}

test('two loads and an rmi at once all succeed; kill -9 midway then load again', async () => {
  const s = join(work, 'conc');
  const e = { ...process.env, HX_STORAGE_ROOT: s };
  const go = (args) => new Promise((resolve) => {
    const c = spawn(hxBin, args, { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => resolve({ code, err }));
  });
  assert.is((await go(['load', '-i', bbDocker])).code, 0);
  const results = await Promise.all([go(['load', '-i', threeDocker]), go(['load', '-i', threeOci]), go(['rmi', 'localhost/bb:1'])]);
  for (const r of results) assert.is(r.code, 0, r.err);
  const ids = hx(['images', '-q'], { env: { HX_STORAGE_ROOT: s } }).stdout.trim().split('\n');
  assert.is(ids.length, 1);
  ok(hx(['unshare', '--', process.execPath, join(treeRoot, 'test/lib/hx-rootfs-list.mjs'), 'localhost/three:1'], { env: { HX_STORAGE_ROOT: s } }), 'usable after concurrent commands');
  // kill -9 a load of a bigger archive midway
  const big = join(work, 'big.tar');
  const files = {};
  for (let i = 0; i < 3000; i++) files[`f/${i}`] = `file ${i}\n`.repeat(50);
  buildLayout(join(fx), 'big', [files]);
  skopeoCopy(`oci:${layout}:big`, `docker-archive:${big}:localhost/big:1`);
  const c = spawn(hxBin, ['load', '-i', big], { env: e, stdio: 'ignore' });
  // listened for first: a load that ends before the kill must not leave this test waiting
  const closed = new Promise((r) => c.on('close', r));
  await new Promise((r) => setTimeout(r, 350));
  c.kill('SIGKILL');
  await closed;
  const after = ok(hx(['load', '-i', big], { env: { HX_STORAGE_ROOT: s } }), 'load after kill -9');
  assert.match(after.stdout, /localhost\/big:1/);
  assert.is(readdirSync(join(s, 'tmp')).length, 0, 'debris of the killed load was removed');
  const listing = JSON.parse(ok(hx(['unshare', '--', process.execPath, join(treeRoot, 'test/lib/hx-rootfs-list.mjs'), 'localhost/big:1'], { env: { HX_STORAGE_ROOT: s } }), 'list').stdout.trim().split('\n').pop());
  assert.equal(listing.listing, umociListing('big'));
  removeTree(s);
});

test('system reset empties the store', () => {
  ok(H(['system', 'reset', '-f']), 'reset');
  assert.is(H(['images', '-q']).stdout.trim(), '');
  assert.equal(storeState(), { images: [], layers: [], blobs: [], tmp: [] });
});

test.before(async () => {
  globalThis.__crypto = await import('node:crypto');
});
test.after(() => removeTree(work));
test.run();
