// `hx run --rootfs` as an unprivileged user (issue 3's must-show list): isolation inside
// the container, docker's security defaults, mounts, identity and exit codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, hxBin, need, removeTree, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
const work = tempDir('hx-run-');
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
const env = { HX_STORAGE_ROOT: join(work, 'store') };
const run = (args, o = {}) => hx(['run', '--rm', '--rootfs', rootfs, ...args], { env, ...o });
const sh = (script, flags = []) => run([...flags, 'sh', '-c', script]);

/** Mounts in the holder's mount namespace that mention PATH (none may outlive a container). */
function holderMountsOf(path) {
  const r = hx(['unshare', '--', 'cat', '/proc/self/mountinfo'], { env });
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.includes(path));
}

/** Processes of ours whose command line contains MARKER. */
function processesWith(marker) {
  const found = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(marker) && Number(pid) !== process.pid) found.push(`${pid}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return found;
}

/** Start hx run in the background; resolves {code, stdout, stderr}; `ready` resolves on the first output line. */
function runAsync(args) {
  const child = spawn(hxBin, ['run', '--rm', '--rootfs', rootfs, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  let onReady;
  const ready = new Promise((r) => (onReady = r));
  child.stdout.on('data', (d) => {
    stdout += d;
    if (stdout.includes('\n')) onReady();
  });
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, ready, done };
}

function containerPidOf(hxPid) {
  // hx's children: the container and its tether (the watcher that kills it if hx dies)
  const children = readFileSync(`/proc/${hxPid}/task/${hxPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
    .filter((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'hx-tether');
  assert.is(children.length, 1, `hx has one container child (${children.join(',')})`);
  return Number(children[0]);
}

test('inside: root of the user namespace, the given hostname, only its own processes', () => {
  const r = sh('id -u; hostname; ps -o pid,args; exit 0', ['--hostname', 'box-7']);
  assert.is(r.code, 0, r.stderr);
  const [uid, host, header, ...procs] = r.stdout.trim().split('\n');
  assert.is(uid, '0');
  assert.is(host, 'box-7');
  assert.match(header, /PID/);
  assert.is(procs.length, 2, `sh and ps only:\n${procs.join('\n')}`);
  assert.match(procs[0], /^\s*1 sh -c id -u; hostname; ps -o pid,args; exit 0$/);
  assert.match(procs[1], /^\s*\d+ (ps -o pid,args|\{ps\} sh -c .*)$/); // busybox sh forks applets without exec
  // the command itself is pid 1
  const direct = run(['ps', '-o', 'pid,args']);
  assert.equal(direct.stdout.trim().split('\n').slice(1).map((l) => l.trim()), ['1 ps -o pid,args']);
});

test('CapEff, CapPrm and CapBnd are docker\'s default set; inheritable and ambient are empty', () => {
  const r = sh('grep ^Cap /proc/self/status');
  assert.is(r.code, 0, r.stderr);
  const caps = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(':\t')));
  assert.equal(caps, { CapInh: '0000000000000000', CapPrm: '00000000a80425fb', CapEff: '00000000a80425fb', CapBnd: '00000000a80425fb', CapAmb: '0000000000000000' });
  const added = sh('grep ^CapEff /proc/self/status', ['--cap-add', 'NET_ADMIN', '--cap-drop', 'chown']);
  assert.is(added.stdout.trim(), 'CapEff:\t00000000a80435fa'); // + NET_ADMIN (12), - CHOWN (0)
});

test('mount -t tmpfs fails; unshare -U fails (seccomp) but works unconfined', () => {
  const m = sh('mount -t tmpfs x /mnt');
  assert.is.not(m.code, 0);
  assert.match(m.stderr, /permission denied|not permitted/i);
  const u = sh('unshare -U true');
  assert.is.not(u.code, 0);
  assert.match(u.stderr, /not permitted/);
  // The refusal comes from the seccomp filter: without it the same call succeeds.
  const free = sh('unshare -U true && echo unshared', ['--security-opt', 'seccomp=unconfined']);
  assert.is(free.stdout.trim(), 'unshared', free.stderr);
});

