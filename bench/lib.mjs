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
