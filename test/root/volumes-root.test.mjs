// Volumes rootful (real root, no user namespace): copy-up keeps the image's owners as they
// are on the host, data outlives containers, nothing stays mounted, a volume in use is kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, need, removeTree, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from '../e2e/run-rootfs.mjs';

need(process.getuid() === 0, 'root suites run as root');
const work = tempDir('hx-volumes-root-');
const store = join(work, 'store');
const env = { HX_STORAGE_ROOT: store, HX_RUNTIME_DIR: join(work, 'run') };
const ok = (args) => {
  const r = hx(args, { env });
  assert.is(r.code, 0, `hx ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
mkdirSync(join(rootfs, 'data'));
writeFileSync(join(rootfs, 'data/owned'), 'from the image\n', { mode: 0o640 });
const tar = join(work, 'rootfs.tar');
execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', tar, '--exclude=./data', '.']);
execFileSync('tar', ['--numeric-owner', '--owner=1000', '--group=1000', '-C', rootfs, '-rf', tar, './data']);
ok(['import', '--change', 'CMD ["sh"]', tar, 'localhost/volroot:1']);

test('rootful: copy-up with the host ids, data kept, no mount left, in use kept', () => {
  ok(['run', '--rm', '-v', 'rv:/data', 'localhost/volroot:1', 'sh', '-c', 'echo more >> /data/owned']);
  const data = join(store, 'volumes/rv/_data/owned');
  const st = statSync(data);
  assert.equal([st.uid, st.gid, st.mode & 0o777], [1000, 1000, 0o640], 'the image owner, unmapped');
  assert.is(readFileSync(data, 'utf8'), 'from the image\nmore\n');
  assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(store)), []);
  const id = ok(['create', '-v', 'rv:/data', 'localhost/volroot:1', 'true']).trim();
  const r = hx(['volume', 'rm', '-f', 'rv'], { env });
  assert.is(r.code, 1);
  assert.is(r.stderr, `Error response from daemon: remove rv: volume is in use - [${id}]\n`);
  ok(['rm', '-v', id]);
  assert.is(ok(['volume', 'ls', '-q']), 'rv\n', 'rm -v keeps a named volume');
  assert.is(ok(['volume', 'rm', 'rv']), 'rv\n');
});

test.after(() => removeTree(work));
test.run();
