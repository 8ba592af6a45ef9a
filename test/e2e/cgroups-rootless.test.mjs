// Limits rootless. On a host that delegates no cgroup to the user (cgroup v1, or v2
// without systemd's Delegate=), hx refuses a limit with the controller and the fix
// rather than ignoring it (podman 4.3 accepts --memory and ignores it), refuses
// --cgroups disabled with a limit, and runs --cgroups disabled and limit-free containers;
// pause says why it cannot; stats sums a container's processes from /proc. Where the
// host does delegate (a v2 subtree the user owns), the refusal tests are skipped with the
// reason: test/root/cgroups.test.mjs has the limits themselves.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { hx, need, removeTree, run, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
const work = tempDir('hx-cg-rootless-');
const env = { HX_STORAGE_ROOT: join(work, 'store'), HX_RUNTIME_DIR: join(work, 'run') };
const H = (args) => hx(args, { env });
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
const tarball = join(work, 'bb.tar');
assert.is(run('tar', ['-C', rootfs, '-cf', tarball, '.']).code, 0);
assert.is(H(['import', tarball, 'bb']).code, 0);

// hx's own rule: only cgroup v2 can be delegated, and it must include the controller
const cgroups = JSON.parse(hx(['info', '--format', 'json'], { env }).stdout).cgroups;
const delegated = cgroups.version === 'v2' ? cgroups.delegated.join(' ') : '';
const noDelegation = !delegated.includes('memory');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('--memory 32m without delegation: refused with the controller and the fix, exit 125, nothing made', () => {
  if (!noDelegation) {
    console.log(`  skipped: this host delegates cgroup controllers to the user (${delegated})`);
    return;
  }
  for (const verb of ['run', 'create']) {
    const r = H([verb, '--memory', '32m', 'bb', 'true']);
    assert.is(r.code, 125, r.stderr);
    assert.match(r.stderr, /--memory needs the cgroup memory controller, which is not available to user \d+: /);
    assert.match(r.stderr, /Delegate=cpu cpuset io memory pids/);
    assert.match(r.stderr, /--cgroups disabled/);
  }
  for (const [flag, value, controller] of [['--cpus', '0.5', 'cpu'], ['--pids-limit', '20', 'pids'], ['--cpuset-cpus', '0', 'cpuset']]) {
    const r = H(['run', flag, value, 'bb', 'true']);
    assert.is(r.code, 125);
    assert.match(r.stderr, new RegExp(`${flag} needs the cgroup ${controller} controller`));
  }
  assert.is(H(['ps', '-a', '-q']).stdout, '', 'no record left');
});

test('--cgroups disabled with a limit is contradictory; --cgroups disabled and no limits run', () => {
  const both = H(['run', '--rm', '--cgroups', 'disabled', '--memory', '32m', 'bb', 'true']);
  assert.is(both.code, 125);
  assert.match(both.stderr, /--cgroups disabled conflicts with --memory: a limit needs a cgroup/);
  const off = H(['run', '--rm', '--cgroups', 'disabled', 'bb', 'sh', '-c', 'echo ran']);
  assert.is(off.code, 0, off.stderr);
  assert.is(off.stdout, 'ran\n');
  const plain = H(['run', '--rm', 'bb', 'sh', '-c', 'echo plain']);
  assert.is(plain.stdout, 'plain\n', 'no limit asked, none needed');
  assert.is(H(['run', '--rm', '--cgroups', 'bogus', 'bb', 'true']).code, 125);
  const warn = H(['run', '--rm', '--kernel-memory', '64m', 'bb', 'true']);
  assert.is(warn.code, 0, 'kernel memory is ignored, as docker does: no controller needed');
  assert.match(warn.stderr, /WARNING: Specifying a kernel memory limit is deprecated/);
});

test('without a cgroup: pause says why; stats sums its processes from /proc; update refuses', async () => {
  if (!noDelegation) {
    console.log('  skipped: the host delegates cgroups');
    return;
  }
  const r = H(['run', '-d', '--name', 'free', 'bb', 'sh', '-c', 'sleep 60 & sleep 60 & wait']);
  assert.is(r.code, 0, r.stderr);
  const p = H(['pause', 'free']);
  assert.is(p.code, 1);
  assert.match(p.stderr, /cannot pause container free: it has no cgroup of its own/);
  await sleep(300);
  const s = H(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}} {{.MemUsage}}', 'free']);
  assert.is(s.code, 0, s.stderr);
  const [name, pids, usage] = s.stdout.trim().split(' ');
  assert.is(name, 'free');
  assert.is(pids, '3', 'sh and two sleeps, counted from /proc');
  assert.match(usage, /^[\d.]+[KM]iB$/, 'their RSS');
  const u = H(['update', '--memory', '64m', 'free']);
  assert.is(u.code, 1);
  assert.match(u.stderr, /runs without a cgroup of its own/);
  H(['rm', '-f', 'free']);
});

test.after(() => removeTree(work));
test.run();
