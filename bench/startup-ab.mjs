// Start-up of the everyday commands, two builds of hx against each other: single runs of
// BEFORE and AFTER alternate (the order flips every round), so a loaded machine's drift
// hits both alike; each build keeps its code caches in a directory of its own (a loader
// removes the caches of other builds). Wall time of the whole launcher + node process.
// Run as the user you benchmark, on a store you made (HX_STORAGE_ROOT), e.g.
//   runuser -u hxtest -- env HX_STORAGE_ROOT=/dev/shm/s node bench/startup-ab.mjs /tmp/hx-main . 20
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { machine } from './lib.mjs';

const [beforeDir, afterDir, runsArg] = process.argv.slice(2);
if (!beforeDir || !afterDir) {
  console.error('usage: node bench/startup-ab.mjs BEFORE_TREE AFTER_TREE [RUNS]');
  process.exit(2);
}
const runs = Number(runsArg || 20);
const warmup = 3;
const builds = [['before', resolve(beforeDir)], ['after', resolve(afterDir)]];
const caches = mkdtempSync(join(tmpdir(), 'hx-startup-ab-'));
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // node parses the whole bundle at start (~40 ms); the launcher moves it aside

const commands = [['--help'], ['version'], ['images'], ['ps', '-a'], ['run', '--rm', '--network', 'none', process.env.IMAGE || 'bb', 'true']];

function once(file, args, cacheDir) {
  const start = process.hrtime.bigint();
  const r = spawnSync(file, args, { env: { ...env, XDG_CACHE_HOME: cacheDir }, stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.status}`);
  return ms;
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[s.length >> 1] };
};

const node = [];
for (let i = 0; i < runs + warmup; i++) {
  const ms = once(process.execPath, ['-e', '0'], caches);
  if (i >= warmup) node.push(ms);
}
const nodeMedian = stats(node).median;
console.log(`# hx start-up, before (${beforeDir}) and after (${afterDir}), alternating single runs (${machine()}, uid ${process.getuid()}, ${runs} runs after ${warmup})\n`);
console.log('| command | before median ms | before min | before / node | after median ms | after min | after / node |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
console.log(`| node -e 0 | ${nodeMedian.toFixed(1)} | ${stats(node).min.toFixed(1)} | 1.00x | | | |`);
for (const args of commands) {
  const times = { before: [], after: [] };
  for (let i = 0; i < runs + warmup; i++) {
    for (const [label, dir] of i % 2 ? builds : [...builds].reverse()) {
      const ms = once(join(dir, 'build', 'hx'), args, join(caches, label));
      if (i >= warmup) times[label].push(ms);
    }
  }
  const b = stats(times.before);
  const a = stats(times.after);
  console.log(`| hx ${args.join(' ')} | ${b.median.toFixed(1)} | ${b.min.toFixed(1)} | ${(b.median / nodeMedian).toFixed(2)}x | ${a.median.toFixed(1)} | ${a.min.toFixed(1)} | ${(a.median / nodeMedian).toFixed(2)}x |`);
}
rmSync(caches, { recursive: true, force: true });
