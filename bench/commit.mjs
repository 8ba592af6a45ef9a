// Container filesystems (issue 13): `commit` and `diff` of a container that wrote 10k small
// files and of one that wrote one 500 MB file (base64 of random bytes: compressible as text
// is, about 4:3), hx against rootless podman (runc, vfs and overlay as the store has) as the
// same user on the same filesystem, in one run. Each commit is timed with its CPU time, so
// the table shows whether compression used both cores (CPU % above 100).
// Run as the unprivileged user: node bench/commit.mjs [DIR] (default /dev/shm; give a
// directory on disk too: file writes by non-root users cost more there).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { machine, must, peers } from './lib.mjs';

const root = join(new URL('.', import.meta.url).pathname, '..');
const hxBin = join(root, 'build', 'hx');
const base = mkdtempSync(join(process.argv[2] || '/dev/shm', 'hx-bench-commit-'));
const runs = Number(process.env.RUNS || 3);
const { hxEnv, podmanArgs, hx, podman, cleanup } = peers(base);


/** Wall and CPU (user + system, children included) seconds of one command, via bash's time. */
function timed(cmd, args, env) {
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%R %U %S"; time "$@" >/dev/null 2>/dev/null', '_', cmd, ...args], { env, encoding: 'utf8' });
  const [real, user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
  return { wall: real * 1000, cpu: (user + sys) * 1000 };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median of RUNS timings of RUN (after each, UNDO, untimed). */
function measure(run, undo) {
  const t = [];
  for (let i = 0; i < runs; i++) {
    t.push(run());
    undo();
  }
  return { wall: median(t.map((x) => x.wall)), cpu: median(t.map((x) => x.cpu)) };
}

const fs = join(base, 'rootfs');
const tarball = join(base, 'bb.tar');
must('sh', ['-c', `mkdir -p ${fs}/bin ${fs}/etc ${fs}/tmp && cp /bin/busybox ${fs}/bin/ && for a in sh seq head base64 mkdir echo cat; do ln -s busybox ${fs}/bin/$a; done && tar -C ${fs} -cf ${tarball} .`]);
hx('import', tarball, 'bb');
podman('import', tarball, 'bb');

const workloads = [
  { name: '10k small files', script: 'mkdir /d && cd /d && seq 1 10000 | while read i; do echo "file number $i" > f$i; done' },
  { name: 'one 500 MB file', script: 'head -c 375000000 /dev/urandom | base64 > /big' },
];
const rows = [];
for (const w of workloads) {
  hx('run', '--name', 'work', 'bb', 'sh', '-c', w.script);
  podman('run', '--name', 'work', '--network', 'none', 'bb', 'sh', '-c', w.script);
  const diffH = measure(() => timed(hxBin, ['diff', 'work'], hxEnv), () => {});
  const diffP = measure(() => timed('podman', [...podmanArgs, 'diff', 'work']), () => {});
  const commitH = measure(() => timed(hxBin, ['commit', 'work', 'out'], hxEnv), () => hx('rmi', 'out'));
  const commitP = measure(() => timed('podman', [...podmanArgs, 'commit', 'work', 'out']), () => podman('rmi', 'out'));
  rows.push({ name: `diff, ${w.name}`, h: diffH, p: diffP });
  rows.push({ name: `commit, ${w.name}`, h: commitH, p: commitP });
  hx('rm', 'work');
  podman('rm', 'work');
}

const cpuPct = (x) => `${Math.round((100 * x.cpu) / x.wall)}%`;
console.log(`Machine: ${machine()}; store: ${base}; median of ${runs}`);
console.log('| command | hx ms | hx CPU % | podman ms | podman CPU % | podman / hx |\n|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.name} | ${r.h.wall.toFixed(0)} | ${cpuPct(r.h)} | ${r.p.wall.toFixed(0)} | ${cpuPct(r.p)} | ${(r.p.wall / r.h.wall).toFixed(2)}x |`);
cleanup();