test('seccomp: on by default (also for a non-root user), a docker-format profile file, no-new-privileges', () => {
  const status = (flags) => sh('grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status', flags).stdout.trim().split('\n');
  assert.equal(status([]), ['NoNewPrivs:\t0', 'Seccomp:\t2']);
  assert.equal(status(['--user', '1000']), ['NoNewPrivs:\t0', 'Seccomp:\t2'], 'loaded before dropping CAP_SYS_ADMIN, without no_new_privs');
  assert.equal(status(['--security-opt', 'no-new-privileges']), ['NoNewPrivs:\t1', 'Seccomp:\t2']);
  assert.equal(status(['--security-opt', 'seccomp=unconfined']), ['NoNewPrivs:\t0', 'Seccomp:\t0']);
  const profile = join(work, 'no-mkdir.json');
  writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
  const r = sh('mkdir /tmp/d; echo "mkdir=$?"; touch /tmp/f && echo touched', ['--security-opt', `seccomp=${profile}`]);
  assert.match(r.stdout, /mkdir=1/);
  assert.match(r.stderr, /Operation not permitted/);
  assert.match(r.stdout, /touched/);
});

test('/proc/sysrq-trigger and /proc/sys refuse writes; masked paths read empty', () => {
  const sysrq = sh('echo h > /proc/sysrq-trigger');
  assert.is.not(sysrq.code, 0);
  if (existsSync('/proc/sysrq-trigger')) assert.match(sysrq.stderr, /Read-only file system/);
  const sys = sh('echo 1 > /proc/sys/kernel/ns_last_pid');
  assert.is.not(sys.code, 0);
  assert.match(sys.stderr, /Read-only file system/);
  // Every masked file that exists is /dev/null (char 1,3) and reads empty; dirs are empty.
  const masked = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/proc/latency_stats', '/proc/interrupts'].filter((p) => existsSync(p));
  assert.ok(masked.length > 0, 'the host has some of the masked files');
  const r = sh(masked.map((p) => `echo "${p} $(stat -c %t:%T ${p}) $(cat ${p} | wc -c)"`).join('; '));
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n'), masked.map((p) => `${p} 1:3 0`));
  for (const dir of ['/proc/acpi', '/proc/scsi', '/proc/asound', '/sys/firmware'].filter((p) => existsSync(p))) {
    const d = sh(`ls -A ${dir} | wc -l; grep " ${dir} " /proc/mounts`);
    assert.match(d.stdout, /^0\ntmpfs \S+ tmpfs ro,/, `${dir} is an empty read-only tmpfs: ${d.stdout}`);
  }
  const priv = sh(`stat -c %t:%T ${masked[0]}`, ['--privileged']);
  assert.is.not(priv.stdout.trim(), '1:3', '--privileged leaves the paths unmasked');
});

test('--network none: only lo, and it is up; --network host sees the host\'s interfaces', () => {
  const r = sh('ls /sys/class/net; ip -o link');
  assert.is(r.code, 0, r.stderr);
  const [names, ...links] = [r.stdout.split('\n')[0], ...r.stdout.trim().split('\n').slice(1)];
  assert.is(names.trim(), 'lo');
  assert.is(links.length, 1);
  assert.match(links[0], /lo: <LOOPBACK,UP/);
  const host = readdirSync('/sys/class/net').sort();
  const h = sh('ls /sys/class/net', ['--network', 'host']);
  assert.equal(h.stdout.trim().split(/\s+/).sort(), host);
});

test('-v shows host files; :ro refuses writes; --mount and --tmpfs', () => {
  const hostDir = join(work, 'hostdir');
  mkdirSync(hostDir, { recursive: true });
  writeFileSync(join(hostDir, 'greeting'), 'hello from the host\n');
  const rw = sh('cat /data/greeting && echo written > /data/new', ['-v', `${hostDir}:/data`]);
  assert.is(rw.code, 0, rw.stderr);
  assert.is(rw.stdout, 'hello from the host\n');
  assert.is(readFileSync(join(hostDir, 'new'), 'utf8'), 'written\n');
  const ro = sh('cat /data/greeting; echo nope > /data/other', ['-v', `${hostDir}:/data:ro`]);
  assert.is.not(ro.code, 0);
  assert.match(ro.stderr, /Read-only file system/);
  assert.not.ok(existsSync(join(hostDir, 'other')));
  const m = sh('cat /m/greeting; touch /m/x', ['--mount', `type=bind,source=${hostDir},target=/m,readonly`]);
  assert.match(m.stdout, /hello from the host/);
  assert.match(m.stderr, /Read-only file system/);
  const t = sh('grep " /scratch " /proc/mounts; touch /scratch/f && echo ok', ['--tmpfs', '/scratch:size=1m']);
  assert.match(t.stdout, /tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec/);
  assert.match(t.stdout, /ok/);
  // a file bind and a target that did not exist in the image
  const f = sh('cat /etc/hostgreeting', ['-v', `${join(hostDir, 'greeting')}:/etc/hostgreeting:ro`]);
  assert.is(f.stdout, 'hello from the host\n', f.stderr);
  assert.not.ok(existsSync(join(rootfs, 'data')) && readdirSync(join(rootfs, 'data')).length > 0, 'the image dir under a bind stays empty');
});

