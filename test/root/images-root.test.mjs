// Images rootful (as root, no user namespace): layers keep real ids, opaque dirs use
// trusted.overlay.opaque, device nodes are created, and the merged rootfs equals what
// `umoci unpack` (rootful) makes of the same image; hello-world runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, need, treeRoot } from '../lib/hx.mjs';
import { buildLayout, haveTools, listRootfs, skopeoCopy } from '../lib/image-fixtures.mjs';
import { makeTar } from '../lib/tar-build.mjs';

need(process.getuid() === 0, 'root suites run as root');
need(haveTools('umoci', 'skopeo'), 'umoci and skopeo are installed');
const work = mkdtempSync('/tmp/hx-root-images-');
const store = join(work, 'store');
const H = (args, o = {}) => hx(args, { ...o, env: { HX_STORAGE_ROOT: store, ...(o.env ?? {}) } });
const { lgetxattr } = await import(join(treeRoot, 'dist/sys/libc.js'));

const fx = join(work, 'fx');
const devLayer = join(work, 'dev.tar');
writeFileSync(devLayer, makeTar([
  { name: 'dev/', type: 'dir' },
  { name: 'dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 },
  { name: 'srv/owned', data: 'x', uid: 1234, gid: 4321, mode: 0o640 },
]));
const layout = buildLayout(fx, 'r', [
  { 'etc/a': 'a', 'd/x': 'x', 'keep/k': 'k' },
  { 'etc/.wh.a': '', 'd/.wh..wh..opq': '', 'd/y': 'y' },
  devLayer,
]);
const archive = join(fx, 'r.tar');
skopeoCopy(`oci:${layout}:r`, `docker-archive:${archive}:localhost/r:1`);

test('rootful load: real ids, trusted.overlay.opaque, device nodes', () => {
  const r = H(['load', '-i', archive]);
  assert.is(r.code, 0, r.stderr);
  const layers = readdirSync(join(store, 'layers')).map((l) => join(store, 'layers', l, 'diff'));
  const withOpaque = layers.find((l) => {
    try {
      return lgetxattr(join(l, 'd'), 'trusted.overlay.opaque')?.toString() === 'y';
    } catch {
      return false;
    }
  });
  assert.ok(withOpaque, 'an opaque dir marked with trusted.overlay.opaque');
  const dev = layers.map((l) => join(l, 'dev/null')).find((p) => {
    try {
      return lstatSync(p).isCharacterDevice();
    } catch {
      return false;
    }
  });
  assert.ok(dev, 'device node created');
  assert.is(lstatSync(dev).rdev, (1 << 8) | 3);
  const owned = layers.map((l) => join(l, 'srv/owned')).find((p) => {
    try {
      return lstatSync(p).isFile();
    } catch {
      return false;
    }
  });
  assert.is(lstatSync(owned).uid, 1234);
  assert.is(lstatSync(owned).gid, 4321);
});

test('rootful merged rootfs equals umoci unpack', () => {
  const r = H(['unshare', '--', process.execPath, join(treeRoot, 'test/lib/hx-rootfs-list.mjs'), 'localhost/r:1']);
  assert.is(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split('\n').pop());
  const dir = join(work, 'umoci');
  execFileSync('umoci', ['unpack', '--image', `${layout}:r`, dir]);
  assert.equal(got.listing, listRootfs(join(dir, 'rootfs')));
});

test('rootful hx run hello-world', () => {
  const r = H(['run', '--rm', 'hello-world']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Hello from hx!/);
});

test.after(() => {
  hx(['system', 'reset', '-f'], { env: { HX_STORAGE_ROOT: store } });
  rmSync(work, { recursive: true, force: true });
});
test.run();
