// Issue 2: the launcher, the namespace holder, hx info, CLI errors (as an unprivileged user).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { hx, tempDir } from '../lib/hx.mjs';

const uid = process.getuid();
// A private runtime dir per run, so this file neither reuses nor breaks another holder.
const runtime = tempDir('hx-rt-');
const env = { XDG_RUNTIME_DIR: runtime, HX_STORAGE_ROOT: join(runtime, 'store') };
const pidFile = join(runtime, 'hx', 'holder.pid');

// Every holder this file made: replacing a garbage pid file orphans the live holder it
// hid, so the cleanup kills them all rather than only the last one.
const holdersSeen = new Set();

function holderPid() {
  const pid = Number(readFileSync(pidFile, 'utf8').split(' ')[0]);
  if (pid > 1) holdersSeen.add(pid);
  return pid;
}

function userNs(extraEnv = {}) {
  const r = hx(['unshare', '--', 'readlink', '/proc/self/ns/user'], { env: { ...env, ...extraEnv } });
  assert.is(r.code, 0, r.stderr);
  return r.stdout.trim();
}

test('hx unshare: uid 0 inside, own uid mapped to 0 and the subuid range from 1', () => {
  const id = hx(['unshare', '--', 'id', '-u'], { env });
  assert.is(id.code, 0, id.stderr);
  assert.is(id.stdout.trim(), '0');
  const map = hx(['unshare', '--', 'cat', '/proc/self/uid_map'], { env });
  const rows = map.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  assert.equal(rows[0], [0, uid, 1]);
  const sub = readFileSync('/etc/subuid', 'utf8').split('\n').find((l) => l.startsWith(`${process.env.USER}:`) || l.startsWith(`${uid}:`));
  assert.ok(sub, 'the test user has a subuid range');
  const [, start, count] = sub.split(':').map(Number);
  assert.equal(rows[1], [1, start, count]);
  assert.is(count, 65536);
  assert.not.match(map.stderr, /warning/);
});

test('two commands share one holder; the namespace differs from the host', () => {
  const a = userNs();
  const b = userNs();
  assert.is(a, b);
  assert.is.not(a, readlinkSync('/proc/self/ns/user'));
});

test('a killed holder is recreated by the next command', () => {
  const before = holderPid();
  process.kill(before, 'SIGKILL');
  // wait for it to be gone
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(before, 0);
    } catch {
      break;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  const r = hx(['unshare', '--', 'id', '-u'], { env });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), '0');
  assert.is.not(holderPid(), before);
});

test('the command that created the holder is not its parent (a shell wait returns)', () => {
  process.kill(holderPid(), 'SIGKILL');
  const r = hx(['unshare', '--', 'sh', '-c', 'wait; echo done'], { env, timeout: 10_000 });
  assert.is(r.signal, null, 'hx unshare hung waiting for the holder');
  assert.is(r.stdout.trim(), 'done');
  const ppid = Number(readFileSync(`/proc/${holderPid()}/stat`, 'latin1').split(') ')[1].split(' ')[1]);
  assert.is.not(ppid, process.pid);
});

test('hx run as the first command creates the holder', () => {
  process.kill(holderPid(), 'SIGKILL');
  const r = hx(['run', '--rm', 'hello-world'], { env });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Hello from hx!/);
});

test('a broken pid file is replaced, never trusted', () => {
  const host = readlinkSync('/proc/self/ns/user');
  for (const garbage of ['garbage\n', '999999999 1\n', `${process.pid} 1\n`, '1 0\n', '']) {
    holderPid();
    writeFileSync(pidFile, garbage);
    const r = hx(['unshare', '--', 'sh', '-c', 'id -u; readlink /proc/self/ns/user'], { env });
    assert.is(r.code, 0, r.stderr);
    const [id, ns] = r.stdout.trim().split('\n');
    assert.is(id, '0', `after pid file ${JSON.stringify(garbage)}`);
    assert.is.not(ns, host);
    assert.is.not(holderPid(), process.pid);
  }
});

test('an unrelated live process in the pid file is not joined', async () => {
  const sleeper = spawn('sleep', ['30']);
  await new Promise((r) => setTimeout(r, 100));
  const stat = readFileSync(`/proc/${sleeper.pid}/stat`, 'latin1');
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  writeFileSync(pidFile, `${sleeper.pid} ${start}\n`);
  holderPid();
  const r = hx(['unshare', '--', 'id', '-u'], { env });
  sleeper.kill();
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), '0');
  assert.is.not(holderPid(), sleeper.pid);
});

test('exit codes pass through; a missing command is 127', () => {
  assert.is(hx(['unshare', '--', 'sh', '-c', 'exit 7'], { env }).code, 7);
  const missing = hx(['unshare', '--', 'no-such-command-xyz'], { env });
  assert.is(missing.code, 127);
  assert.match(missing.stderr, /no-such-command-xyz: executable file not found in \$PATH/);
});

