// Shared bench helpers: hyperfine runs, medians, markdown tables.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

export function machine() {
  const cpu = cpus();
  return `${cpu[0]?.model ?? 'unknown cpu'} x${cpu.length}, Linux ${spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim()}, Node ${process.version}`;
}

/**
 * Time shell-free commands with hyperfine. commands: [{ name, cmd }]; prepare: a command run
 * (untimed) before each run. Returns
 * [{ name, cmd, median, mean, stddev }] in milliseconds.
 */
export function hyperfine(commands, { runs = 30, warmup = 5, env = process.env, prepare } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hx-bench-'));
  const out = join(dir, 'out.json');
  const args = ['-N', '--warmup', String(warmup), '--runs', String(runs), '--export-json', out, '--style', 'none'];
  if (prepare) args.push('--prepare', prepare); // run before every timed run (untimed)
  for (const c of commands) args.push('-n', c.name, c.cmd);
  const r = spawnSync('hyperfine', args, { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`hyperfine failed: ${r.stderr}`);
  const results = JSON.parse(readFileSync(out, 'utf8')).results;
  rmSync(dir, { recursive: true, force: true });
  return results.map((x, i) => ({ ...commands[i], median: x.median * 1000, mean: x.mean * 1000, stddev: x.stddev * 1000 }));
}

export function table(rows, baselineName) {
  const base = rows.find((r) => r.name === baselineName);
  const lines = ['| command | median ms | mean ± sd ms | ratio to ' + baselineName + ' |', '|---|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(`| ${r.name} | ${r.median.toFixed(1)} | ${r.mean.toFixed(1)} ± ${r.stddev.toFixed(1)} | ${base ? (r.median / base.median).toFixed(2) + 'x' : ''} |`);
  }
  return lines.join('\n');
}

/** Run CMD ARGS; its stdout, or an Error with its stderr. */
export function must(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** hx and rootless podman side by side under BASE (same user, same filesystem): hx's store
 * and runtime dir, podman's --root/--runroot (runc, cgroupfs, file events), and runners.
 * podman gets overlay, as hx has: left to itself, rootless podman 4.3 picks vfs here, which
 * copies every layer whole and flatters hx (PODMAN_STORAGE_DRIVER=vfs gives that back). */
export function peers(base) {
  const hxBin = join(new URL('.', import.meta.url).pathname, '..', 'build', 'hx');
  const hxEnv = { ...process.env, HX_STORAGE_ROOT: join(base, 'hx-store'), HX_RUNTIME_DIR: join(base, 'hx-run') };
  const podmanArgs = ['--root', join(base, 'pm-root'), '--runroot', join(base, 'pm-run'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--storage-driver', process.env.PODMAN_STORAGE_DRIVER || 'overlay'];
  return {
    hxBin,
    hxEnv,
    podmanArgs,
    hx: (...a) => must(hxBin, a, hxEnv),
    podman: (...a) => must('podman', [...podmanArgs, ...a]),
    /** Remove both stores (their files belong to subordinate ids: removed from inside). */
    cleanup() {
      spawnSync(hxBin, ['unshare', '--', 'rm', '-rf', join(base, 'hx-store')], { env: hxEnv });
      spawnSync(hxBin, ['system', 'migrate'], { env: hxEnv }); // stops this runtime dir's namespace holder
      spawnSync('podman', [...podmanArgs, 'unshare', 'rm', '-rf', join(base, 'pm-root')]);
      // rootful podman (its unshare too) leaves the overlay driver's home mounted, at times twice
      for (let i = 0; i < 5 && spawnSync('umount', ['-l', join(base, 'pm-root', 'overlay')], { stdio: 'ignore' }).status === 0; i++);
      rmSync(base, { recursive: true, force: true });
    },
  };
}
