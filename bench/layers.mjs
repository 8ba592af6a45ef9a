// Issue 6: `hx bench layers --synthetic small-files --size 128M --compare` (every stage, and
// GNU tar, gzip, sha256sum, umoci, skopeo on the same files), then the same stages timed from
// outside: the same synthetic layer (same generator and seed: the digest is checked) run one
// stage per process under hyperfine, minus a process that does everything but the stage. The
// two figures for each stage should agree within noise; the table says how far apart they are.
//
//   node bench/layers.mjs            (SIZE=16M RUNS=2 for a quick smoke run)
//
// Run it as an unprivileged user with a subuid range (it re-runs itself under `hx unshare`,
// where layer files can be owned by the ids they name).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { hyperfine } from './lib.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const hxBin = process.env.HX_BIN || join(root, 'build', 'hx');
const SIZE = process.env.SIZE || '128M';
const RUNS = Number(process.env.RUNS || 3);

if (!process.env.HX_NS_PID && process.getuid() !== 0) {
  const r = spawnSync(hxBin, ['unshare', '--', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { parseSize } = await import(join(root, 'dist/bench/stats.js'));
const { planSynthetic, syntheticTarChunks } = await import(join(root, 'dist/bench/synthetic.js'));
const { renderLayersText } = await import(join(root, 'dist/bench/report.js'));

const work = mkdtempSync(join(process.env.HX_BENCH_DIR || tmpdir(), 'hx-bench-layers-'));
const cleanup = () => rmSync(work, { recursive: true, force: true });
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

try {
  // 1. The command a user runs, with every stage and every installed peer.
  const cmd = ['bench', 'layers', '--synthetic', 'small-files', '--size', SIZE, '--compare', '-n', String(RUNS), '--format', 'json', '--dir', work];
  const r = spawnSync(hxBin, cmd, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`hx ${cmd.join(' ')} failed (exit ${r.status})`);
  const result = JSON.parse(r.stdout);
  const layer = result.layers[0];

  // 2. The same layer, generated here from the same generator and seed.
  const plan = planSynthetic({ profile: 'small-files', size: parseSize(SIZE), seed: 1 });
  const tarFile = join(work, 'layer.tar');
  const blobFile = join(work, 'layer.tar.gz');
  const fd = openSync(tarFile, 'w');
  const h = createHash('sha256');
  for (const c of syntheticTarChunks(plan)) {
    writeSync(fd, c);
    h.update(c);
  }
  closeSync(fd);
  const diffId = `sha256:${h.digest('hex')}`;
  if (diffId !== layer.diffId) throw new Error(`not the same layer: ${diffId} here, ${layer.diffId} in hx bench`);
  await pipeline(createReadStream(tarFile), createGzip({ level: 6, chunkSize: 1 << 20 }), createWriteStream(blobFile));

  // 3. Each stage in its own process, timed by hyperfine: 1 run and 1+EXTRA runs per process,
  //    so one run = the difference / EXTRA (process start and the cold first run cancel out).
  //    The pipeline writes a fresh tree each time: one run per process, minus a noop process.
  const EXTRA = 4;
  const stageCmd = (stage, count, extra = '') => `${process.execPath} ${join(root, 'bench/layer-stage.mjs')} ${stage} ${count} ${blobFile} ${tarFile}${extra}`;
  const fast = ['decompress', 'sha256-blob', 'sha256-tar', 'parse-ts', 'parse-wasm', 'compress'];
  const external = new Map();
  for (const s of fast) {
    const [one, many] = hyperfine(
      [
        { name: `${s} x1`, cmd: stageCmd(s, 1) },
        { name: `${s} x${1 + EXTRA}`, cmd: stageCmd(s, 1 + EXTRA) },
      ],
      { runs: Math.max(5, RUNS), warmup: 1 },
    );
    external.set(s, { ms: (many.median - one.median) / EXTRA, sd: Math.hypot(one.stddev, many.stddev) / EXTRA });
  }
  const dir = join(work, 'ingest');
  const pipe = hyperfine(
    [
      { name: 'noop', cmd: stageCmd('noop', 1, ` ${dir}`) },
      { name: 'pipeline', cmd: stageCmd('pipeline', 1, ` ${dir}`) },
    ],
    // the same untimed settling as hx bench: a fresh dir, and earlier deletions flushed
    { runs: RUNS, warmup: 0, prepare: `sh -c "rm -rf ${dir} ${dir}.blob && mkdir ${dir} && sync -f ${work}"` },
  );
  external.set('pipeline', { ms: pipe[1].median - pipe[0].median, sd: pipe[1].stddev });

  // 4. Report.
  console.log(`### \`hx bench layers --synthetic small-files --size ${SIZE} --compare -n ${RUNS}\`\n`);
  console.log('```');
  console.log(renderLayersText(result).trimEnd());
  console.log('```\n');
  console.log(`### The same stages timed from outside (hyperfine)\n`);
  console.log(`Command: \`hyperfine -N 'node bench/layer-stage.mjs STAGE 1 layer.tar.gz layer.tar' 'node bench/layer-stage.mjs STAGE ${1 + EXTRA} ...'\`: one run = the difference / ${EXTRA}; the pipeline: one run per process minus \`layer-stage.mjs noop\`. Same bytes as above (diff_id ${diffId.slice(0, 19)}…, checked).\n`);
  console.log('| stage | hx bench layers (own timer) | outside (hyperfine) | outside / hx | within noise? |');
  console.log('|---|---:|---:|---:|---|');
  for (const [id, ext] of external) {
    const s = layer.stages.find((x) => x.id === id);
    if (!s || s.status !== 'ok') continue;
    const mb = layer.uncompressedBytes / 1e6;
    if (ext.ms <= 0.5) {
      console.log(`| ${s.name} | ${s.mbPerSec.median.toFixed(1)} MB/s (${(s.seconds.median * 1000).toFixed(1)} ms) | below hyperfine's resolution | | |`);
      continue;
    }
    const outside = mb / (ext.ms / 1000);
    const hxMs = s.seconds.median * 1000;
    const ratio = ext.ms / hxMs;
    // noise: the hx spread and hyperfine's stddev, relative, plus 5 ms of process jitter
    const tol = Math.max(0.1, s.seconds.spreadPct / 100, (ext.sd + 5) / hxMs);
    const verdict = Math.abs(ratio - 1) <= tol ? 'yes' : `no (tolerance ±${(tol * 100).toFixed(0)}%)`;
    console.log(`| ${s.name} | ${s.mbPerSec.median.toFixed(1)} MB/s (${hxMs.toFixed(0)} ms ±${s.seconds.spreadPct.toFixed(0)}%) | ${outside.toFixed(1)} MB/s (${ext.ms.toFixed(0)} ms ± ${ext.sd.toFixed(0)}) | ${ratio.toFixed(2)} | ${verdict} |`);
  }
  console.log(`\nMB = 10^6 bytes of the uncompressed tar (${(layer.uncompressedBytes / 1e6).toFixed(1)} MB, ${layer.entries.total} entries). Tolerance: the larger of 10%, the hx spread, and hyperfine's stddev (+5 ms of process jitter) relative to the hx median.`);
} finally {
  cleanup();
}
