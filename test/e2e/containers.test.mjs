// Detached containers as an unprivileged user: the seeds' loop (run -d, logs, logs -f,
// exec, attach and its detach keys, stop, rm leaving nothing), create + start -a, --rm -d,
// logs keeping stdout and stderr apart byte for byte, twenty parallel run -d, restart
// policies, a killed monitor or holder showing exited, and docker's errors for bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, hxAsync, hxBin, need, removeTree, run, tempDir } from '../lib/hx.mjs';
import { underPty } from '../lib/pty.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
need(spawnSync('script', ['--version']).status === 0, 'util-linux script is installed');
const work = tempDir('hx-ctr-');
const store = join(work, 'store');
// a runtime dir (and so a holder) of this file's own: one test kills it
const runtime = join(work, 'run');
const env = { HX_STORAGE_ROOT: store, HX_RUNTIME_DIR: runtime };
const H = (args, o = {}) => hx(args, { ...o, env: { ...env, ...(o.env ?? {}) } });
const fullEnv = { ...process.env, ...env };

const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
const tarball = join(work, 'bb.tar');
assert.is(run('tar', ['-C', rootfs, '-cf', tarball, '.']).code, 0);
assert.is(H(['import', tarball, 'bb']).code, 0);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, f, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
const inspect = (ref, fmt) => H(['inspect', '-f', fmt, ref]).stdout.trim();
/** Processes whose command line names ID (monitors, containers started for it). */
const processesOf = (id) => run('ps', ['-eo', 'pid=,args=']).stdout.split('\n').filter((l) => l.includes(id) && !l.includes('ps -eo'));
const mountsOf = (id) => H(['unshare', '--', 'cat', '/proc/self/mountinfo']).stdout.split('\n').filter((l) => l.includes(id));

