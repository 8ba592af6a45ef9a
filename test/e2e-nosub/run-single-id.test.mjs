// `hx run --rootfs` for a user without a subordinate id range: a single-id map (uid and
// gid 0 only), setgroups denied. The container still runs as root of its namespace with
// its own devpts (no gid=5); asking for an unmapped user is a clean 125.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { hx, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from '../e2e/run-rootfs.mjs';

const work = tempDir('hx-run-1id-');
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
const env = { XDG_RUNTIME_DIR: work, HX_STORAGE_ROOT: join(work, 'store') };
const run = (args) => hx(['run', '--rm', '--rootfs', rootfs, ...args], { env });

test('runs as root of a single-id namespace, with docker\'s caps and the usual exit codes', () => {
  const r = run(['sh', '-c', 'id -u; cat /proc/self/uid_map; grep ^CapEff /proc/self/status; grep devpts /proc/mounts; exit 9']);
  assert.is(r.code, 9, r.stderr);
  const [uid, map, caps, devpts] = r.stdout.trim().split('\n');
  assert.is(uid, '0');
  assert.equal(map.trim().split(/\s+/).map(Number), [0, process.getuid(), 1]);
  assert.is(caps, 'CapEff:\t00000000a80425fb');
  assert.not.match(devpts, /gid=/);
  assert.match(r.stderr, /no subordinate id range/, 'the single-id warning is shown');
  assert.is(run(['no-such-command']).code, 127);
});

test('-t works without gid 5', () => {
  const r = run(['-t', 'sh', '-c', 'tty; ls -l /dev/pts/0']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /\/dev\/pts\/0/);
});

test('an unmapped --user is an error naming setuid, exit 125', () => {
  const r = run(['--user', '1000:1000', 'id']);
  assert.is(r.code, 125);
  assert.match(r.stderr, /setgid|setuid/);
  assert.match(r.stderr, /not mapped/);
});

test.after(() => {
  hx(['system', 'migrate'], { env }); // stop the holder made for this runtime dir
  rmSync(work, { recursive: true, force: true }); // single-id: every file is the user's own
});
test.run();
