// `hx cp` (issue 13) against rootless podman cp, as the same user on the same filesystem in
// one run: a tree of 5,000 small files and one 200 MB file, out of a stopped container (to a
// new host directory), into a stopped one, out of a running one, and out as a tar stream
// (`-`). hx resolves every container path inside the root with openat2 and copies
// fd-relative (native/lib/tree.c); podman uses buildah's copier in the container's mount
// namespace. Median of RUNS (default 3).
// Run as the unprivileged user: node bench/cp.mjs [DIR] (default /dev/shm).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { machine, must, peers } from './lib.mjs';

const root = join(new URL('.', import.meta.url).pathname, '..');
const hxBin = join(root, 'build', 'hx');
const base = mkdtempSync(join(process.argv[2] || '/dev/shm', 'hx-bench-cp-'));
const runs = Number(process.env.RUNS || 3);
const { hxEnv, podmanArgs, hx, podman, cleanup } = peers(base);

const sh = (script) => must('sh', ['-c', script]);

/** Wall milliseconds of one shell command line (ENV for hx's store). */
function timed(line, env) {
  const r = spawnSync('bash', ['-c', `TIMEFORMAT="%R"; time { ( ${line} ) >/dev/null 2>/dev/null; }`], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${line} failed`);
  return Number(r.stderr.trim().split('\n').at(-1)) * 1000;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median of RUNS timings of LINE (a string, or a function of the run's index), UNDO
 * (untimed) after each. */
function measure(line, env, undo) {
  const t = [];
  for (let i = 0; i < runs; i++) {
    t.push(timed(typeof line === 'function' ? line(i) : line, env));
    undo();
  }
  return median(t);
}

const fs = join(base, 'rootfs');
const tarball = join(base, 'bb.tar');
sh(`mkdir -p ${fs}/bin ${fs}/etc ${fs}/tmp && cp /bin/busybox ${fs}/bin/ && for a in sh seq head mkdir echo sleep rm true; do ln -s busybox ${fs}/bin/$a; done && tar -C ${fs} -cf ${tarball} .`);
hx('import', tarball, 'bb');
podman('import', tarball, 'bb');

const workloads = [
  { name: '5,000 small files', path: '/d', script: 'mkdir /d && cd /d && seq 1 5000 | while read i; do echo "file number $i" > f$i; done' },
  { name: 'one 200 MB file', path: '/big', script: 'head -c 200000000 /dev/urandom > /big' },
];
const out = join(base, 'out');
const rows = [];
for (const w of workloads) {
  hx('run', '--name', 'src', 'bb', 'sh', '-c', w.script);
  podman('run', '--name', 'src', '--network', 'none', 'bb', 'sh', '-c', w.script);
  hx('cp', `src:${w.path}`, join(base, 'host-copy'));
  hx('create', '--name', 'dst', 'bb', 'true');
  podman('create', '--name', 'dst', '--network', 'none', 'bb', 'true');
  const clean = () => sh(`rm -rf ${out}`);
  rows.push({
    name: `out of a stopped container, ${w.name}`,
    h: measure(`${hxBin} cp src:${w.path} ${out}`, hxEnv, clean),
    p: measure(`podman ${podmanArgs.join(' ')} cp src:${w.path} ${out}`, process.env, clean),
  });
  rows.push({
    name: `into a stopped container, ${w.name}`,
    h: measure((i) => `${hxBin} cp ${join(base, 'host-copy')} dst:/in${i}`, hxEnv, () => {}),
    p: measure((i) => `podman ${podmanArgs.join(' ')} cp ${join(base, 'host-copy')} dst:/in${i}`, process.env, () => {}),
  });
  rows.push({
    name: `tar to stdout (-), ${w.name}`,
    h: measure(`${hxBin} cp src:${w.path} - | wc -c`, hxEnv, () => {}),
    p: measure(`podman ${podmanArgs.join(' ')} cp src:${w.path} - | wc -c`, process.env, () => {}),
  });
  hx('rm', 'src', 'dst');
  podman('rm', 'src', 'dst');
  sh(`rm -rf ${join(base, 'host-copy')}`);
}
// out of a running container (hx: through /proc/PID/root; podman: its mount namespace)
hx('run', '-d', '--name', 'live', 'bb', 'sh', '-c', `${workloads[0].script}; sleep 1000`);
podman('run', '-d', '--name', 'live', '--network', 'none', 'bb', 'sh', '-c', `${workloads[0].script}; sleep 1000`);
spawnSync('sleep', ['5']); // both have written the tree by now
rows.push({
  name: `out of a running container, ${workloads[0].name}`,
  h: measure(`${hxBin} cp live:/d ${out}`, hxEnv, () => sh(`rm -rf ${out}`)),
  p: measure(`podman ${podmanArgs.join(' ')} cp live:/d ${out}`, process.env, () => sh(`rm -rf ${out}`)),
});
hx('rm', '-f', 'live');
podman('rm', '-f', '-t', '0', 'live');
spawnSync('sleep', ['2']); // the monitor's cleanup, before the holder is stopped

console.log(`Machine: ${machine()}; store and copies in ${base}; median of ${runs}`);
console.log('| hx cp / podman cp | hx ms | podman ms | podman / hx |\n|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.name} | ${r.h.toFixed(0)} | ${r.p.toFixed(0)} | ${(r.p / r.h).toFixed(2)}x |`);
cleanup();