test('the seeds loop: run -d, logs, logs -f, exec, stop -t 2, rm leaving nothing', async () => {
  const r = H(['run', '-d', '--name', 'seeds', 'bb', 'sh', '-c', 'while true; do echo hello world; sleep 1; done']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
  const id = r.stdout.trim();
  await until('two log lines', () => H(['logs', 'seeds']).stdout.split('\n').length > 2);
  const logs = H(['logs', 'seeds']).stdout.trim().split('\n');
  assert.ok(logs.every((l) => l === 'hello world'), logs.join('|'));

  // -f --tail 1: the last line, then new ones as they come
  const follow = hxAsync(['logs', '-f', '--tail', '1', 'seeds'], { env });
  await sleep(2600);
  run('pkill', ['-f', `logs -f --tail 1 seeds`]);
  const followed = await follow;
  const lines = followed.stdout.trim().split('\n');
  assert.ok(lines.length >= 3 && lines.length <= 5, `followed ${lines.length} lines: ${followed.stdout}`);

  const ps = H(['exec', 'seeds', 'ps', '-o', 'pid,args']);
  assert.is(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /^\s*1 sh -c while true/m, 'pid 1 is the loop');
  assert.match(ps.stdout, /^\s*\d+ ps -o pid,args$/m, 'exec sees itself in the container');

  const listed = H(['ps']);
  assert.match(listed.stdout, /CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES/);
  assert.match(listed.stdout, new RegExp(`${id.slice(0, 12)}\\s+bb\\s+"sh -c 'while true; …"\\s+.*Up .*seeds`));

  const pid = Number(inspect('seeds', '{{.State.Pid}}'));
  assert.ok(existsSync(`/proc/${pid}`));
  const t0 = Date.now();
  const stop = H(['stop', '-t', '2', 'seeds']);
  const took = Date.now() - t0;
  assert.is(stop.code, 0, stop.stderr);
  assert.is(stop.stdout, 'seeds\n');
  assert.ok(took >= 1900 && took < 6000, `stop took ${took} ms`);
  // sh as pid 1 ignores SIGTERM: docker's SIGKILL after the timeout, 137
  assert.match(H(['ps', '-a', '--filter', 'name=seeds']).stdout, /Exited \(137\) /);
  assert.is(inspect('seeds', '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}'), 'exited 137 false');

  assert.is(H(['rm', 'seeds']).code, 0);
  assert.not.ok(existsSync(join(store, 'containers', id)), 'record and dirs gone');
  assert.not.ok(existsSync(join(store, 'running', id)), 'no running marker');
  assert.not.ok(existsSync(join(runtime, 'containers', id)), 'no attach socket dir');
  assert.equal(mountsOf(id), [], 'nothing mounted');
  assert.equal(processesOf(id), [], 'no monitor or cleanup process');
  assert.not.ok(existsSync(`/proc/${pid}`), 'the container process is gone');
  assert.not.ok(readdirSync(join(store, 'container-names')).includes('seeds'), 'the name is free');
});

test('attach shows new lines; ctrl-p ctrl-q detaches and leaves it running', async () => {
  const id = H(['run', '-dit', '--name', 'loop', 'bb', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.3; done']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const r = await underPty(`${hxBin} attach loop`, [{ after: /tick \d+\s+tick \d+/, send: '\x10\x11' }], { env: fullEnv });
  assert.is(r.code, 1, r.output);
  assert.match(r.output, /read escape sequence/);
  assert.match(r.output, /tick \d+/);
  assert.is(inspect('loop', '{{.State.Status}}'), 'running', 'still running after detach');
  // without a terminal: the output of a container without one
  const plain = H(['run', '-d', '--name', 'plain', 'bb', 'sh', '-c', 'while true; do echo plain; sleep 0.2; done']);
  assert.is(plain.code, 0);
  const a = hxAsync(['attach', 'plain'], { env });
  await sleep(1500);
  run('pkill', ['-KILL', '-f', 'attach plain']);
  assert.match((await a).stdout, /plain\nplain\n/);
  assert.is(H(['rm', '-f', 'loop', 'plain']).code, 0);
});

test('create + start -a: stdout and stderr apart, the exit code; start of a running one changes nothing', () => {
  const c = H(['create', '--name', 'once', 'bb', 'sh', '-c', 'echo out; echo err >&2; exit 5']);
  assert.is(c.code, 0, c.stderr);
  assert.match(H(['ps', '-a', '--filter', 'name=once', '--format', '{{.Status}}']).stdout, /^Created\n$/);
  const s = H(['start', '-a', 'once']);
  assert.is(s.code, 5);
  assert.is(s.stdout, 'out\n');
  assert.is(s.stderr, 'err\n');
  assert.is(inspect('once', '{{.State.ExitCode}}'), '5');
  const d = H(['run', '-d', '--name', 'busy', 'bb', 'sleep', '60']);
  const pid = inspect('busy', '{{.State.Pid}}');
  const again = H(['start', 'busy']);
  assert.is(again.code, 0, 'docker: starting a running container is not an error');
  assert.is(inspect('busy', '{{.State.Pid}}'), pid, 'the same process');
  assert.ok(d.code === 0);
  assert.is(H(['rm', '-f', 'once', 'busy']).code, 0);
});

test('--rm -d removes the container when it exits', async () => {
  const id = H(['run', '-d', '--rm', 'bb', 'sh', '-c', 'sleep 0.3']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  await until('the record gone', () => !existsSync(join(store, 'containers', id)));
  assert.not.match(H(['ps', '-aq', '--no-trunc']).stdout, new RegExp(id));
  await until('no monitor left', () => processesOf(id).length === 0);
});

test('logs keep stdout and stderr apart, byte for byte (no trailing newline, a 1 MiB line)', async () => {
  const script = "printf 'one\\ntwo'; printf 'e1\\ne2' >&2; sleep 0.2; echo; head -c 1048576 /dev/zero | tr '\\0' x; echo; printf 'tail'";
  const id = H(['run', '-d', 'bb', 'sh', '-c', script]).stdout.trim();
  await until('it exits', () => inspect(id, '{{.State.Status}}') === 'exited');
  const r = spawnSync(hxBin, ['logs', id], { env: fullEnv, maxBuffer: 64 << 20 });
  const big = 'x'.repeat(1 << 20);
  const want = `one\ntwo\n${big}\ntail`;
  const got = r.stdout.toString();
  // compared by length and pieces: a 1 MiB diff would drown the report
  assert.is(got.length, want.length, `stdout ${got.length} bytes, want ${want.length}: starts ${JSON.stringify(got.slice(0, 40))}`);
  assert.ok(got === want, `stdout differs at byte ${[...got].findIndex((c, i) => c !== want[i])}`);
  assert.is(r.stderr.toString(), 'e1\ne2');
  // the last two records: stdout's last piece, then stderr's (each flushed at its EOF)
  const tail = spawnSync(hxBin, ['logs', '--tail', '2', id], { env: fullEnv });
  assert.is(tail.stdout.toString(), 'tail');
  assert.is(tail.stderr.toString(), 'e2');
  const ts = H(['logs', '-t', '--tail', '2', id]);
  assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z tail$/m);
  assert.is(H(['rm', id]).code, 0);
});

test('run -it with stdout a pipe still gets a terminal of the typed-in size', async () => {
  const r = await underPty(`stty rows 33 cols 77; ${hxBin} run --rm -it bb stty size | cat`, [], { env: fullEnv });
  assert.match(r.output, /33 77/);
});

test('run -it in one terminal, exec -it into it from another', async () => {
  const first = underPty(`stty rows 20 cols 60; ${hxBin} run -it --name twin bb sh`, [
    { after: /# /, send: 'echo first-$((6*7))\r' },
    { after: /first-42/, send: 'while [ ! -e /tmp/done ]; do sleep 0.1; done; stty size; exit 4\r' },
  ], { env: fullEnv });
  await until('twin running', () => inspect('twin', '{{.State.Status}}') === 'running');
  const second = await underPty(`stty rows 25 cols 90; ${hxBin} exec -it twin sh`, [
    { after: /# /, send: 'stty size; tty; touch /tmp/done; exit 3\r' },
  ], { env: fullEnv });
  assert.is(second.code, 3, second.output);
  assert.match(second.output, /25 90/);
  assert.match(second.output, /\/dev\/pts\/\d+/);
  const r = await first;
  assert.is(r.code, 4, r.output);
  assert.match(r.output, /first-42/);
  assert.match(r.output, /20 60/);
  assert.is(H(['rm', 'twin']).code, 0);
});

test('twenty parallel run -d: distinct names and IDs, all listed, rm -f $(ps -aq) removes all', async () => {
  const runs = await Promise.all(Array.from({ length: 20 }, () => hxAsync(['run', '-d', 'bb', 'sleep', '300'], { env })));
  for (const r of runs) assert.is(r.code, 0, r.stderr);
  const ids = runs.map((r) => r.stdout.trim());
  assert.is(new Set(ids).size, 20);
  const rows = H(['ps', '--no-trunc', '--format', '{{.ID}} {{.Names}}']).stdout.trim().split('\n').filter((r) => ids.includes(r.split(' ')[0]));
  assert.is(rows.length, 20, rows.join('\n'));
  assert.is(new Set(rows.map((r) => r.split(' ')[1])).size, 20, 'distinct names');
  for (const name of rows.map((r) => r.split(' ')[1])) assert.match(name, /^[a-z]+_[a-z]+\d?$/);
  const all = H(['ps', '-aq']).stdout.trim().split('\n');
  assert.ok(ids.every((id) => all.includes(id.slice(0, 12))));
  const rm = H(['rm', '-f', ...all]);
  assert.is(rm.code, 0, rm.stderr);
  assert.is(H(['ps', '-aq']).stdout, '');
  for (const id of ids) {
    assert.not.ok(existsSync(join(store, 'containers', id)));
    assert.equal(processesOf(id), []);
  }
});

test('restart policies: on-failure:2 restarts exactly twice; always survives kill -9 of pid 1', async () => {
  const id = H(['run', '-d', '--restart', 'on-failure:2', 'bb', 'sh', '-c', 'exit 3']).stdout.trim();
  await until('it gives up', () => inspect(id, '{{.State.Status}}') === 'exited', 20000);
  assert.is(inspect(id, '{{.RestartCount}} {{.State.ExitCode}}'), '2 3');
  assert.match(inspect(id, '{{json .HostConfig.RestartPolicy}}'), /"Name":"on-failure","MaximumRetryCount":2/);

  const always = H(['run', '-d', '--restart', 'always', '--name', 'phoenix', 'bb', 'sleep', '300']).stdout.trim();
  const pid = Number(inspect('phoenix', '{{.State.Pid}}'));
  assert.ok(pid > 0);
  process.kill(pid, 'SIGKILL');
  await until('restarted', () => {
    const [status, count, p] = inspect('phoenix', '{{.State.Status}} {{.RestartCount}} {{.State.Pid}}').split(' ');
    return status === 'running' && count === '1' && Number(p) !== pid;
  });
  // docker kill turns the policy off until the next start
  assert.is(H(['kill', 'phoenix']).code, 0);
  await until('stays down', () => inspect('phoenix', '{{.State.Status}}') === 'exited');
  await sleep(500);
  assert.is(inspect('phoenix', '{{.State.Status}} {{.RestartCount}}'), 'exited 1');
  assert.is(H(['rm', id, always]).code, 0);
});

test('a killed monitor, and a killed holder with every monitor, leave records that say exited', async () => {
  const id = H(['run', '-d', '--name', 'orphan', 'bb', 'sleep', '300']).stdout.trim();
  const monitor = processesOf(id).map((l) => l.trim().split(/\s+/)).find((f) => f[1].endsWith('/hx') && f[2] === '__monitor');
  assert.ok(monitor, processesOf(id).join('\n'));
  process.kill(Number(monitor[0]), 'SIGKILL');
  await until('exited', () => H(['ps', '-a', '--filter', 'name=orphan', '--format', '{{.State}}']).stdout === 'exited\n');
  await until('its process gone', () => processesOf(id).length === 0);
  assert.equal(mountsOf(id), [], 'the sweep unmounted it');
  assert.is(inspect('orphan', '{{.State.ExitCode}}'), '137');

  const ids = [1, 2, 3].map(() => H(['run', '-d', 'bb', 'sleep', '300']).stdout.trim());
  const holder = Number(readFileSync(join(runtime, 'holder.pid'), 'latin1').trim().split(/\s+/)[0]);
  for (const i of ids) for (const l of processesOf(i)) process.kill(Number(l.trim().split(/\s+/)[0]), 'SIGKILL');
  process.kill(holder, 'SIGKILL');
  const states = await until('all exited', () => {
    const out = H(['ps', '-a', '--format', '{{.ID}} {{.State}}']).stdout.trim().split('\n');
    const mine = out.filter((l) => [id, ...ids].some((i) => i.startsWith(l.split(' ')[0])));
    return mine.length === 4 && mine.every((l) => l.endsWith(' exited')) && mine;
  });
  assert.is(states.length, 4);
  for (const i of ids) assert.equal(processesOf(i), []);
  assert.is(H(['rm', 'orphan', ...ids]).code, 0);
});

test('a HEALTHCHECK that starts failing turns unhealthy within its retries', async () => {
  const r = H(['run', '-d', '--name', 'doc', '--health-cmd', 'echo probing; test ! -e /tmp/sick', '--health-interval', '300ms', '--health-retries', '2', 'bb', 'sleep', '300']);
  assert.is(r.code, 0, r.stderr);
  assert.is(inspect('doc', '{{.State.Health.Status}}'), 'starting');
  await until('healthy', () => inspect('doc', '{{.State.Health.Status}}') === 'healthy');
  assert.match(H(['ps', '--filter', 'name=doc', '--format', '{{.Status}}']).stdout, /^Up .* \(healthy\)$/m);
  assert.is(H(['exec', 'doc', 'touch', '/tmp/sick']).code, 0);
  const t0 = Date.now();
  await until('unhealthy', () => inspect('doc', '{{.State.Health.Status}}') === 'unhealthy');
  assert.ok(Date.now() - t0 < 10000, `took ${Date.now() - t0} ms`);
  const health = JSON.parse(inspect('doc', '{{json .State.Health}}'));
  assert.ok(health.FailingStreak >= 2, JSON.stringify(health));
  assert.ok(health.Log.length >= 3 && health.Log.length <= 5);
  const last = health.Log[health.Log.length - 1];
  assert.is(last.ExitCode, 1);
  assert.is(last.Output, 'probing\n');
  assert.ok(Date.parse(last.End) >= Date.parse(last.Start));
  assert.match(H(['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}}']).stdout, /^doc$/m);
  assert.is(H(['ps', '--filter', 'health=healthy', '--format', '{{.Names}}']).stdout, '');
  assert.is(H(['rm', '-f', 'doc']).code, 0);
});

test('exec -d runs in the background under a monitor of its own, with -e, -w and -u', async () => {
  const r = H(['run', '-d', '--name', 'bg-host', 'bb', 'sleep', '1000']);
  assert.is(r.code, 0, r.stderr);
  const d = H(['exec', '-d', '-e', 'WHAT=detached', '-w', '/tmp', '-u', '1000', 'bg-host', 'sh', '-c', 'sleep 2; echo "$WHAT $(pwd) $(id -u)" > /tmp/out']);
  assert.is(d.code, 0, d.stderr);
  assert.is(d.stdout, '', 'exec -d prints nothing, as docker');
  // it runs on after the exec command returned
  assert.not.ok(H(['exec', 'bg-host', 'test', '-e', '/tmp/out']).code === 0, 'not written yet: the exec is in the background');
  const out = await until('the background exec to write', () => {
    const c = H(['exec', 'bg-host', 'cat', '/tmp/out']);
    return c.code === 0 ? c.stdout : undefined;
  });
  assert.is(out, 'detached /tmp 1000\n');
  assert.is(H(['rm', '-f', 'bg-host']).code, 0);
  await until('no process of it left', () => processesOf(r.stdout.trim()).length === 0);
});

test('bad input: docker\'s messages and exit codes, nothing changed', async () => {
  const id = H(['run', '-d', '--name', 'keeper', 'bb', 'sleep', '300']).stdout.trim();
  const other = H(['create', '--name', 'stopped', 'bb', 'true']).stdout.trim();
  const before = H(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.State}}']).stdout;

  const unknown = H(['stop', 'nosuchthing']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /No such container: nosuchthing/);
  // an ambiguous prefix: the shortest one both IDs start with, if they share a first digit
  let prefix = '';
  for (let i = 0; i < 64 && id[i] === other[i]; i++) prefix += id[i];
  if (prefix.length > 0) {
    const amb = H(['inspect', '--type', 'container', prefix]);
    assert.is(amb.code, 1);
    assert.match(amb.stderr, /multiple IDs found with provided prefix/);
  }
  const dup = H(['run', '-d', '--name', 'keeper', 'bb', 'true']);
  assert.is(dup.code, 125);
  assert.match(dup.stderr, /Conflict\. The container name "\/keeper" is already in use by container "[0-9a-f]{64}"/);
  const ex = H(['exec', 'stopped', 'true']);
  assert.is(ex.code, 1);
  assert.match(ex.stderr, /container [0-9a-f]{64} is not running/);
  const rm = H(['rm', 'keeper']);
  assert.is(rm.code, 1);
  assert.match(rm.stderr, /cannot remove container "\/keeper": container is running: stop the container before removing or force remove/);
  const at = H(['attach', 'stopped']);
  assert.is(at.code, 1);
  assert.match(at.stderr, /You cannot attach to a stopped container, start it first/);
  const pol = H(['run', '-d', '--restart', 'on-failure:-1', 'bb', 'true']);
  assert.is(pol.code, 125);
  assert.match(pol.stderr, /maximum retry count cannot be negative/);
  const sig = H(['kill', '-s', 'SIGNOPE', 'keeper']);
  assert.is(sig.code, 1);
  assert.match(sig.stderr, /invalid signal: SIGNOPE/);
  const stopSig = H(['stop', '-s', 'NOPE', 'keeper']);
  assert.is(stopSig.code, 1);
  assert.match(stopSig.stderr, /invalid signal: NOPE/);
  assert.is(H(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.State}}']).stdout, before, 'nothing changed');
  assert.is(H(['rm', '-f', 'keeper', 'stopped']).code, 0);
});

test.after(() => {
  H(['rm', '-f', ...H(['ps', '-aq']).stdout.split('\n').filter(Boolean)]);
  removeTree(work);
});

test.run();