test('mount targets cannot escape the rootfs through symlinks', () => {
  const hostDir = join(work, 'escape-src');
  mkdirSync(hostDir, { recursive: true });
  writeFileSync(join(hostDir, 'marker'), 'x');
  const outside = join(work, 'outside');
  mkdirSync(outside, { recursive: true });
  // /escape -> OUTSIDE's absolute host path: resolved inside the rootfs, that names a
  // directory under the rootfs, which is created there; the host directory is untouched.
  symlinkSync(outside, join(rootfs, 'escape'));
  const r = sh('ls /escape/', ['-v', `${hostDir}:/escape`]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /marker/);
  assert.equal(readdirSync(outside), [], 'nothing was mounted on or created in the host directory');
  assert.ok(existsSync(join(rootfs, outside)), 'the mount point was made inside the rootfs');
  const up = sh('ls /up/', ['-v', `${hostDir}:/bin/../../../up`]);
  assert.match(up.stdout, /marker/, 'a target with .. stays inside too');
  rmSync(join(rootfs, 'escape'));
  rmSync(join(rootfs, work), { recursive: true, force: true });
  rmSync(join(rootfs, 'up'), { recursive: true, force: true });
});

test('--user 1000:1000, --user alice, --user 1000: uid, gid and groups like docker', () => {
  const explicit = sh('id -u; id -g; id -G; echo $HOME', ['--user', '1000:1000']);
  assert.is(explicit.code, 0, explicit.stderr);
  assert.equal(explicit.stdout.trim().split('\n'), ['1000', '1000', '1000', '/home/alice']);
  const named = sh('id -u; id -g; id -G', ['--user', 'alice']);
  assert.equal(named.stdout.trim().split('\n'), ['1000', '1000', '1000 10 29']);
  const byUid = sh('id -G; grep ^CapEff /proc/self/status', ['--user', '1000', '--group-add', '29']);
  assert.equal(byUid.stdout.trim().split('\n'), ['1000 10 29', 'CapEff:\t0000000000000000']);
  // and the files it makes are owned by that user
  const made = sh('touch /tmp/by-alice; stat -c %u:%g /tmp/by-alice', ['--user', '1000:1000']);
  assert.is(made.stdout.trim(), '1000:1000');
});

test('exit codes: own code, missing command 127, not executable 126', () => {
  assert.is(sh('exit 7').code, 7);
  const missing = run(['no-such-command', 'arg']);
  assert.is(missing.code, 127);
  assert.match(missing.stderr, /no-such-command/);
  assert.match(missing.stderr, /executable file not found in \$PATH/);
  const notExec = run(['/bin/notexec']);
  assert.is(notExec.code, 126);
  assert.match(notExec.stderr, /permission denied/);
  assert.is(run(['/etc']).code, 126, 'a directory cannot be run');
  const interp = run(['/bin/badinterp']);
  assert.is(interp.code, 127);
  assert.match(interp.stderr, /no such file or directory/);
  assert.is(run(['/no/such/file']).code, 127);
});

test('killed by a signal: 128+N (pid 1 killed from outside; a command under --init killing itself)', async () => {
  // As in docker, pid 1 ignores signals it has no handler for when they come from inside
  // its own namespace, even SIGKILL (moby#12448): `kill -9 $$` as pid 1 does nothing ...
  assert.is(sh('kill -9 $$; echo survived').stdout.trim(), 'survived');
  // ... so the command runs under --init, or is killed from outside.
  assert.is(sh('kill -9 $$', ['--init']).code, 137);
  assert.is(sh('kill -TERM $$', ['--init']).code, 143);
  const bg = runAsync(['sh', '-c', 'echo ready; exec sleep 1234.25']);
  await bg.ready;
  process.kill(containerPidOf(bg.child.pid), 'SIGKILL');
  const r = await bg.done;
  assert.is(r.code, 137, r.stderr);
});

test('signals sent to hx reach the container', async () => {
  for (const [sig, code] of [['SIGTERM', 42], ['SIGINT', 43], ['SIGHUP', 44], ['SIGUSR1', 45]]) {
    const bg = runAsync(['sh', '-c', `trap "exit ${code}" ${sig.slice(3)}; echo ready; while :; do sleep 0.05; done`]);
    await bg.ready;
    bg.child.kill(sig);
    const r = await bg.done;
    assert.is(r.code, code, `${sig}: ${r.stderr}`);
  }
});

