// Images for a user without a subuid range (single-id namespace): files owned by other
// ids keep root ownership (with a note in the layer record) instead of failing, whiteouts
// and opaque dirs still work, and hello-world runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, need, removeTree, tempDir, treeRoot } from '../lib/hx.mjs';
import { makeTar } from '../lib/tar-build.mjs';

need(process.getuid() !== 0, 'runs as an unprivileged user');
const work = tempDir('hx-nosub-img-');
const store = join(work, 'store');
const H = (args, o = {}) => hx(args, { ...o, env: { HX_STORAGE_ROOT: store } });
const sha = (b) => createHash('sha256').update(b).digest('hex');

function dockerArchive(layers, name) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${sha(l)}`) } }));
  const entries = [{ name: `${sha(config)}.json`, data: config }];
  layers.forEach((l, i) => entries.push({ name: `l${i}/layer.tar`, data: l }));
  entries.push({ name: 'manifest.json', data: JSON.stringify([{ Config: `${sha(config)}.json`, RepoTags: [name], Layers: layers.map((_, i) => `l${i}/layer.tar`) }]) });
  return makeTar(entries);
}

test('load and list an image with files of other owners in single-id mode', () => {
  const l1 = makeTar([
    { name: 'bin/busybox', data: readFileSync('/bin/busybox'), mode: 0o755 },
    { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
    { name: 'home/user/file', data: 'mine', uid: 1000, gid: 1000 },
    { name: 'd/x', data: 'x' },
  ]);
  const l2 = makeTar([{ name: 'd/.wh..wh..opq', data: '' }, { name: 'd/y', data: 'y' }, { name: 'home/user/.wh.file', data: '' }]);
  const file = join(work, 'img.tar');
  writeFileSync(file, dockerArchive([l1, l2], 'localhost/single:1'));
  const r = H(['load', '-i', file]);
  assert.is(r.code, 0, r.stderr);
  const notes = readdirSync(join(store, 'layers')).flatMap((l) => JSON.parse(readFileSync(join(store, 'layers', l, 'layer.json'), 'utf8')).notes ?? []);
  assert.match(notes.join('\n'), /kept root ownership/);
  const list = H(['unshare', '--', process.execPath, join(treeRoot, 'test/lib/hx-rootfs-list.mjs'), 'localhost/single:1']);
  assert.is(list.code, 0, list.stderr);
  const listing = JSON.parse(list.stdout.trim().split('\n').pop()).listing.join('\n');
  assert.match(listing, /^\/d\/y f /m);
  assert.not.match(listing, /^\/d\/x /m);
  assert.not.match(listing, /^\/home\/user\/file /m);
  const run = H(['run', '--rm', 'localhost/single:1', '/bin/sh', '-c', 'ls /d']);
  assert.is(run.code, 0, run.stderr);
  assert.is(run.stdout.trim(), 'y');
});

test('hello-world runs with a single id', () => {
  const r = H(['run', '--rm', 'hello-world']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /container 0 -> host \d+ \(1 ids\)/);
});

test.after(() => removeTree(work));
test.run();
