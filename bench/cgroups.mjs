// cgroups (issue 16): what limits add to a container's start, rootful, hx against podman
// (runc, cgroupfs, --network none) in one run on the same busybox image:
//   - `run --rm IMAGE true` without a cgroup (hx --cgroups disabled), with the default
//     cgroup and no limits, and with --memory 64m --cpus 1 --pids-limit 100;
//   - the same for podman (which always makes a cgroup rootful).
// Goal: limits add at most 3 ms to hx's start. Run as root:
//   node bench/cgroups.mjs [RUNS] [DIR]   (default 30 runs, /dev/shm)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

if (process.getuid() !== 0) {
  console.error('bench/cgroups.mjs measures rootful starts: run it as root');
  process.exit(2);
}
const root = join(new URL('.', import.meta.url).pathname, '..');
const hxBin = join(root, 'build', 'hx');
const runs = Number(process.argv[2] || 30);
const base = mkdtempSync(join(process.argv[3] || '/dev/shm', 'hx-bench-cg-'));
const hxEnv = { ...process.env, HX_STORAGE_ROOT: join(base, 'hx-store'), HX_RUNTIME_DIR: join(base, 'hx-run') };
const podmanArgs = ['--root', join(base, 'pm-root'), '--runroot', join(base, 'pm-run'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
const havePodman = spawnSync('podman', ['--version']).status === 0;
// rootful podman raises nofile and nproc for its containers, which runc cannot do where
// root lacks CAP_SYS_RESOURCE (this sandbox): small explicit values avoid the raise
const PM_ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

function must(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function stats(t) {
  t.sort((a, b) => a - b);
  return { median: t[Math.floor(t.length / 2)], mean: t.reduce((a, b) => a + b, 0) / t.length };
}

/** Each variant [name, cmd, args, env] run RUNS times, round-robin (so that drifting load
 * hits each alike), after two warm-ups: median and mean wall ms. */
function timeAll(variants) {
  for (const [, cmd, args, env] of variants) for (let i = 0; i < 2; i++) must(cmd, args, env);
  const t = variants.map(() => []);
  for (let i = 0; i < runs; i++) {
    variants.forEach(([, cmd, args, env], k) => {
      const s = process.hrtime.bigint();
      must(cmd, args, env);
      t[k].push(Number(process.hrtime.bigint() - s) / 1e6);
    });
  }
  return variants.map(([name], k) => ({ name, ...stats(t[k]) }));
}

const fs = join(base, 'rootfs');
const tar = join(base, 'bb.tar');
must('sh', ['-c', `mkdir -p ${fs}/bin ${fs}/etc ${fs}/tmp && cp /bin/busybox ${fs}/bin/ && ln -s busybox ${fs}/bin/sh && ln -s busybox ${fs}/bin/true && tar -C ${fs} -cf ${tar} .`]);
must(hxBin, ['import', tar, 'bb'], hxEnv);
if (havePodman) must('podman', [...podmanArgs, 'import', tar, 'bb']);

const LIMITS = ['--memory', '64m', '--cpus', '1', '--pids-limit', '100'];
const load = loadavg()[0];
const rows = timeAll([
  ['hx run --rm --cgroups disabled', hxBin, ['run', '--rm', '--cgroups', 'disabled', 'bb', 'true'], hxEnv],
  ['hx run --rm (own cgroup, no limits)', hxBin, ['run', '--rm', 'bb', 'true'], hxEnv],
  ['hx run --rm with limits', hxBin, ['run', '--rm', ...LIMITS, 'bb', 'true'], hxEnv],
  ...(havePodman
    ? [
        ['podman run --rm (runc)', 'podman', [...podmanArgs, 'run', '--rm', '--network', 'none', ...PM_ULIMITS, 'bb', 'true']],
        ['podman run --rm (runc) with limits', 'podman', [...podmanArgs, 'run', '--rm', '--network', 'none', ...PM_ULIMITS, ...LIMITS, 'bb', 'true']],
      ]
    : []),
]);

// The cgroup work alone, in process (no start-up noise): make it with the limits, put a
// process in it from here (the parent's write, as v2 and exec do; on v1 a run's child joins
// by itself), remove it. Back to back, so the kernel's grace period stays warm.
const { makeContainerCgroup, removeContainerCgroup } = await import(join(root, 'dist/container/cgroup.js'));
const { checkResources, parseResourceFlags } = await import(join(root, 'dist/engine/docker-syntax/resources.js'));
const mode = { rootless: false, uid: 0, gid: 0 };
const direct = async (flags) => {
  const resources = checkResources(parseResourceFlags(flags), { cpus: 2, cpusetCpus: '0-1', cpusetMems: '0' }).resources;
  const settings = { mode: 'enabled', parent: 'hx-bench', resources, oomScoreAdj: 0 };
  const dir = mkdtempSync(join(base, 'ctr-'));
  const t = [];
  for (let i = 0; i < runs * 5; i++) {
    const child = spawn('sleep', ['5']);
    const exited = new Promise((r) => child.once('exit', r));
    let s = process.hrtime.bigint();
    const cg = makeContainerCgroup(mode, settings, `bench${i}`, dir);
    cg.manager.add(cg.path, child.pid);
    let spent = process.hrtime.bigint() - s;
    child.kill('SIGKILL');
    await exited; // reaped: the cgroup is empty, as after a container's exit
    s = process.hrtime.bigint();
    removeContainerCgroup(dir);
    spent += process.hrtime.bigint() - s;
    t.push(Number(spent) / 1e6);
  }
  return stats(t);
};
const cgNone = await direct({});
const cgLim = await direct({ memory: '64m', cpus: '1', pidsLimit: 100 });
for (const c of readdirSync('/sys/fs/cgroup')) {
  try {
    rmdirSync(join('/sys/fs/cgroup', c, 'hx-bench'));
  } catch {
    /* not made in this hierarchy */
  }
}

const by = Object.fromEntries(rows.map((r) => [r.name, r]));
const hxNone = by['hx run --rm --cgroups disabled'].median;
const hxLim = by['hx run --rm with limits'].median;
const out = [];
out.push(`Command: \`node bench/cgroups.mjs ${runs}\` as root (${runs} runs each, median; load average ${load.toFixed(1)} at the start).`);
out.push('');
out.push('| command | median ms | mean ms | vs hx without a cgroup |');
out.push('|---|---:|---:|---:|');
for (const r of rows) out.push(`| ${r.name} | ${r.median.toFixed(1)} | ${r.mean.toFixed(1)} | ${(r.median / hxNone).toFixed(2)}x |`);
out.push('');
out.push(`- limits add ${(hxLim - hxNone).toFixed(1)} ms to hx's start (goal: at most 3 ms); the cgroup alone ${(by['hx run --rm (own cgroup, no limits)'].median - hxNone).toFixed(1)} ms.`);
if (havePodman) {
  const pm = by['podman run --rm (runc)'].median;
  const pmLim = by['podman run --rm (runc) with limits'].median;
  out.push(`- podman: limits add ${(pmLim - pm).toFixed(1)} ms; hx with limits / podman with limits: ${(hxLim / pmLim).toFixed(2)}.`);
}
out.push(`- the cgroup work itself, in process (${runs * 5} times: mkdir in 7 hierarchies, limits, add a pid, rmdir): ${cgNone.median.toFixed(2)} ms without limits, ${cgLim.median.toFixed(2)} ms with them (medians).`);
console.log(out.join('\n'));
rmSync(base, { recursive: true, force: true });