test('hx killed with SIGKILL takes its container with it', async () => {
  const bg = runAsync(['sh', '-c', 'echo ready; sleep 4321.75 & sleep 4321.75']);
  await bg.ready;
  assert.ok(processesWith('4321.75').length >= 1, 'the container runs');
  bg.child.kill('SIGKILL');
  await bg.done;
  for (let i = 0; i < 50 && processesWith('4321.75').length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(processesWith('4321.75'), [], 'pid 1 died with hx (parent-death signal) and the pid namespace with it');
  assert.equal(holderMountsOf(rootfs), []);
});

test('--init reaps orphaned zombies; without it they stay', () => {
  const script = '(sleep 0.4; ps -o stat,comm) & sh -c "sleep 0.1 &"; exec sleep 0.8';
  const without = sh(script);
  assert.match(without.stdout, /Z\s+sleep/, `a zombie without --init:\n${without.stdout}`);
  const withInit = sh(script, ['--init']);
  assert.is(withInit.code, 0, withInit.stderr);
  assert.match(withInit.stdout, /init/);
  assert.not.match(withInit.stdout, /^Z/m, withInit.stdout);
});

test('environment, workdir (created), read-only root, ulimit, stdin with -i only', () => {
  const e = sh('echo "$A|$HOSTNAME|$HOME|$PATH"', ['-e', 'A=1', '--hostname', 'envhost']);
  assert.is(e.stdout.trim(), '1|envhost|/root|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  const w = run(['-w', '/made/for/me', 'pwd']);
  assert.is(w.stdout.trim(), '/made/for/me', w.stderr);
  const ro = sh('touch /newfile', ['--read-only']);
  assert.match(ro.stderr, /Read-only file system/);
  const u = sh('ulimit -n; ulimit -Hn', ['--ulimit', 'nofile=256:512']);
  assert.equal(u.stdout.trim().split('\n'), ['256', '512']);
  assert.is(run(['-i', 'cat'], { input: 'piped in\n' }).stdout, 'piped in\n');
  assert.is(run(['cat'], { input: 'not forwarded\n' }).stdout, '', 'without -i stdin is /dev/null');
});

test('bad input: one error line, exit 125, nothing left behind', () => {
  const file = join(work, 'plainfile');
  writeFileSync(file, 'x');
  const badJson = join(work, 'bad.json');
  writeFileSync(badJson, '{"defaultAction": ');
  const cases = [
    [['run', '--rm', '--rootfs', join(work, 'missing'), 'true'], /rootfs .*missing: no such directory/],
    [['run', '--rm', '--rootfs', file, 'true'], /not a directory/],
    [['run', '--rm', '--rootfs', rootfs, '-v', `${join(work, 'no-such-dir')}:/x`, 'true'], /bind source path does not exist/],
    [['run', '--rm', '--rootfs', rootfs, '--cap-add', 'CAP_FLY', 'true'], /unknown capability: "CAP_FLY"/],
    [['run', '--rm', '--rootfs', rootfs, '--security-opt', `seccomp=${badJson}`, 'true'], /seccomp|JSON/i],
    [['run', '--rm', '--rootfs', rootfs, '--user', 'mallory', 'true'], /unable to find user mallory/],
    [['run', '--rm', '--rootfs', rootfs, '--bogus-flag', 'true'], /unknown flag/],
  ];
  for (const [args, message] of cases) {
    const r = hx(args, { env });
    assert.is(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.is(lines.filter((l) => l.startsWith('hx: ')).length, 1, r.stderr);
    assert.ok(lines.every((l) => l.startsWith('hx: ') || l.startsWith('  hint: ')), r.stderr);
    assert.match(r.stderr, message);
  }
  assert.equal(holderMountsOf(rootfs), []);
});

test('a failure after the container was made leaves no mounts and no processes', () => {
  // uid 4000000 is not mapped: setuid fails in the child after all mounts were made.
  const r = run(['--user', '4000000', 'sleep', '4321.5']);
  assert.is(r.code, 125, r.stderr);
  assert.match(r.stderr, /setuid/);
  const limit = run(['--ulimit', 'nofile=1:99999999', 'sleep', '4321.5']);
  assert.is(limit.code, 125, limit.stderr);
  assert.match(limit.stderr, /rlimit/);
  assert.equal(holderMountsOf(rootfs), []);
  assert.equal(processesWith('4321.5'), []);
});

test('containers that ran leave no mounts or processes behind', () => {
  assert.is(sh('sleep 0.1357 & echo started; sleep 0.2', ['--init', '--tmpfs', '/t', '-t']).code, 0);
  assert.equal(holderMountsOf(rootfs), []);
  assert.equal(processesWith('sleep 0.1357'), []);
});

test.after(() => removeTree(work));
test.run();
