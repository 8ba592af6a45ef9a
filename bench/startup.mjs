// Issue 2: cold start of `hx --help`, `hx version` and `hx unshare -- true` against bare
// `node -e 0`, in one run. Run as the user you benchmark (rootless: an unprivileged user
// with a subuid range), e.g.  runuser -u hxtest -- node bench/startup.mjs
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hyperfine, machine, table } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const hx = join(root, 'build', 'hx');
const node = process.execPath;
const runs = Number(process.env.RUNS || 40);
const env = { ...process.env };
const ca = env.NODE_EXTRA_CA_CERTS;
delete env.NODE_EXTRA_CA_CERTS;

const commands = [
  { name: 'node -e 0', cmd: `${node} -e 0` },
  { name: 'node build/cli.cjs version (no launcher)', cmd: `${node} ${join(root, 'build/cli.cjs')} version` },
  { name: 'hx version', cmd: `${hx} version` },
  { name: 'hx --help', cmd: `${hx} --help` },
  { name: 'node dist/cli/main.js --help (unbundled ESM)', cmd: `${node} ${join(root, 'dist/cli/main.js')} --help` },
];
if (process.getuid() !== 0) commands.push({ name: 'hx unshare -- true', cmd: `${hx} unshare -- true` });
if (ca) commands.push({ name: 'node -e 0 with NODE_EXTRA_CA_CERTS', cmd: `env NODE_EXTRA_CA_CERTS=${ca} ${node} -e 0` });

const rows = hyperfine(commands, { runs, env });
const launcher = rows.find((r) => r.name === 'hx version').median - rows.find((r) => r.name.startsWith('node build/cli.cjs')).median;
console.log(`# startup (${machine()}, uid ${process.getuid()}, ${runs} runs)\n`);
console.log(table(rows, 'node -e 0'));
console.log(`\nlauncher overhead (hx version minus node build/cli.cjs version): ${launcher.toFixed(1)} ms`);

// Issue 10: the commands people type most, with a store of 20 images (each a commit of one
// container with its own label), against `node -e 0` and rootless podman on the same store
// filesystem: `images`, `ps -a`, `run --rm IMAGE true`.
if (process.getuid() !== 0 && process.env.PODMAN !== '0') {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const base = mkdtempSync(join(process.argv[2] || '/dev/shm', 'hx-bench-startup-'));
  const hxEnv = { ...env, HX_STORAGE_ROOT: join(base, 'hx-store'), HX_RUNTIME_DIR: join(base, 'hx-run') };
  const pm = `podman --root ${join(base, 'pm-root')} --runroot ${join(base, 'pm-run')} --runtime runc --cgroup-manager cgroupfs --events-backend file`;
  const sh = (cmd, e = env) => {
    const r = spawnSync('sh', ['-c', cmd], { env: e, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  };
  const fs = join(base, 'rootfs');
  sh(`mkdir -p ${fs}/bin ${fs}/etc ${fs}/tmp && cp /bin/busybox ${fs}/bin/ && ln -s busybox ${fs}/bin/sh && ln -s busybox ${fs}/bin/true && tar -C ${fs} -cf ${base}/bb.tar .`);
  sh(`${hx} import ${base}/bb.tar bb && ${hx} create --name seed bb true && for i in $(seq 1 19); do ${hx} commit -c "LABEL n=$i" seed img$i >/dev/null; done`, hxEnv);
  sh(`${pm} import ${base}/bb.tar bb && ${pm} create --name seed bb true && for i in $(seq 1 19); do ${pm} commit -q -c "LABEL n=$i" seed img$i >/dev/null; done`);
  const everyday = hyperfine(
    [
      { name: 'node -e 0', cmd: `${node} -e 0` },
      { name: 'hx images (20 images)', cmd: `${hx} images` },
      { name: 'podman images (20 images)', cmd: `${pm} images` },
      { name: 'hx ps -a', cmd: `${hx} ps -a` },
      { name: 'podman ps -a', cmd: `${pm} ps -a` },
      { name: 'hx run --rm bb true', cmd: `${hx} run --rm --network none bb true` },
      { name: 'podman run --rm bb true (runc)', cmd: `${pm} run --rm --network none bb true` },
    ],
    { runs: Math.min(runs, 20), warmup: 3, env: hxEnv },
  );
  console.log(`\n# everyday commands, store ${base}\n`);
  console.log(table(everyday, 'node -e 0'));
  spawnSync(hx, ['unshare', '--', 'rm', '-rf', join(base, 'hx-store')], { env: hxEnv });
  spawnSync('sh', ['-c', `${pm} unshare rm -rf ${join(base, 'pm-root')}`]);
  rmSync(base, { recursive: true, force: true });
}
