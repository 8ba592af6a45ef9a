// `hx run --rootfs` rootful (as real root, no user namespace, like docker): exit codes,
// docker's capability set, isolation, and nothing left in the host's mount table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { hx, need, removeTree, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from '../e2e/run-rootfs.mjs';

need(process.getuid() === 0, 'root suites run as root');
const work = tempDir('hx-run-root-');
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
const env = { HX_STORAGE_ROOT: join(work, 'store'), HX_RUNTIME_DIR: join(work, 'run') };
const sh = (script, flags = []) => hx(['run', '--rm', '--rootfs', rootfs, ...flags, 'sh', '-c', script], { env });

test('exit codes: own code, 137 under --init, 127, 126', () => {
  assert.is(sh('exit 7').code, 7);
  assert.is(sh('kill -9 $$', ['--init']).code, 137);
  const missing = hx(['run', '--rm', '--rootfs', rootfs, 'no-such-command'], { env });
  assert.is(missing.code, 127);
  assert.match(missing.stderr, /"no-such-command": executable file not found in \$PATH/);
  assert.is(hx(['run', '--rm', '--rootfs', rootfs, '/bin/notexec'], { env }).code, 126);
});

test('rootful: real uid 0 without a user namespace, docker\'s caps, pid and net isolation', () => {
  const r = sh('id -u; grep ^CapEff /proc/self/status; readlink /proc/self/ns/user; ps -o pid > /tmp/ps.out; wc -l < /tmp/ps.out; ls /sys/class/net');
  assert.is(r.code, 0, r.stderr);
  const [uid, capEff, userns, procs, nets] = r.stdout.trim().split('\n');
  assert.is(uid, '0');
  assert.is(capEff, 'CapEff:\t00000000a80425fb');
  assert.is(userns, readlinkSync('/proc/self/ns/user'), 'the host\'s user namespace');
  // written to a file first: in a pipe, ps may finish before the shell has forked wc
  assert.is(procs.trim(), '3', 'header, sh and ps: nothing of the host');
  assert.is(nets.trim(), 'lo');
  assert.is(sh('mount -t tmpfs x /mnt').code === 0, false);
  assert.is(sh('id -G', ['--user', '1000:1000']).stdout.trim(), '1000', 'root\'s own groups are dropped');
});

test('no mounts left in the host\'s mount table', () => {
  assert.is(sh('true', ['--tmpfs', '/t', '-v', `${work}:/w:ro`]).code, 0);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(rootfs));
  assert.equal(mounts, []);
});

test.after(() => removeTree(work));
test.run();
