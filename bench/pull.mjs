// Pull of one multi-layer image from a local registry (Debian's docker-registry on
// 127.0.0.1, plain http), fresh store each run: hx pull against podman pull (its default
// storage driver here, and overlay) and skopeo copy to an OCI directory. Runs are
// interleaved round-robin so drift hits every candidate alike. Prints a markdown section.
// Run as an unprivileged user with a subuid range: node bench/pull.mjs [runs]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLayout, busyboxFiles, pushLayout } from '../test/lib/oci-build.mjs';
import { startRegistry } from '../test/lib/registry.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const hxBin = process.env.HX_BIN || join(root, 'build', 'hx');
const RUNS = Number(process.argv[2] || process.env.HX_BENCH_RUNS || 5);
const base = mkdtempSync(join(tmpdir(), 'hx-bench-pull-'));
const env = { ...process.env, XDG_RUNTIME_DIR: join(base, 'run'), HX_STORAGE_ROOT: join(base, 'hx-store'), HX_REGISTRIES_CONF: join(base, 'none.json') };
mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });

function tarOf(args) {
  return execFileSync('tar', ['--sort=name', '--numeric-owner', '--owner=0', '--group=0', '-C', '/', '-cf', '-', ...args], { maxBuffer: 2 ** 31, stdio: ['ignore', 'pipe', 'ignore'] });
}

/** The biggest shared libraries, up to `budget` bytes: large binary files. */
function bigLibraries(budget) {
  const dir = '/usr/lib/x86_64-linux-gnu';
  let files = [];
  try {
    files = readdirSync(dir).map((n) => join(dir, n)).filter((p) => /\.so/.test(p)).map((p) => ({ p, s: statSync(p) })).filter((f) => f.s.isFile()).sort((a, b) => b.s.size - a.s.size);
  } catch {}
  const out = [];
  let total = 0;
  for (const f of files) {
    if (total + f.s.size > budget) continue;
    out.push(f.p.slice(1));
    total += f.s.size;
  }
  return out;
}

function tryDir(path) {
  try {
    return statSync(path).isDirectory() ? [path.slice(1)] : [];
  } catch {
    return [];
  }
}

const registry = await startRegistry({ dir: join(base, 'registry') });
const ref = `${registry.host}/bench/img:1`;
const layout = join(base, 'layout');
const layers = [busyboxFiles()];
for (const group of [tryDir('/usr/lib/python3.11').concat(tryDir('/usr/lib/python3')), tryDir('/usr/include'), bigLibraries(80e6)]) {
  if (group.length) layers.push(tarOf(group));
}
layers.push({ 'etc/bench': 'bench\n' });
const built = buildLayout(layout, [{ tag: 'img', layers }]).img;
pushLayout(layout, 'img', ref);
const compressed = built.layers.reduce((n, l) => n + l.size, 0);

const hxs = (args) => spawnSync(hxBin, args, { env, encoding: 'utf8' });
hxs(['unshare', 'true']); // the namespace holder is up before the first timed run, as podman's pause process is
const podmanRoot = (driver) => ({ root: join(base, `podman-${driver}`), run: join(base, `podman-${driver}-run`) });
const podmanArgs = (driver) => {
  const p = podmanRoot(driver);
  return ['--root', p.root, '--runroot', p.run, ...(driver === 'default' ? [] : ['--storage-driver', driver])];
};
spawnSync('podman', [...podmanArgs('default'), 'info'], { stdio: 'ignore' });
const podmanDefaultDriver = (() => {
  const r = spawnSync('podman', [...podmanArgs('default'), 'info', '--format', '{{.Store.GraphDriverName}}'], { encoding: 'utf8' });
  return r.stdout.trim() || 'unknown';
})();

const candidates = [
  {
    name: 'hx pull',
    cmd: [hxBin, 'pull', '-q', '--tls-verify=false', ref],
    reset: () => hxs(['unshare', 'rm', '-rf', env.HX_STORAGE_ROOT]),
  },
  ...['default', 'overlay'].map((driver) => ({
    name: `podman pull (${driver === 'default' ? `default: ${podmanDefaultDriver}` : driver})`,
    cmd: ['podman', ...podmanArgs(driver), 'pull', '-q', '--tls-verify=false', ref],
    reset: () => {
      spawnSync('podman', [...podmanArgs(driver), 'unshare', 'rm', '-rf', podmanRoot(driver).root], { stdio: 'ignore' });
      rmSync(podmanRoot(driver).run, { recursive: true, force: true });
    },
  })),
  {
    name: 'skopeo copy to an OCI dir',
    cmd: ['skopeo', '--insecure-policy', 'copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `oci:${join(base, 'skopeo-oci')}:x`],
    reset: () => rmSync(join(base, 'skopeo-oci'), { recursive: true, force: true }),
  },
];

function timed(c) {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(c.cmd[0], c.cmd.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (code !== 0) reject(new Error(`${c.name} failed (${code}): ${err.slice(-500)}`));
      else resolve(ms);
    });
  });
}

const times = new Map(candidates.map((c) => [c.name, []]));
try {
  for (let run = -1; run < RUNS; run++) {
    for (const c of candidates) {
      c.reset();
      const ms = await timed(c);
      if (run >= 0) times.get(c.name).push(ms); // run -1 is the warm-up
    }
  }
} finally {
  for (const c of candidates) c.reset();
  await registry.stop();
  try {
    const pid = Number(readFileSync(join(env.XDG_RUNTIME_DIR, 'hx', 'holder.pid'), 'utf8').split(' ')[0]);
    if (pid > 1) process.kill(pid, 'SIGKILL');
  } catch {}
  rmSync(base, { recursive: true, force: true });
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const hxMedian = median(times.get('hx pull'));
const lines = [
  `Image: ${built.layers.length} layers, ${(compressed / 1e6).toFixed(1)} MB compressed (gzip),` +
    ` made from this machine's files (busybox, python3 stdlib, /usr/include, big shared libraries); registry: docker-registry on 127.0.0.1 (plain http);` +
    ` ${RUNS} runs each after one warm-up, interleaved, fresh store every run (deleting it is not timed).`,
  '',
  '| command | median s | min s | max s | ratio to hx pull |',
  '|---|---:|---:|---:|---:|',
];
for (const c of candidates) {
  const t = times.get(c.name);
  const m = median(t);
  lines.push(`| ${c.name} | ${(m / 1000).toFixed(2)} | ${(Math.min(...t) / 1000).toFixed(2)} | ${(Math.max(...t) / 1000).toFixed(2)} | ${(m / hxMedian).toFixed(2)}x |`);
}
lines.push('', 'Commands (REF is the local registry image):', '');
for (const c of candidates) lines.push(`- ${c.name}: \`${c.cmd.map((a) => a.replace(ref, 'REF').replace(base, '$TMP')).join(' ')}\``);
process.stdout.write(lines.join('\n') + '\n');
