// `hx build` against `podman build` (buildah, runc) (issue 15): a ten-step Dockerfile (COPY of
// a 30,000-file context, two RUNs, metadata steps) from the same busybox base, as the same user
// on the same filesystem, in one run: cold (--no-cache: every step runs, the context is read
// and hashed again), fully cached (every step CACHED), and a fully cached rebuild of a small
// context. Goals: 2x faster than podman cold, 5x cached, a small cached rebuild under 1 s.
// Run as the unprivileged user: node bench/build.mjs [DIR] (default /dev/shm; give a directory
// on ext4 too). RUNS=N (default 3) timings each, the median shown.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, must, peers } from './lib.mjs';

const base = mkdtempSync(join(process.argv[2] || '/dev/shm', 'hx-bench-build-'));
const runs = Number(process.env.RUNS || 3);
const FILES = Number(process.env.FILES || 30000);
const { hxBin, hxEnv, podmanArgs, hx, podman, cleanup } = peers(base);
process.on('exit', () => cleanup()); // also when a step throws: the stores are removed

/** Wall and CPU (user + system, children included) ms of one command, via bash's time. */
function timed(cmd, args, env = process.env) {
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%R %U %S"; time "$@" >/dev/null 2>"$ERR"', '_', cmd, ...args], { env: { ...env, ERR: join(base, 'err') }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${spawnSync('cat', [join(base, 'err')], { encoding: 'utf8' }).stdout}`);
  const [real, user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { wall: real * 1000, cpu: (user + sys) * 1000 };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function measure(run) {
  const t = [];
  for (let i = 0; i < runs; i++) t.push(run());
  return { wall: median(t.map((x) => x.wall)), cpu: median(t.map((x) => x.cpu)) };
}

// the base: busybox, imported by hx and handed to podman by hx save (the very same layer)
const fs = join(base, 'rootfs');
const tarball = join(base, 'bb.tar');
must('sh', ['-c', `mkdir -p ${fs}/bin ${fs}/etc ${fs}/tmp && cp /bin/busybox ${fs}/bin/ && for a in $(/bin/busybox --list | grep -vx busybox); do ln -s busybox ${fs}/bin/$a; done && tar -C ${fs} -cf ${tarball} .`]);
hx('import', tarball, 'bb');
hx('save', '-o', join(base, 'bb-saved.tar'), 'bb');
podman('load', '-i', join(base, 'bb-saved.tar'));

const DOCKERFILE = `FROM bb
ENV APP=/app
WORKDIR /app
COPY files /app/files
RUN find /app/files -type f | wc -l > /app/count
RUN echo built > /app/built
LABEL bench=build
EXPOSE 8080
USER 0
CMD ["cat", "/app/count"]
`;
/** A context of N small files in directories of 1000, and the Dockerfile. */
function context(dir, n) {
  for (let i = 0; i < n; i++) {
    const d = join(dir, 'files', `d${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `f${i}.txt`), `file ${i} of the bench context\n`);
  }
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  return dir;
}
const big = context(join(base, 'ctx-big'), FILES);
const small = context(join(base, 'ctx-small'), 2);

const hxBuild = (dir, extra = []) => () => timed(hxBin, ['build', '--network', 'none', '--progress', 'plain', ...extra, '-t', 'bench:1', dir], hxEnv);
const pmBuild = (dir, extra = []) => () => timed('podman', [...podmanArgs, 'build', '--network', 'none', '--pull=never', ...extra, '-t', 'bench:1', dir]);

// a check before timing: both builds give an image that counts the files
hxBuild(big)();
pmBuild(big)();
const count = (out) => out.trim();
const hxCount = count(hx('run', '--rm', '--network', 'none', 'bench:1'));
const pmCount = count(podman('run', '--rm', '--network', 'none', 'localhost/bench:1'));
if (hxCount !== String(FILES) || pmCount !== String(FILES)) throw new Error(`file counts: hx ${hxCount}, podman ${pmCount}, want ${FILES}`);

const rows = [
  { name: `cold (--no-cache), ${FILES} files`, h: measure(hxBuild(big, ['--no-cache'])), p: measure(pmBuild(big, ['--no-cache'])) },
  { name: `fully cached, ${FILES} files`, h: measure(hxBuild(big)), p: measure(pmBuild(big)) },
];
hxBuild(small)();
pmBuild(small)();
rows.push({ name: 'fully cached, 2 files', h: measure(hxBuild(small)), p: measure(pmBuild(small)) });

const cpuPct = (x) => `${Math.round((100 * x.cpu) / x.wall)}%`;
console.log(`Machine: ${machine()}; store: ${base}; podman's storage driver: ${podman('info', '--format', '{{.Store.GraphDriverName}}').trim()}; hx's: ${JSON.parse(hx('info', '--format', 'json')).storage.driver}; median of ${runs}`);
console.log('| build | hx ms | hx CPU % | podman ms | podman CPU % | podman / hx |\n|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.name} | ${r.h.wall.toFixed(0)} | ${cpuPct(r.h)} | ${r.p.wall.toFixed(0)} | ${cpuPct(r.p)} | ${(r.p.wall / r.h.wall).toFixed(2)}x |`);
