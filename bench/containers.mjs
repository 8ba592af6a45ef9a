// Detached containers (issue 12), hx against rootless podman (runc, --network none,
// cgroupfs) as the same user, on the same filesystem, in one run:
//   - the monitor's memory (RSS, PSS) for an idle detached container, against conmon's;
//   - a `run -d` + `stop -t 0` + `rm` cycle; `exec CTR true`;
//   - `ps -a` and `ps -a --format json` with 100 containers;
//   - `logs` of a 100 MB log.
// Run as the unprivileged user: node bench/containers.mjs [DIR] (default /dev/shm; give a
// directory on disk too: file writes by non-root users cost more there).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, must, peers } from './lib.mjs';

const root = join(new URL('.', import.meta.url).pathname, '..');
const hxBin = join(root, 'build', 'hx');
const base = mkdtempSync(join(process.argv[2] || '/dev/shm', 'hx-bench-ctr-'));
const rootfsTar = join(base, 'bb.tar');
const { hxEnv, podmanArgs, hx, podman, cleanup } = peers(base);


/** Median wall time in ms of F over N runs (after one warm-up). */
function time(n, f) {
  f();
  const t = [];
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    f();
    t.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

function memOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  const pss = Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))[1]);
  return { rss, pss };
}
const pidOf = (pattern) => Number(execFileSync('pgrep', ['-n', '-f', pattern], { encoding: 'utf8' }).trim());

// a busybox root filesystem, imported into both
const fs = join(base, 'rootfs');
must('sh', ['-c', `mkdir -p ${fs}/bin ${fs}/etc ${fs}/tmp && cp /bin/busybox ${fs}/bin/ && for a in sh sleep true echo yes head cat; do ln -s busybox ${fs}/bin/$a; done && tar -C ${fs} -cf ${rootfsTar} .`]);
hx('import', rootfsTar, 'bb');
podman('import', rootfsTar, 'bb');
const P = ['--network', 'none'];

const rows = [];
const ratio = (h, p) => `${(p / h).toFixed(2)}x`;

// 1. memory of an idle detached container's supervisor
const hid = hx('run', '-d', 'bb', 'sleep', '1000').trim();
const pid = podman('run', '-d', ...P, 'bb', 'sleep', '1000').trim();
spawnSync('sleep', ['2']);
const hm = memOf(pidOf(`__monitor ${hid}`));
const cm = memOf(pidOf(`conmon.*${pid}`));
const memory = `| supervisor of an idle container | RSS KiB | PSS KiB |\n|---|---:|---:|\n| hx monitor | ${hm.rss} | ${hm.pss} |\n| conmon | ${cm.rss} | ${cm.pss} |`;

// 2. exec into a running container
rows.push({ name: 'exec CTR true', hx: time(20, () => hx('exec', hid, 'true')), podman: time(20, () => podman('exec', pid, 'true')) });
hx('rm', '-f', hid);
podman('rm', '-f', '-t', '0', pid);

// 3. run -d + stop -t 0 + rm
rows.push({
  name: 'run -d + stop -t 0 + rm',
  hx: time(10, () => {
    const id = hx('run', '-d', 'bb', 'sleep', '100').trim();
    hx('stop', '-t', '0', id);
    hx('rm', id);
  }),
  podman: time(10, () => {
    const id = podman('run', '-d', ...P, 'bb', 'sleep', '100').trim();
    podman('stop', '-t', '0', id);
    podman('rm', id);
  }),
});

// 4. ps with 100 containers
for (let i = 0; i < 100; i++) {
  hx('create', 'bb', 'true');
  podman('create', ...P, 'bb', 'true');
}
rows.push({ name: 'ps -a (100 containers)', hx: time(10, () => hx('ps', '-a')), podman: time(10, () => podman('ps', '-a')) });
rows.push({ name: 'ps -a --format json (100)', hx: time(10, () => hx('ps', '-a', '--format', 'json')), podman: time(10, () => podman('ps', '-a', '--format', 'json')) });
hx('rm', ...hx('ps', '-aq').trim().split('\n'));
podman('rm', '-a');

// 5. logs of a 100 MB log (lines of 100 bytes)
const script = 'yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | head -c 100000000';
const hl = hx('run', '-d', 'bb', 'sh', '-c', script).trim();
const pl = podman('run', '-d', ...P, '--log-driver', 'k8s-file', 'bb', 'sh', '-c', script).trim();
for (;;) {
  const a = hx('inspect', '-f', '{{.State.Status}}', hl).trim();
  const b = podman('inspect', '-f', '{{.State.Status}}', pl).trim();
  if (a === 'exited' && b === 'exited') break;
  spawnSync('sleep', ['0.5']);
}
const quiet = (cmd, args, env) => () => {
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'ignore'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
};
rows.push({ name: 'logs (100 MB log)', hx: time(3, quiet(hxBin, ['logs', hl], hxEnv)), podman: time(3, quiet('podman', [...podmanArgs, 'logs', pl])) });
hx('rm', hl);
podman('rm', pl);

console.log(`Machine: ${machine()}; store: ${base}`);
console.log(memory);
console.log('');
console.log('| command | hx median ms | podman median ms | podman / hx |\n|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.name} | ${r.hx.toFixed(1)} | ${r.podman.toFixed(1)} | ${ratio(r.hx, r.podman)} |`);
cleanup();
