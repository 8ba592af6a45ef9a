// Issue 4: the global --storage-driver option, as podman takes it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { hx, removeTree, tempDir } from '../lib/hx.mjs';

const dir = tempDir('hx-driver-');
const env = { HX_STORAGE_ROOT: join(dir, 'store') };

test('hx --storage-driver vfs run uses vfs, and info says so and why', () => {
  const r = hx(['--storage-driver', 'vfs', 'run', '--rm', 'hello-world'], { env });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Hello from hx!/);
  assert.not.match(r.stdout, /mounted as "overlay"/);
  const info = JSON.parse(hx(['--storage-driver=vfs', 'info', '--format', 'json'], { env }).stdout);
  assert.is(info.storage.driver, 'vfs');
  assert.match(info.storage.driverReason, /--storage-driver/);
});

test('without the option the same store uses the probed driver (overlay here)', () => {
  const r = hx(['run', '--rm', 'hello-world'], { env });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /mounted as "overlay"/);
});

test('an unknown driver is a one-line error, exit 125', () => {
  const r = hx(['--storage-driver', 'zfs', 'images'], { env });
  assert.is(r.code, 125);
  assert.match(r.stderr, /--storage-driver needs one of: overlay, fuse-overlayfs, vfs/);
});

test.after(() => removeTree(dir));

test.run();
