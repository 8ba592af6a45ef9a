// Issue 6: the JSON of `hx bench layers` against docs/BENCH-JSON.md, from a real (small) run
// of the engine: every field type-checked, invariants hold, no undocumented field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLayersResult, documentedPaths, fieldPaths } from './bench-schema-check.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'hx-bench-unit-'));
process.env.HX_STORAGE_ROOT = join(work, 'store');
const { Engine } = await import('../../dist/engine/index.js');
const benchEngine = new Engine();
const benchLayers = (o, hooks) => benchEngine.bench.layers(o, hooks);

// Stages that write no files with other owners (unit tests run as any user, outside the
// namespace); `diff` gives a skipped stage; --compare runs the peers of these stages.
const STAGES = ['decompress', 'sha256-blob', 'sha256-tar', 'parse-ts', 'parse-wasm', 'whiteouts-ts', 'whiteouts-wasm', 'blob-copy', 'diff', 'compress'];
const runDir = join(work, 'run');
(await import('node:fs')).mkdirSync(runDir);
const events = [];
const result = await benchLayers(
  { synthetic: 'mixed', size: 3 << 20, iterations: 2, compare: true, stages: STAGES, dir: runDir },
  { onEvent: (e) => events.push(e) },
);
const json = JSON.parse(JSON.stringify(result));

test('the output passes the documented schema', () => {
  assert.ok(checkLayersResult(json));
});

test('every field in the output is documented in docs/BENCH-JSON.md', () => {
  const documented = documentedPaths(join(root, 'docs', 'BENCH-JSON.md'));
  const undocumented = [...fieldPaths(json)].filter((p) => !documented.has(p));
  assert.equal(undocumented, []);
  // and the check can fail: a field the document does not name is caught
  assert.ok(fieldPaths({ ...json, surprise: 1 }).has('surprise') && !documented.has('surprise'));
});

test('the checker rejects broken output', () => {
  const broken = structuredClone(json);
  broken.layers[0].stages[0].seconds.median = broken.layers[0].stages[0].seconds.max + 1;
  assert.throws(() => checkLayersResult(broken), /min .* <= median/);
  const noRatio = structuredClone(json);
  const peer = noRatio.layers[0].compare.find((c) => c.status === 'ok');
  peer.ratio *= 2;
  assert.throws(() => checkLayersResult(noRatio), /ratio/);
});

test('the run holds what was asked: stages in order, a skipped stage, peers with ratios', () => {
  const layer = json.layers[0];
  assert.equal(layer.stages.map((s) => s.id), STAGES);
  const diff = layer.stages.find((s) => s.id === 'diff');
  assert.is(diff.status, 'skipped');
  for (const s of layer.stages.filter((x) => x.id !== 'diff')) assert.is(s.status, 'ok', `${s.id}: ${s.reason}`);
  assert.is(json.input.synthetic.size, 3 << 20);
  assert.ok(layer.uncompressedBytes > 3 << 20, 'the tar holds the data plus headers');
  assert.ok(layer.compressedBytes < layer.uncompressedBytes);
  // sha256sum is part of coreutils, present wherever these tests run
  const sum = layer.compare.find((c) => c.id === 'sha256sum-blob');
  assert.is(sum.status, 'ok', sum.reason);
  // peers whose hx stage was not selected are not listed at all
  assert.not.ok(layer.compare.some((c) => c.versus === 'write' || c.versus === 'pipeline'));
});

test('progress events count up to their total', () => {
  const progress = events.filter((e) => e.type === 'progress' && e.what !== 'generating the layer');
  assert.ok(progress.length > 0);
  const last = progress[progress.length - 1];
  assert.is(last.done, last.total);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].done >= progress[i - 1].done);
});

test('the temp dir is gone afterwards', () => {
  assert.equal(readdirSync(runDir), []);
});

test('same profile, size and seed: same digest; another seed: another digest', async () => {
  const again = await benchLayers({ synthetic: 'mixed', size: 3 << 20, iterations: 1, stages: ['sha256-tar'], dir: runDir });
  assert.is(again.layers[0].digest, json.layers[0].digest);
  assert.is(again.layers[0].diffId, json.layers[0].diffId);
  const other = await benchLayers({ synthetic: 'mixed', size: 3 << 20, seed: 2, iterations: 1, stages: ['sha256-tar'], dir: runDir });
  assert.is.not(other.layers[0].diffId, json.layers[0].diffId);
});

test('a layer over the memory budget: stages read files, same digests, same results', async () => {
  const src = join(work, 'big.tar.gz');
  // a layer file as input (gzip): the uncompressed tar goes to a file in the work dir
  const { planSynthetic, syntheticTarChunks } = await import('../../dist/bench/synthetic.js');
  const { gzipSync } = await import('node:zlib');
  const parts = [];
  for (const c of syntheticTarChunks(planSynthetic({ profile: 'mixed', size: 3 << 20, seed: 1 }))) parts.push(Buffer.from(c));
  (await import('node:fs')).writeFileSync(src, gzipSync(Buffer.concat(parts)));
  process.env.HX_BENCH_MEMORY = String(1 << 20);
  try {
    const r = await benchLayers({ input: src, iterations: 1, stages: ['decompress', 'sha256-blob', 'sha256-tar', 'parse-ts', 'parse-wasm', 'compress'], dir: runDir });
    const l = r.layers[0];
    assert.is(l.inputFrom, 'file');
    assert.is(l.diffId, json.layers[0].diffId);
    for (const s of l.stages) assert.is(s.status, 'ok', `${s.id}: ${s.reason}`);
    assert.match(r.notes.join('\n'), /over the memory budget/);
  } finally {
    delete process.env.HX_BENCH_MEMORY;
  }
  assert.equal(readdirSync(runDir), []);
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
