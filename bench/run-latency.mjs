// Issue 3: start-to-exit latency of `hx run --rm --rootfs DIR true` against the same
// container made by other means, in one hyperfine run:
//   - `node -e 0`: Node's own start, the part of the floor hx cannot avoid;
//   - `unshare --user --map-root-user --mount --pid --fork chroot DIR true`: the floor
//     (namespaces and a chroot, no mounts, no security setup);
//   - runc on the same rootfs (`runc spec --rootless` bundle; crun refuses cgroup-v1/hybrid
//     hosts like this one, so it is tried and reported but may be skipped);
//   - `podman run --rootfs DIR` with --runtime runc and --network none (hx's default).
// Run as the user you benchmark, e.g.  runuser -u hxtest -- node bench/run-latency.mjs
// Tools come from Debian: apt-get install busybox-static hyperfine runc crun podman uidmap
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { machine } from './lib.mjs';
import { makeBusyboxRootfs } from '../test/e2e/run-rootfs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const hx = join(root, 'build', 'hx');
const node = process.execPath;
const runs = Number(process.env.RUNS || 40);
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // see DESIGN.md: it would add ~40 ms to every node start

const have = (cmd, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const work = mkdtempSync(join(process.env.HX_BENCH_TMP || tmpdir(), 'hx-run-bench-'));
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
const notes = [];

const commands = [
  { name: 'node -e 0', cmd: `${node} -e 0` },
  { name: 'unshare+chroot (floor)', cmd: `unshare --user --map-root-user --mount --pid --fork chroot ${rootfs} true` },
  { name: 'hx run', cmd: `${hx} run --rm --rootfs ${rootfs} true` },
  { name: 'hx run (seccomp=unconfined)', cmd: `${hx} run --rm --rootfs ${rootfs} --security-opt seccomp=unconfined true` },
  { name: 'hx run --init', cmd: `${hx} run --rm --rootfs ${rootfs} --init true` },
];

/** A runtime bundle for runc/crun: `runc spec --rootless` (or plain when root), running `true`. */
function ociBundle(dir) {
  mkdirSync(dir, { recursive: true });
  const rootless = process.getuid() !== 0;
  const r = spawnSync('runc', ['spec', ...(rootless ? ['--rootless'] : []), '--bundle', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`runc spec failed: ${r.stderr}`);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  config.process.terminal = false;
  config.process.args = ['true'];
  config.root = { path: rootfs, readonly: false };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 1));
  return config.linux.namespaces.map((n) => n.type).join(',');
}

if (have('runc')) {
  const bundle = join(work, 'bundle');
  const ns = ociBundle(bundle);
  notes.push(`runc and crun run \`runc spec${process.getuid() !== 0 ? ' --rootless' : ''}\` with namespaces ${ns} (no network namespace).`);
  const runc = `runc --root ${join(work, 'runc-state')} run --bundle ${bundle} hx-bench-runc`;
  if (spawnSync('sh', ['-c', runc], { env, encoding: 'utf8' }).status === 0) commands.push({ name: 'runc run', cmd: runc });
  else notes.push('runc could not run the bundle here; skipped.');
  if (have('crun')) {
    const crun = `crun --root ${join(work, 'crun-state')} run --bundle ${bundle} hx-bench-crun`;
    const t = spawnSync('sh', ['-c', crun], { env, encoding: 'utf8' });
    if (t.status === 0) commands.push({ name: 'crun run', cmd: crun });
    else notes.push(`crun refused to run here (${(t.stderr || '').trim().split('\n').pop()}); skipped.`);
  }
} else {
  notes.push('runc is not installed (apt-get install runc); skipped.');
}

if (have('podman')) {
  const podman = `podman --runtime runc run --rm --network none --rootfs ${rootfs} true`;
  const p = spawnSync('sh', ['-c', podman], { env, encoding: 'utf8' });
  if (p.status === 0) commands.push({ name: 'podman run --rootfs (runc)', cmd: podman });
  else notes.push(`podman could not run here (${(p.stderr || '').trim().split('\n').pop()}); skipped.`);
} else {
  notes.push('podman is not installed (apt-get install podman); skipped.');
}

// hx must work before it is timed (and the first run creates the namespace holder).
const check = spawnSync(hx, ['run', '--rm', '--rootfs', rootfs, 'sh', '-c', 'exit 3'], { env, encoding: 'utf8' });
if (check.status !== 3) throw new Error(`hx run does not work here: ${check.stderr}`);

/** hyperfine with CPU time too: on a shared machine wall time is noisy, user+system much less so. */
function measure(cmds) {
  const dir = mkdtempSync(join(tmpdir(), 'hx-run-bench-json-'));
  const out = join(dir, 'out.json');
  const args = ['-N', '--warmup', '5', '--runs', String(runs), '--export-json', out, '--style', 'none'];
  for (const c of cmds) args.push('-n', c.name, c.cmd);
  const r = spawnSync('hyperfine', args, { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`hyperfine failed: ${r.stderr}`);
  const results = JSON.parse(readFileSync(out, 'utf8')).results;
  rmSync(dir, { recursive: true, force: true });
  return results.map((x, i) => ({ ...cmds[i], median: x.median * 1000, mean: x.mean * 1000, stddev: x.stddev * 1000, cpu: (x.user + x.system) * 1000 }));
}

function table(rows, baseline) {
  const base = rows.find((r) => r.name === baseline);
  const lines = [`| command | median ms | mean ± sd ms | CPU ms (user+sys) | median vs ${baseline} |`, '|---|---:|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(`| ${r.name} | ${r.median.toFixed(1)} | ${r.mean.toFixed(1)} ± ${r.stddev.toFixed(1)} | ${r.cpu.toFixed(1)} | ${(r.median / base.median).toFixed(2)}x |`);
  }
  return lines.join('\n');
}

const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
let rows;
try {
  rows = measure(commands);
} finally {
  rmSync(work, { recursive: true, force: true });
}

const get = (name) => rows.find((r) => r.name === name);
console.log(`# hx run start-to-exit latency (${machine()}, uid ${process.getuid()}, ${runs} runs, medians)\n`);
console.log(table(rows, 'node -e 0'));
console.log('');
const hxRow = get('hx run');
console.log(`- hx run minus node -e 0: ${(hxRow.median - get('node -e 0').median).toFixed(1)} ms median wall, ${(hxRow.cpu - get('node -e 0').cpu).toFixed(1)} ms CPU (goal: at most 17 ms)`);
const podman = get('podman run --rootfs (runc)');
if (podman) console.log(`- hx run / podman run: ${(hxRow.median / podman.median).toFixed(2)} (goal: at most 0.25)`);
const runcRow = get('runc run');
if (runcRow) console.log(`- hx run / runc run: ${(hxRow.median / runcRow.median).toFixed(2)}`);
for (const n of notes) console.log(`- ${n}`);
console.log(`- load average when the run started: ${load} on ${cpus().length} CPUs (wall times are only comparable on an idle machine)`);
console.log(`\ncommand: node bench/run-latency.mjs  (RUNS=${runs}; as uid ${process.getuid()})`);
