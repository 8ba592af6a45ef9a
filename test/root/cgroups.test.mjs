// cgroup limits rootful on this host's cgroup v1 hierarchies: OOM kills reported, a pids
// limit felt by forks, a CPU quota holding a busy loop near its share (from cpuacct), the
// freezer stopping and resuming a counter, stats showing the limit, update taking effect
// on a running container, docker's errors for bad input, and no cgroup left behind
// (exit, rm, the sweep after a killed monitor).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, readlinkSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { hx, hxAsync, need, removeTree, run, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from '../e2e/run-rootfs.mjs';

need(process.getuid() === 0, 'root suites run as root');
const V1 = '/sys/fs/cgroup';
need(['memory', 'cpu', 'cpuacct', 'pids', 'freezer'].every((c) => existsSync(join(V1, c, 'cgroup.procs'))), 'cgroup v1 memory, cpu, cpuacct, pids and freezer hierarchies are mounted');

const work = tempDir('hx-cgroups-root-');
const env = { HX_STORAGE_ROOT: join(work, 'store'), HX_RUNTIME_DIR: join(work, 'run') };
const H = (args) => hx(args, { env });
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
const tarball = join(work, 'bb.tar');
assert.is(run('tar', ['-C', rootfs, '-cf', tarball, '.']).code, 0);
assert.is(H(['import', tarball, 'bb']).code, 0);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const idOf = (name) => H(['inspect', '-f', '{{.Id}}', name]).stdout.trim();
const inspect = (name, fmt) => H(['inspect', '-f', fmt, name]).stdout.trim();
const cg = (ctrl, id, file = '') => join(V1, ctrl, 'hx', `hx-${id}`, file);
const detached = (name, flags, script) => {
  const r = H(['run', '-d', '--name', name, ...flags, 'bb', 'sh', '-c', script]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.trim();
};
async function until(what, f, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
const ALLOC_64M = 'head -c 67108864 /dev/zero | tail'; // tail holds the whole "line"

test('--memory 32m: a 64 MiB allocation is OOM-killed, exit 137, OOMKilled true (foreground and detached)', async () => {
  const fg = H(['run', '--name', 'oom-fg', '--memory', '32m', 'bb', 'sh', '-c', ALLOC_64M]);
  assert.is(fg.code, 137, fg.stderr);
  assert.is(inspect('oom-fg', '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}'), 'true 137 33554432 67108864');
  assert.not.ok(existsSync(cg('memory', idOf('oom-fg'))), 'its cgroup went with the exit');
  // the same allocation without a limit is fine, and not an OOM kill
  assert.is(H(['run', '--name', 'no-oom', 'bb', 'sh', '-c', `${ALLOC_64M} | wc -c`]).stdout.trim(), '67108864');
  assert.is(inspect('no-oom', '{{.State.OOMKilled}} {{.State.ExitCode}}'), 'false 0');
  const id = detached('oom-d', ['--memory', '32m'], `sleep 0.3; ${ALLOC_64M}`);
  assert.ok(existsSync(cg('memory', id, 'memory.limit_in_bytes')));
  assert.is(readFileSync(cg('memory', id, 'memory.limit_in_bytes'), 'utf8').trim(), '33554432');
  assert.is(H(['wait', 'oom-d']).stdout.trim(), '137');
  assert.is(inspect('oom-d', '{{.State.OOMKilled}} {{.State.ExitCode}}'), 'true 137');
  await until('the monitor\'s cleanup', () => !existsSync(cg('memory', id)));
});

test('--pids-limit 20: the container\'s 20th process cannot be forked', () => {
  const script = 'i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i+1)); echo $i; done';
  const r = H(['run', '--rm', '--pids-limit', '20', 'bb', 'sh', '-c', script]);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /can't fork/);
  // sh is pid 1: with it, 19 sleeps make 20 tasks
  assert.is(r.stdout.trim().split('\n').pop(), '19');
  const free = H(['run', '--rm', 'bb', 'sh', '-c', script]);
  assert.is(free.stdout.trim().split('\n').pop(), '30', 'no limit, no failure');
});

test('--cpus 0.5 holds a busy loop near half a CPU (cpuacct.usage over 2 s)', async () => {
  const id = detached('cpu-half', ['--cpus', '0.5'], 'while :; do :; done');
  assert.is(readFileSync(cg('cpu', id, 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
  assert.is(readFileSync(cg('cpu', id, 'cpu.cfs_period_us'), 'utf8').trim(), '100000');
  await sleep(300);
  const usage = () => Number(readFileSync(cg('cpuacct', id, 'cpuacct.usage'), 'utf8'));
  const t0 = process.hrtime.bigint();
  const u0 = usage();
  await sleep(2000);
  const share = (usage() - u0) / Number(process.hrtime.bigint() - t0);
  // the quota caps it at 0.5 (+ one period's slack); a loaded machine may give it much less
  assert.ok(share > 0.1 && share < 0.6, `share ${share.toFixed(3)}`);
  assert.is(H(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'cpu-half']).stdout.trim(), 'cpu-half 1');
  assert.is(H(['rm', '-f', 'cpu-half']).code, 0);
  assert.not.ok(existsSync(cg('cpu', id)), 'rm -f removed its cgroup');
});

test('pause stops a counter, unpause resumes it; ps and inspect say Paused', async () => {
  const id = detached('counter', [], 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done');
  const last = () => Number(H(['logs', 'counter']).stdout.trim().split('\n').pop());
  await until('the counter', () => last() > 3);
  assert.is(H(['pause', 'counter']).stdout, 'counter\n');
  assert.is(readFileSync(cg('freezer', id, 'freezer.state'), 'utf8').trim(), 'FROZEN');
  await sleep(200);
  const n1 = last();
  await sleep(700);
  assert.is(last(), n1, 'frozen: not a line more');
  assert.is(inspect('counter', '{{.State.Status}} {{.State.Paused}} {{.State.Running}}'), 'paused true true');
  assert.match(H(['ps', '--format', '{{.Names}} {{.Status}}']).stdout, /^counter Up .* \(Paused\)$/m);
  const again = H(['pause', 'counter']);
  assert.is(again.code, 1);
  assert.match(again.stderr, new RegExp(`Container ${id} is already paused`));
  assert.match(H(['exec', 'counter', 'true']).stderr, /is paused, unpause the container before exec/);
  assert.is(H(['unpause', 'counter']).code, 0);
  await until('the counter to go on', () => last() > n1 + 3);
  assert.is(inspect('counter', '{{.State.Status}} {{.State.Paused}}'), 'running false');
  const notPaused = H(['unpause', 'counter']);
  assert.is(notPaused.code, 1);
  assert.match(notPaused.stderr, new RegExp(`Container ${id} is not paused`));
  // a paused container still stops: it is thawed so the signals reach it (sh as pid 1
  // ignores SIGTERM, so it is the SIGKILL after 1 s, which a frozen task would not feel)
  assert.is(H(['pause', 'counter']).code, 0);
  const t0 = Date.now();
  assert.is(H(['stop', '-t', '1', 'counter']).code, 0);
  assert.ok(Date.now() - t0 < 5000, `stopped in ${Date.now() - t0} ms`);
  assert.is(inspect('counter', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');
  const stopped = H(['pause', 'counter']);
  assert.is(stopped.code, 1);
  assert.match(stopped.stderr, new RegExp(`Container ${id} is not running`));
  H(['rm', 'counter']);
});

test('stats --no-stream shows the memory limit; update --memory takes effect on the running container', () => {
  const id = detached('upd', ['--memory', '32m'], 'sleep 60');
  const row = H(['stats', '--no-stream', 'upd']);
  assert.is(row.code, 0, row.stderr);
  const [header, line] = row.stdout.trimEnd().split('\n');
  assert.match(header, /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
  assert.match(line, new RegExp(`^${id.slice(0, 12)} +upd +\\d+\\.\\d\\d% +[\\d.]+[KM]iB / 32MiB +\\d+\\.\\d\\d% +0B / 0B +\\S+ / \\S+ +1$`));
  const big = ['exec', 'upd', 'sh', '-c', 'head -c 50331648 /dev/zero | tail | wc -c'];
  // an exec counts against the limit: 48 MiB does not fit in 32 (which process the OOM killer
  // picks varies: tail, and then wc prints 0, or the shell, and then nothing is printed)
  assert.is.not(H(big).stdout.trim(), '50331648', 'an exec counts against the limit');
  assert.match(readFileSync(cg('memory', id, 'memory.oom_control'), 'utf8'), /^oom_kill [1-9]\d*$/m);
  const u = H(['update', '--memory', '128m', '--pids-limit', '50', 'upd']);
  assert.is(u.code, 0, u.stderr);
  assert.is(u.stdout, 'upd\n');
  assert.is(readFileSync(cg('memory', id, 'memory.limit_in_bytes'), 'utf8').trim(), '134217728');
  assert.is(readFileSync(cg('pids', id, 'pids.max'), 'utf8').trim(), '50');
  assert.is(H(big).stdout.trim(), '50331648', 'now it fits');
  assert.is(inspect('upd', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}}'), '134217728 268435456 50');
  assert.match(H(['stats', '--no-stream', 'upd']).stdout, / \/ 128MiB /);
  const bad = H(['update', '--memory', '4k', 'upd']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /Minimum memory limit allowed is 6MB/);
  assert.match(H(['update', 'upd']).stderr, /you must provide one or more flags/);
  H(['rm', '-f', 'upd']);
});

test('bad input: docker\'s messages, exit 125, no container or cgroup left', () => {
  const before = H(['ps', '-a', '-q', '--no-trunc']).stdout;
  const cases = [
    [['--memory', '1x'], 'invalid argument "1x" for "-m, --memory" flag: invalid suffix: \'x\''],
    [['--cpus', '-1'], 'range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    [['--cpuset-cpus', '99'], 'Requested CPUs are not available - requested 99, available: 0-1'],
    [['--memory', '4k'], 'Minimum memory limit allowed is 6MB'],
    [['--cgroups', 'disabled', '--memory', '32m'], '--cgroups disabled conflicts with --memory: a limit needs a cgroup'],
    [['--oom-score-adj', '2000'], 'Invalid value 2000, range for oom score adj is [-1000, 1000]'],
  ];
  for (const [flags, message] of cases) {
    if (flags[1] === '-1' && readFileSync('/sys/fs/cgroup/cpuset/cpuset.effective_cpus', 'utf8').trim() !== '0-1') continue; // the message names this host's CPUs
    for (const verb of ['run', 'create']) {
      const r = H([verb, ...flags, 'bb', 'true']);
      assert.is(r.code, 125, `${verb} ${flags.join(' ')}`);
      assert.ok(r.stderr.includes(message), `${verb} ${flags.join(' ')}: ${r.stderr}`);
    }
  }
  assert.is(H(['ps', '-a', '-q', '--no-trunc']).stdout, before, 'no record made');
  const ids = new Set(readdirSync(join(work, 'store', 'containers')).map((d) => `hx-${d}`));
  const hxDirs = existsSync(join(V1, 'memory', 'hx')) ? readdirSync(join(V1, 'memory', 'hx')) : [];
  assert.equal(hxDirs.filter((d) => ids.has(d) && !existsSync(join(work, 'store', 'containers', d.slice(3), 'cgroup.json'))), [], 'no cgroup of a container that is not running');
});

test('--cgroup-parent, --cgroups disabled, --cgroupns, --oom-score-adj; the sweep removes a dead monitor\'s cgroup', async () => {
  const parent = `hx-test-parent-${process.pid}`;
  const id = detached('parented', ['--cgroup-parent', `/${parent}`, '--oom-score-adj', '500', '--memory', '16m'], 'cat /proc/self/oom_score_adj; sleep 60');
  assert.ok(existsSync(join(V1, 'memory', parent, `hx-${id}`, 'cgroup.procs')));
  assert.is(inspect('parented', '{{.HostConfig.CgroupParent}} {{.HostConfig.OomScoreAdj}}'), `/${parent} 500`);
  await until('its output', () => H(['logs', 'parented']).stdout.trim() === '500');
  // kill its monitor and the container: the next command's sweep removes the cgroup
  const st = JSON.parse(readFileSync(join(work, 'store', 'containers', id, 'state.json'), 'utf8'));
  process.kill(st.owner.pid, 'SIGKILL');
  process.kill(st.pid, 'SIGKILL');
  await until('the sweep', () => {
    H(['ps', '-a']);
    return !existsSync(join(V1, 'memory', parent, `hx-${id}`));
  });
  for (const c of readdirSync(V1)) {
    try {
      rmdirSync(join(V1, c, parent));
    } catch {
      /* not in this hierarchy */
    }
  }
  // --cgroupns host: hx's cgroup namespace, the container's cgroup by its full path
  const hostNs = H(['run', '--rm', '--cgroupns', 'host', 'bb', 'sh', '-c', 'readlink /proc/self/ns/cgroup; grep :pids: /proc/self/cgroup']);
  const [ns, pidsLine] = hostNs.stdout.trim().split('\n');
  assert.is(ns, readlinkSync('/proc/self/ns/cgroup'));
  assert.match(pidsLine, /^\d+:pids:\/hx\/hx-[0-9a-f]{64}$/);
  assert.is.not(H(['run', '--rm', 'bb', 'readlink', '/proc/self/ns/cgroup']).stdout.trim(), ns, 'private by default');
  assert.match(H(['run', '--rm', '--cgroupns', 'foo', 'bb', 'true']).stderr, /--cgroupns: invalid CGROUP mode/);
  const off = H(['run', '--rm', '--cgroups', 'disabled', 'bb', 'cat', '/proc/self/cgroup']);
  assert.is(off.code, 0, off.stderr);
  assert.not.match(off.stdout, /hx-/, 'no cgroup of its own');
  assert.is(H(['run', '--rm', '--cgroups', 'disabled', '--cgroup-parent', 'x', 'bb', 'true']).code, 125);
});

test('--device-write-bps throttles direct writes to the store\'s disk (blkio.throttle)', () => {
  const source = run('findmnt', ['-no', 'SOURCE', '-T', work]).stdout.trim();
  if (!/^\/dev\/[a-z]+$/.test(source)) {
    console.log(`  skipped: the test store is on ${source || '?'}, not a whole block device`);
    return;
  }
  const dd = 'dd if=/dev/zero of=/f bs=1M count=3 oflag=direct 2>/dev/null && echo done';
  const timed = (flags) => {
    const t0 = Date.now();
    const r = H(['run', '--rm', ...flags, 'bb', 'sh', '-c', dd]);
    assert.is(r.stdout.trim(), 'done', r.stderr);
    return Date.now() - t0;
  };
  const free = timed([]);
  const slow = timed(['--device-write-bps', `${source}:1mb`]);
  // 3 MiB at 1 MiB/s: about 3 s (the first second's budget comes at once)
  assert.ok(slow > 1800 && slow > free + 1000, `throttled ${slow} ms, free ${free} ms`);
  const c = H(['create', '--device-read-iops', `${source}:100`, 'bb', 'true']);
  assert.is(c.code, 0, c.stderr);
  assert.is(inspect(c.stdout.trim(), '{{json .HostConfig.BlkioDeviceReadIOps}}'), `[{"Path":"${source}","Rate":100}]`);
  H(['rm', c.stdout.trim()]);
  const missing = H(['run', '--rm', '--device-read-bps', '/dev/nosuch:1mb', 'bb', 'true']);
  assert.is(missing.code, 125);
  assert.match(missing.stderr, /--device-read-bps \/dev\/nosuch: no such file or directory/);
});

test('commit --pause freezes a running container while its changes are read, and thaws it', async () => {
  // 64 MiB of changes: reading them takes long enough for the sampler below to see the freeze.
  // /count is replaced by rename: a freeze between a truncating `>` and its write would
  // rightly commit an empty file
  const id = detached('busy-writer', [], 'head -c 67108864 /dev/zero > /big; i=0; while :; do i=$((i+1)); echo $i > /count.new; mv /count.new /count; sleep 0.02; done');
  for (let i = 0; H(['exec', 'busy-writer', 'test', '-e', '/count']).code !== 0; i++) {
    assert.ok(i < 100, 'the container wrote its changes');
    await sleep(100);
  }
  const frozen = cg('freezer', id, 'freezer.state');
  // watch the freezer while commit runs: it must be FROZEN at some point, THAWED after
  const states = new Set();
  const watch = setInterval(() => states.add(readFileSync(frozen, 'utf8').trim()), 1);
  const c = await hxAsync(['commit', 'busy-writer', 'bb:busy'], { env });
  clearInterval(watch);
  assert.is(c.code, 0, c.stderr);
  assert.is(readFileSync(frozen, 'utf8').trim(), 'THAWED');
  assert.is(H(['inspect', '-f', '{{.State.Status}}', 'busy-writer']).stdout.trim(), 'running');
  assert.ok(states.has('FROZEN'), `freezer states seen during commit: ${[...states].join(',')}`);
  const p = H(['commit', '--pause=false', 'busy-writer', 'bb:busy2']);
  assert.is(p.code, 0, p.stderr);
  // a container the user paused stays paused through a commit
  assert.is(H(['pause', 'busy-writer']).code, 0);
  assert.is(H(['commit', 'busy-writer', 'bb:busy3']).code, 0);
  assert.is(readFileSync(frozen, 'utf8').trim(), 'FROZEN');
  assert.is(H(['unpause', 'busy-writer']).code, 0);
  assert.match(H(['run', '--rm', 'bb:busy', 'cat', '/count']).stdout, /^\d+\n$/);
  assert.is(H(['rm', '-f', 'busy-writer']).code, 0);
});

test.after(() => {
  hx(['rm', '-f', ...H(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean)], { env });
  removeTree(work);
});
test.run();