test('stdio works inside: pipes in and out, SIGPIPE default', () => {
  const r = hx(['unshare', '--', 'sh', '-c', 'cat; yes | head -n 2'], { env, input: 'from-stdin\n' });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'from-stdin\ny\ny\n');
});

test('nested hx inside hx unshare stays in the same namespace', () => {
  const r = hx(['unshare', '--', 'sh', '-c', `"$HX_LAUNCHER" unshare -- readlink /proc/self/ns/user; readlink /proc/self/ns/user`], { env });
  assert.is(r.code, 0, r.stderr);
  const [inner, outer] = r.stdout.trim().split('\n');
  assert.is(inner, outer);
});

test("unknown command (exit 1, a suggestion) and unknown flag (exit 125), as docker's CLI", () => {
  const cmd = hx(['unshar'], { env });
  assert.is(cmd.code, 1);
  assert.match(cmd.stderr, /unknown command: hx unshar/);
  assert.match(cmd.stderr, /did you mean hx unshare\?/);
  const flag = hx(['info', '--bogus'], { env });
  assert.is(flag.code, 125);
  assert.match(flag.stderr, /unknown flag: --bogus/);
});

test('hx info --format json describes this host', () => {
  const r = hx(['info', '--format', 'json'], { env });
  assert.is(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.is(info.mode, 'rootless');
  assert.is(info.user.uid, uid);
  assert.is(info.userNamespaces.works, true);
  assert.ok(info.idMapping.subuid.length >= 1);
  assert.is(info.idMapping.singleId, false);
  assert.ok(info.idMapping.newuidmap.path && (info.idMapping.newuidmap.setuid || info.idMapping.newuidmap.fileCaps));
  assert.is(info.holder.state, 'alive');
  assert.is(info.holder.mapsCurrent, true);
  assert.equal(info.holder.uidMap[0], { inside: 0, outside: uid, count: 1 });
  assert.is(info.runtimeDir.path, join(runtime, 'hx'));
  assert.is(info.storage.root, env.HX_STORAGE_ROOT);
  // This kernel (>= 5.11) mounts overlayfs in a user namespace: the probe must say so.
  assert.is(info.storage.overlayProbe.ok, true, JSON.stringify(info.storage.overlayProbe));
  assert.is(info.storage.driver, 'overlay');
  assert.ok(['ext4', 'tmpfs', 'xfs', 'btrfs'].includes(info.storage.filesystem.type));
  // cgroup v1/hybrid host: nothing is delegated to an unprivileged user, and info says so.
  assert.equal(info.cgroups.delegated, []);
  assert.ok(info.problems.some((p) => p.area === 'cgroups' && /not be enforced|no controllers/.test(p.problem) && p.fix));
  for (const p of info.problems) assert.ok(p.fix.length > 0, `problem without fix: ${p.problem}`);
  // /dev/net/tun: reported with its real accessibility
  let tunUsable = false;
  try {
    const st = statSync('/dev/net/tun');
    tunUsable = (st.mode & 0o006) === 0o006;
  } catch {}
  assert.is(info.network.devNetTun.usable, tunUsable);
});

test('hx info: XDG_RUNTIME_DIR unset or not ours falls back and says why', () => {
  const unset = JSON.parse(hx(['info', '--format', 'json'], { env: { XDG_RUNTIME_DIR: '' } }).stdout);
  assert.is(unset.runtimeDir.path, `/tmp/hx-${uid}`);
  assert.match(unset.runtimeDir.fallbackReason, /not set/);
  assert.ok(unset.problems.some((p) => p.area === 'runtime'));
  const foreign = JSON.parse(hx(['info', '--format', 'json'], { env: { XDG_RUNTIME_DIR: '/' } }).stdout);
  assert.is(foreign.runtimeDir.path, `/tmp/hx-${uid}`);
  assert.match(foreign.runtimeDir.fallbackReason, /belongs to uid 0/);
});

test('hx info (human) lists problems each with a fix line', () => {
  const r = hx(['info'], { env });
  assert.is(r.code, 0);
  assert.match(r.stdout, /mode:\s+rootless/);
  assert.match(r.stdout, /storage driver:\s+overlay/);
  const problems = (r.stdout.match(/^  - /gm) || []).length;
  const fixes = (r.stdout.match(/^    fix: /gm) || []).length;
  assert.is(problems, fixes);
});

test('hx version names the build ids', () => {
  const r = hx(['version', '--format', 'json'], { env });
  const v = JSON.parse(r.stdout);
  assert.match(v.builds.hx, /^[0-9a-f]{12}$/);
  assert.match(v.builds['libhxns.so'], /^[0-9a-f]{12}$/);
  assert.match(v.builds['hx.wasm'], /^[0-9a-f]{12}$/);
});

test.after(() => {
  holderPid();
  for (const pid of holdersSeen) {
    const stat = (() => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'latin1');
      } catch {
        return '';
      }
    })();
    if (stat.includes('(hx-holder)')) process.kill(pid, 'SIGKILL');
  }
  rmSync(runtime, { recursive: true, force: true });
});

test.run();
