// The storage-driver conformance suite: overlay, fuse-overlayfs and vfs each pass the same
// contract (test/lib/driver-conformance.mjs) on the same image, and agree with each other
// and with `umoci unpack --rootless` on what the merged root filesystem holds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { hx, need, removeTree, run, tempDir, treeRoot } from '../lib/hx.mjs';
import { buildLayout, haveTools, listRootfs, pathsOf, skopeoCopy } from '../lib/image-fixtures.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
need(haveTools('umoci', 'skopeo', 'fuse-overlayfs'), 'umoci, skopeo and fuse-overlayfs are installed');
const fuseUsable = (() => {
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();
need(fuseUsable, '/dev/fuse is usable by the test user (test provisioning makes it 0666, as udev does)');

const work = tempDir('hx-drivers-');
const fx = join(work, 'fx');
const layout = buildLayout(fx, 'conf', [
  {
    'etc/keep': 'keep\n',
    'etc/gone': 'gone\n',
    'dir1/a': 'a\n',
    'dir2/b': 'b\n',
    'lower/x': 'x\n',
    'lower/y': 'y\n',
    'opq/old': 'old\n',
  },
  {
    'lower/.wh.x': '',
    'opq/.wh..wh..opq': '',
    'opq/new': 'new\n',
  },
]);
const archive = join(fx, 'conf.tar');
skopeoCopy(`oci:${layout}:conf`, `docker-archive:${archive}:localhost/conf:1`);
// the outside verdict: umoci's unpack of the same image
const unpacked = join(work, 'umoci');
run('umoci', ['unpack', '--rootless', '--image', `${layout}:conf`, unpacked]);
const oracle = pathsOf(listRootfs(join(unpacked, 'rootfs')));

const results = {};
for (const driver of ['overlay', 'fuse-overlayfs', 'vfs']) {
  test(`${driver}: mount, write, unmount, mount again, changes, remove`, () => {
    const store = join(work, `store-${driver}`);
    const r = hx(['unshare', '--', process.execPath, join(treeRoot, 'test/lib/driver-conformance.mjs'), store, driver, archive]);
    assert.is(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    results[driver] = o;
    if (process.env.HX_TEST_VERBOSE) console.log(JSON.stringify(o));
    assert.is(o.driver, driver);
    assert.is(o.mounted, true);
    assert.equal(o.merged, oracle, 'the merged root filesystem is what umoci unpacks');
    assert.not.ok(o.merged.some((l) => l.includes('.wh.')), 'no whiteout shows');
    const paths = o.merged.map((l) => l.split(' ')[0]);
    assert.ok(!paths.includes('/lower/x') && paths.includes('/lower/y') && !paths.includes('/opq/old') && paths.includes('/opq/new'), paths.join(' '));
    for (const c of ['A /new.txt', 'C /etc/keep', 'D /etc/gone', 'D /dir1', 'A /dir3', 'A /dir3/f']) assert.ok(o.changes.includes(c), `${c} in ${o.changes.join(', ')}`);
    assert.not.ok(o.changes.some((c) => c.startsWith('D /dir1/')), 'a deleted directory is one change');
    assert.is(o.mountedAfterUnmount, driver === 'vfs', 'vfs keeps its copy; the overlays unmount');
    assert.is(o.kept, 'keep\nmore\n');
    assert.is(o.isolated, true);
    assert.is(o.removed, true);
  });
}

test('the three drivers agree on the changes', () => {
  assert.equal(results['fuse-overlayfs'].changes, results.overlay.changes);
  assert.equal(results.vfs.changes, results.overlay.changes);
});

test.after(() => removeTree(work));
test.run();
