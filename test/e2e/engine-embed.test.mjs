// hx as a library: a program imports the Engine (package.json "main") and drives it with no
// CLI involved. Rootless it must run inside hx's user namespace, so the program is started
// with `hx unshare -- node PROGRAM` (docs/ENGINE-API.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { hx, need, removeTree, tempDir, treeRoot } from '../lib/hx.mjs';
import { buildLayout, haveTools, skopeoCopy } from '../lib/image-fixtures.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
need(haveTools('umoci', 'skopeo'), 'umoci and skopeo are installed');
const work = tempDir('hx-embed-');
const fx = join(work, 'fx');
const layout = buildLayout(fx, 'embed', [{
  'bin/busybox': { copy: '/bin/busybox', mode: 0o755 },
  'bin/sh': { symlink: 'busybox' },
  'bin/echo': { symlink: 'busybox' },
}]);
const archive = join(fx, 'embed.tar');
skopeoCopy(`oci:${layout}:embed`, `docker-archive:${archive}:localhost/embed:1`);

test('an Engine embedded in a program: load, run with captured output, run detached, list', () => {
  const store = join(work, 'store');
  const runtime = join(work, 'run');
  const r = hx(['unshare', '--', process.execPath, join(treeRoot, 'test/lib/embed-engine.mjs'), store, runtime, archive], { env: { HX_RUNTIME_DIR: runtime } });
  assert.is(r.code, 0, r.stderr);
  const seen = JSON.parse(r.stdout);
  assert.equal(seen.loaded, ['localhost/embed:1']);
  assert.is(seen.code, 3);
  assert.is(seen.output, 'hello engine\n');
  assert.equal(seen.detached, { exitCode: 0, log: 'from the monitor\n' });
  assert.is(seen.containers.length, 1, '--rm removed the foreground one');
  assert.is(seen.containers[0].state, 'exited');
  assert.match(seen.containers[0].status, /^Exited \(0\) /);
  assert.equal(seen.images, ['localhost/embed:1']);
  assert.is(seen.after, 0);
  assert.equal(seen.missing, { isHxError: true, kind: 'not-found' });
});

test.after(() => removeTree(work));
test.run();
