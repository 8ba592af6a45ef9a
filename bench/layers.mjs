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

  // 3. Each stage timed twice on the same bytes, close together in time (the machine is shared:
  //    its load changes from minute to minute): hx bench layers on the blob (its own timer),
  //    then the stage in fresh processes under hyperfine (1 run and 1+EXTRA runs per process:
  //    one run = the difference / EXTRA, so process start and the cold first run cancel out;
  //    the pipeline writes a fresh tree each time: one run per process minus a noop process),
  //    then hx bench layers again. The hx figure is the median of both hx runs.
  const stageCmd = (stage, count, extra = '') => `${process.execPath} ${join(root, 'bench/layer-stage.mjs')} ${stage} ${count} ${blobFile} ${tarFile}${extra}`;
  const hxStage = (id, n) => {
    const args = ['bench', 'layers', blobFile, '--stages', id, '-n', String(n), '--format', 'json', '--dir', work, '-q'];
    const x = spawnSync(hxBin, args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
    if (x.status !== 0) throw new Error(`hx ${args.join(' ')} failed (exit ${x.status})`);
    const l = JSON.parse(x.stdout).layers[0];
    if (l.diffId !== diffId) throw new Error('hx bench read another layer');
    return l.stages[0].seconds.samples.map((t) => t * 1000);
  };
  const med = (xs) => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const rows = [];
  for (const id of ['decompress', 'sha256-blob', 'sha256-tar', 'parse-ts', 'parse-wasm', 'compress', 'pipeline']) {
    const before = hxStage(id, id === 'pipeline' ? RUNS : 5);
    let ext;
    let how;
    if (id === 'pipeline') {
      const dir = join(work, 'ingest');
      const [noop, one] = hyperfine(
        [
          { name: 'noop', cmd: stageCmd('noop', 1, ` ${dir}`) },
          { name: 'pipeline', cmd: stageCmd('pipeline', 1, ` ${dir}`) },
        ],
        // the same untimed settling as hx bench: a fresh dir, and earlier deletions flushed
        { runs: RUNS, warmup: 0, prepare: `sh -c "rm -rf ${dir} ${dir}.blob && mkdir ${dir} && sync -f ${work}"` },
      );
      ext = { ms: one.median - noop.median, sd: one.stddev };
      how = 'one run per process minus a noop process';
    } else {
      // enough extra runs for about 2 s of stage work, so process noise shrinks by as much
      const extra = Math.max(4, Math.min(100, Math.ceil(2000 / Math.max(1, med(before)))));
      const [one, many] = hyperfine(
        [
          { name: `${id} x1`, cmd: stageCmd(id, 1) },
          { name: `${id} x${1 + extra}`, cmd: stageCmd(id, 1 + extra) },
        ],
        { runs: 5, warmup: 1 },
      );
      ext = { ms: (many.median - one.median) / extra, sd: Math.hypot(one.stddev, many.stddev) / extra };
      how = `(${1 + extra} runs - 1 run) / ${extra}`;
    }
    const after = hxStage(id, id === 'pipeline' ? RUNS : 5);
    const samples = [...before, ...after];
    rows.push({ id, name: layer.stages.find((x) => x.id === id)?.name ?? id, hxMs: med(samples), hxLo: Math.min(...samples), hxHi: Math.max(...samples), ext, how });
  }

  // 4. Report.
  console.log(`### \`hx bench layers --synthetic small-files --size ${SIZE} --compare -n ${RUNS}\`\n`);
  console.log('```');
  console.log(renderLayersText(result).trimEnd());
  console.log('```\n');
  console.log(`### The same stages, hx's own timer against an outside clock\n`);
  console.log(
    `Commands: \`hx bench layers layer.tar.gz --stages STAGE -n N --format json\` before and after ` +
      `\`hyperfine -N 'node bench/layer-stage.mjs STAGE 1 layer.tar.gz layer.tar' 'node bench/layer-stage.mjs STAGE 1+K ...'\` ` +
      `on the same bytes (diff_id ${diffId.slice(0, 19)}…, checked).\n`,
  );
  console.log('| stage | hx bench layers (median, min..max) | outside: hyperfine | how | outside / hx | within noise? |');
  console.log('|---|---:|---:|---|---:|---|');
  const mb = layer.uncompressedBytes / 1e6;
  for (const r of rows) {
    const hxRate = mb / (r.hxMs / 1000);
    if (r.ext.ms <= 0.5) {
      console.log(`| ${r.name} | ${hxRate.toFixed(1)} MB/s (${r.hxMs.toFixed(1)} ms) | below hyperfine's resolution | ${r.how} | | |`);
      continue;
    }
    const ratio = r.ext.ms / r.hxMs;
    // noise: the hx min..max and hyperfine's stddev, relative to the hx median; at least 10%
    const tol = Math.max(0.1, (r.hxHi - r.hxLo) / r.hxMs / 2, (r.ext.sd + 2) / r.hxMs);
    const verdict = Math.abs(ratio - 1) <= tol ? 'yes' : `no (tolerance ±${(tol * 100).toFixed(0)}%)`;
    console.log(
      `| ${r.name} | ${hxRate.toFixed(1)} MB/s (${r.hxMs.toFixed(0)} ms, ${r.hxLo.toFixed(0)}..${r.hxHi.toFixed(0)}) | ${(mb / (r.ext.ms / 1000)).toFixed(1)} MB/s (${r.ext.ms.toFixed(0)} ms ± ${r.ext.sd.toFixed(0)}) | ${r.how} | ${ratio.toFixed(2)} | ${verdict} |`,
    );
  }
  console.log(`\nMB = 10^6 bytes of the uncompressed tar (${mb.toFixed(1)} MB, ${layer.entries.total} entries). Tolerance: the larger of 10%, half the hx min..max range and hyperfine's stddev (+2 ms), relative to the hx median.`);
} finally {
  cleanup();
}
