// Issue 6: `hx bench run --compare` (start-to-exit latency of `hx run --rm hello-world`, where
// the time goes, and podman/runc/crun on the same image), and its total checked from outside:
// hyperfine on the same command in the same run should agree with the bench's own clock.
//
//   node bench/hx-bench-run.mjs          (RUNS=5 for a quick smoke run)
//
// Run it as the user you benchmark (rootless: an unprivileged user with a subuid range).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hyperfine, table } from './lib.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const hxBin = process.env.HX_BIN || join(root, 'build', 'hx');
const RUNS = Number(process.env.RUNS || 20);
const { renderRunText } = await import(join(root, 'dist/bench/report.js'));

// The holder exists after any hx command; make sure the timed runs join one.
spawnSync(hxBin, ['unshare', '--', 'true'], { stdio: 'ignore' });
const cmd = ['bench', 'run', '--compare', '-n', String(RUNS), '--format', 'json'];
const r = spawnSync(hxBin, cmd, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
if (r.status !== 0) {
  console.error(`hx ${cmd.join(' ')} failed (exit ${r.status})`);
  process.exit(1);
}
const result = JSON.parse(r.stdout);
// node -e 0 as the floor: without NODE_EXTRA_CA_CERTS, which the launcher keeps off hx's start too
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const outside = hyperfine(
  [
    { name: 'hx run --rm hello-world', cmd: `${hxBin} run --rm hello-world` },
    { name: `${process.execPath} -e 0`, cmd: `${process.execPath} -e 0` },
  ],
  { runs: RUNS, warmup: 3, env },
);

console.log(`### \`hx bench run --compare -n ${RUNS}\`\n`);
console.log('```');
console.log(renderRunText(result).trimEnd());
console.log('```\n');
console.log('### The same command timed from outside (hyperfine, same run)\n');
console.log(table(outside, `${process.execPath} -e 0`));
const h = outside[0].median;
const b = result.total.ms.median;
console.log(`\nhx bench run median ${b.toFixed(1)} ms, hyperfine median ${h.toFixed(1)} ms: outside / bench = ${(h / b).toFixed(2)} (hyperfine's stddev ${outside[0].stddev.toFixed(1)} ms, the bench's spread ±${result.total.ms.spreadPct.toFixed(0)}%).`);
