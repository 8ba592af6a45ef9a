// `hx run IMAGE` as an unprivileged user: the built-in hello-world (no network), an
// image's Entrypoint/Cmd/Env/WorkingDir merged with flags, copy-on-write isolation
// between containers, --rm cleanup, and rmi refusing an image a container uses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hx, need, removeTree, tempDir } from '../lib/hx.mjs';
import { buildLayout, haveTools, skopeoCopy } from '../lib/image-fixtures.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
need(haveTools('umoci', 'skopeo'), 'umoci and skopeo are installed');
const work = tempDir('hx-imgrun-');
const store = join(work, 'store');
const H = (args, o = {}) => hx(args, { ...o, env: { HX_STORAGE_ROOT: store, ...(o.env ?? {}) } });

const fx = join(work, 'fx');
const layout = buildLayout(fx, 'app', [{
  'bin/busybox': { copy: '/bin/busybox', mode: 0o755 },
  'bin/sh': { symlink: 'busybox' },
  'bin/cat': { symlink: 'busybox' },
  'bin/echo': { symlink: 'busybox' },
  'bin/ls': { symlink: 'busybox' },
  'bin/true': { symlink: 'busybox' },
  'bin/id': { symlink: 'busybox' },
  'srv/data/seed': 'seeded',
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n',
  'etc/group': 'root:x:0:\nnobody:x:65534:\n',
}], ['echo', 'from-cmd']);
const archive = join(fx, 'app.tar');
skopeoCopy(`oci:${layout}:app`, `docker-archive:${archive}:localhost/app:1`);

test('hx run hello-world works offline and explains itself', () => {
  const r = H(['run', '--rm', 'hello-world']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Hello from hx!/);
  assert.match(r.stdout, /mounted as "(overlay|fuse\.fuse-overlayfs|ext4|xfs|btrfs|tmpfs)"/);
  assert.match(r.stdout, /uid: container 0 -> host \d+/);
  assert.is(readdirSync(join(store, 'containers')).length, 0, '--rm removed the container');
  assert.match(H(['images']).stdout, /hello-world\s+latest/);
  const again = H(['run', '--rm', 'hello-world']);
  assert.is(again.code, 0);
  assert.is(H(['images', '-q']).stdout.trim().split('\n').length, 1, 'built once');
});

test('image config merged with flags like docker', () => {
  assert.is(H(['load', '-i', archive]).code, 0);
  const cmd = H(['run', '--rm', 'localhost/app:1']);
  assert.is(cmd.code, 0, cmd.stderr);
  assert.is(cmd.stdout.trim(), 'from-cmd');
  const over = H(['run', '--rm', '-e', 'X=42', '-w', '/srv', 'localhost/app:1', 'sh', '-c', 'echo $X $(pwd) $(cat data/seed)']);
  assert.is(over.stdout.trim(), '42 /srv seeded', over.stderr);
  const ep = H(['run', '--rm', '--entrypoint', '/bin/echo', 'localhost/app:1', 'via', 'entrypoint']);
  assert.is(ep.stdout.trim(), 'via entrypoint');
  const u = H(['run', '--rm', '-u', 'nobody', 'localhost/app:1', 'sh', '-c', 'id -u']);
  assert.is(u.stdout.trim(), '65534', u.stderr);
  const code = H(['run', '--rm', 'localhost/app:1', 'sh', '-c', 'exit 7']);
  assert.is(code.code, 7);
  const missing = H(['run', '--rm', '--pull', 'never', 'localhost/nothere:1', 'true']);
  assert.is(missing.code, 125);
  assert.match(missing.stderr, /No such image/);
});

test('containers do not see each other\'s writes; the image stays as it was', () => {
  const a = H(['run', '--rm', 'localhost/app:1', 'sh', '-c', 'echo changed > /srv/data/seed; rm /bin/ls; cat /srv/data/seed']);
  assert.is(a.stdout.trim(), 'changed', a.stderr);
  const b = H(['run', '--rm', 'localhost/app:1', 'sh', '-c', 'cat /srv/data/seed; ls / >/dev/null && echo ls-still-there']);
  assert.is(b.stdout.trim(), 'seededls-still-there', b.stderr); // the seed file has no newline
});

test('a kept container pins its image: rmi refuses, rmi -f removes the name', () => {
  const r = H(['run', 'localhost/app:1', 'true']);
  assert.is(r.code, 0, r.stderr);
  const kept = readdirSync(join(store, 'containers'));
  assert.is(kept.length, 1);
  const refused = H(['rmi', 'localhost/app:1']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /container [a-f0-9]{12} uses it/);
  assert.is(H(['rmi', '-f', 'localhost/app:1']).code, 0);
  assert.ok(existsSync(join(store, 'containers', kept[0])), 'the container keeps its rootfs');
  assert.ok(readdirSync(join(store, 'layers')).length >= 1, 'and its layers');
});

test.after(() => removeTree(work));
test.run();
