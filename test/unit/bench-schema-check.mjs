// The checker behind docs/BENCH-JSON.md: structural checks of `hx bench` JSON (types,
// required fields, invariants), and the list of field paths an object holds, so a test can
// fail when the output has a field the document does not describe. Used by unit and e2e tests.
import { readFileSync } from 'node:fs';

function fail(path, what) {
  throw new Error(`bench JSON: ${path}: ${what}`);
}

const is = {
  str: (v) => typeof v === 'string',
  num: (v) => typeof v === 'number' && Number.isFinite(v),
  int: (v) => Number.isInteger(v),
  bool: (v) => typeof v === 'boolean',
  arr: Array.isArray,
  obj: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
};

function need(o, path, key, type, opt = false) {
  const v = o[key];
  if (v === undefined) {
    if (opt) return undefined;
    fail(`${path}.${key}`, 'missing');
  }
  if (!is[type](v)) fail(`${path}.${key}`, `expected ${type}, got ${JSON.stringify(v)?.slice(0, 80)}`);
  return v;
}

function oneOf(o, path, key, values, opt = false) {
  const v = o[key];
  if (v === undefined && opt) return undefined;
  if (!values.includes(v)) fail(`${path}.${key}`, `expected one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

export function checkSummary(s, path) {
  if (!is.obj(s)) fail(path, 'expected an object');
  const n = need(s, path, 'n', 'int');
  for (const k of ['median', 'min', 'max', 'mean', 'stddev', 'spreadPct']) need(s, path, k, 'num');
  const samples = need(s, path, 'samples', 'arr');
  if (samples.length !== n || n < 1) fail(`${path}.samples`, `${samples.length} samples but n = ${n}`);
  for (const x of samples) if (!is.num(x) || x < 0) fail(`${path}.samples`, `bad sample ${x}`);
  if (!(s.min <= s.median && s.median <= s.max)) fail(path, `min ${s.min} <= median ${s.median} <= max ${s.max} does not hold`);
  if (Math.min(...samples) !== s.min || Math.max(...samples) !== s.max) fail(path, 'min/max are not those of the samples');
  if (s.stddev < 0 || s.spreadPct < 0) fail(path, 'negative spread');
}

function checkRate(r, path, amount, seconds) {
  if (!is.obj(r)) fail(path, 'expected an object');
  for (const k of ['median', 'min', 'max']) need(r, path, k, 'num');
  const close = (a, b) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
  if (!close(r.median, amount / seconds.median)) fail(`${path}.median`, `${r.median} is not ${amount} / ${seconds.median}`);
  if (!close(r.min, amount / seconds.max) || !close(r.max, amount / seconds.min)) fail(path, 'min/max do not follow the slowest/fastest sample');
}

export function checkSystem(s, path = 'system') {
  if (!is.obj(s)) fail(path, 'missing');
  const cpu = need(s, path, 'cpu', 'obj');
  need(cpu, `${path}.cpu`, 'model', 'str');
  if (need(cpu, `${path}.cpu`, 'logicalCpus', 'int') < 1) fail(`${path}.cpu.logicalCpus`, 'must be >= 1');
  need(cpu, `${path}.cpu`, 'physicalCores', 'int', true);
  need(cpu, `${path}.cpu`, 'shaExtensions', 'bool');
  need(s, path, 'kernel', 'str');
  need(s, path, 'node', 'str');
  oneOf(s, path, 'mode', ['rootless', 'rootful']);
  const st = need(s, path, 'storage', 'obj');
  for (const k of ['driver', 'reason', 'root']) need(st, `${path}.storage`, k, 'str');
  const wd = need(s, path, 'workDir', 'obj');
  need(wd, `${path}.workDir`, 'path', 'str');
  need(wd, `${path}.workDir`, 'filesystem', 'str');
  need(wd, `${path}.workDir`, 'freeBytes', 'int');
}

const STATUS = ['ok', 'skipped', 'failed'];

export function checkLayersResult(r) {
  if (!is.obj(r)) fail('', 'not an object');
  oneOf(r, '', 'schema', ['hx-bench-layers/1']);
  need(r, '', 'hxVersion', 'str');
  if (Number.isNaN(Date.parse(need(r, '', 'date', 'str')))) fail('date', 'not a date');
  checkSystem(r.system);
  const input = need(r, '', 'input', 'obj');
  oneOf(input, 'input', 'kind', ['synthetic', 'file', 'image']);
  need(input, 'input', 'name', 'str');
  const syn = need(input, 'input', 'synthetic', 'obj', true);
  if (input.kind === 'synthetic' && !syn) fail('input.synthetic', 'missing for a synthetic input');
  if (syn) {
    oneOf(syn, 'input.synthetic', 'profile', ['small-files', 'large-files', 'mixed']);
    need(syn, 'input.synthetic', 'size', 'int');
    need(syn, 'input.synthetic', 'seed', 'int');
  }
  const iterations = need(r, '', 'iterations', 'int');
  for (const n of need(r, '', 'notes', 'arr')) if (!is.str(n)) fail('notes', 'not a string');
  const layers = need(r, '', 'layers', 'arr');
  if (layers.length < 1) fail('layers', 'empty');
  layers.forEach((l, i) => {
    const p = `layers[${i}]`;
    if (need(l, p, 'index', 'int') !== i) fail(`${p}.index`, 'out of order');
    need(l, p, 'label', 'str');
    oneOf(l, p, 'compression', ['gzip', 'zstd', 'none']);
    for (const k of ['digest', 'diffId']) if (!/^sha256:[a-f0-9]{64}$/.test(need(l, p, k, 'str'))) fail(`${p}.${k}`, 'not a sha256 digest');
    const compressed = need(l, p, 'compressedBytes', 'int');
    const bytes = need(l, p, 'uncompressedBytes', 'int');
    if (l.compression === 'none' && compressed !== bytes) fail(p, 'an uncompressed layer with two sizes');
    oneOf(l, p, 'inputFrom', ['memory', 'file']);
    const e = need(l, p, 'entries', 'obj');
    let parts = 0;
    for (const k of ['files', 'dirs', 'symlinks', 'hardlinks', 'whiteouts', 'opaques', 'other']) parts += need(e, `${p}.entries`, k, 'int');
    if (parts !== need(e, `${p}.entries`, 'total', 'int')) fail(`${p}.entries`, `kinds add up to ${parts}, total ${e.total}`);
    const stages = need(l, p, 'stages', 'arr');
    const ids = new Set();
    stages.forEach((s, j) => {
      const q = `${p}.stages[${j}]`;
      ids.add(need(s, q, 'id', 'str'));
      need(s, q, 'name', 'str');
      oneOf(s, q, 'group', ['unpack', 'pack', 'pipeline']);
      need(s, q, 'via', 'str');
      const status = oneOf(s, q, 'status', STATUS);
      if (status !== 'ok') {
        need(s, q, 'reason', 'str');
        for (const k of ['seconds', 'mbPerSec', 'entriesPerSec']) if (s[k] !== undefined) fail(`${q}.${k}`, `present on a ${status} stage`);
        return;
      }
      if (need(s, q, 'bytes', 'int') !== bytes) fail(`${q}.bytes`, 'is not the layer size');
      need(s, q, 'inputBytes', 'int');
      const entries = need(s, q, 'entries', 'int');
      need(s, q, 'warmup', 'int');
      checkSummary(s.seconds, `${q}.seconds`);
      if (s.seconds.n !== iterations) fail(`${q}.seconds.n`, `${s.seconds.n} runs, iterations ${iterations}`);
      checkRate(s.mbPerSec, `${q}.mbPerSec`, bytes / 1e6, s.seconds);
      checkRate(s.entriesPerSec, `${q}.entriesPerSec`, entries, s.seconds);
    });
    const compare = need(l, p, 'compare', 'arr');
    if (compare.length) need(l, p, 'spawnOverheadSeconds', 'num');
    compare.forEach((c, j) => {
      const q = `${p}.compare[${j}]`;
      for (const k of ['id', 'peer', 'name', 'command', 'versus']) need(c, q, k, 'str');
      if (!ids.has(c.versus)) fail(`${q}.versus`, `names no stage of this layer: ${c.versus}`);
      const status = oneOf(c, q, 'status', STATUS);
      if (status !== 'ok') {
        need(c, q, 'reason', 'str');
        return;
      }
      if (!c.command) fail(`${q}.command`, 'empty for a peer that ran');
      checkSummary(c.seconds, `${q}.seconds`);
      checkRate(c.mbPerSec, `${q}.mbPerSec`, bytes / 1e6, c.seconds);
      const hx = stages.find((s) => s.id === c.versus);
      if (hx.status !== 'ok') fail(q, 'ran against a stage that did not');
      const ratio = need(c, q, 'ratio', 'num');
      if (Math.abs(ratio - c.seconds.median / hx.seconds.median) > 1e-9 * ratio) fail(`${q}.ratio`, 'is not peer median / hx median');
    });
  });
  return true;
}

/** Every field path in V: objects by key, arrays as []; the contents of samples/notes arrays are not paths. */
export function fieldPaths(v, prefix = '', out = new Set()) {
  if (Array.isArray(v)) {
    for (const x of v) if (x !== null && typeof x === 'object') fieldPaths(x, `${prefix}[]`, out);
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.add(p);
      fieldPaths(x, p, out);
    }
  }
  return out;
}

/**
 * The paths docs/BENCH-JSON.md documents: the backticked first cell of each table row, with the
 * shared shapes (Summary, Rate, System) expanded where a row's type names them.
 */
export function documentedPaths(markdownFile) {
  const text = readFileSync(markdownFile, 'utf8');
  const rows = [...text.matchAll(/^\| `([^`]+)` \| ([^|]*)\|/gm)].map((m) => ({ path: m[1], type: m[2].trim() }));
  const sections = text.split(/^## /m);
  const shapeRows = (title) => {
    const sec = sections.find((s) => s.startsWith('Shared shapes')) ?? '';
    const part = sec.split(/^A \*\*/m).find((s) => s.startsWith(`${title}**`)) ?? '';
    return [...part.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
  };
  const summary = shapeRows('Summary');
  const rate = shapeRows('Rate');
  const system = shapeRows('System');
  const out = new Set();
  const add = (path) => {
    // a dotted path documents its parents too
    const parts = path.split('.');
    for (let i = 1; i <= parts.length; i++) out.add(parts.slice(0, i).join('.'));
  };
  for (const { path, type } of rows) {
    add(path);
    const expand = /^Summary/.test(type) ? summary : /^Rate/.test(type) ? rate : /^System/.test(type) ? system : [];
    for (const sub of expand) add(`${path}.${sub}`);
  }
  return out;
}

export function checkRunResult(r) {
  if (!is.obj(r)) fail('', 'not an object');
  oneOf(r, '', 'schema', ['hx-bench-run/1']);
  need(r, '', 'hxVersion', 'str');
  if (Number.isNaN(Date.parse(need(r, '', 'date', 'str')))) fail('date', 'not a date');
  checkSystem(r.system);
  need(r, '', 'image', 'str');
  for (const a of need(r, '', 'command', 'arr')) if (!is.str(a)) fail('command', 'not a string');
  const iterations = need(r, '', 'iterations', 'int');
  need(r, '', 'warmup', 'int');
  for (const n of need(r, '', 'notes', 'arr')) if (!is.str(n)) fail('notes', 'not a string');
  const total = need(r, '', 'total', 'obj');
  checkSummary(total.ms, 'total.ms');
  if (total.ms.n !== iterations) fail('total.ms.n', 'is not iterations');
  const ids = ['launcher', 'node-start', 'store-lookup', 'mount', 'network', 'spawn', 'exec', 'teardown', 'exit', 'other'];
  const phases = need(r, '', 'phases', 'arr');
  let sum = 0;
  phases.forEach((p, i) => {
    const q = `phases[${i}]`;
    if (!ids.includes(need(p, q, 'id', 'str'))) fail(`${q}.id`, `unknown phase ${p.id}`);
    need(p, q, 'name', 'str');
    const status = oneOf(p, q, 'status', ['ok', 'missing']);
    if (status === 'missing') {
      need(p, q, 'reason', 'str');
      if (p.ms !== undefined) fail(`${q}.ms`, 'present on a missing phase');
      return;
    }
    checkSummary(p.ms, `${q}.ms`);
    if (p.ms.n !== iterations) fail(`${q}.ms.n`, 'is not iterations');
    need(p, q, 'share', 'num');
    for (let k = 0; k < iterations; k++) if (p.ms.samples[k] > total.ms.samples[k] + 1e-6) fail(q, `longer than the whole run ${k}`);
    sum += p.ms.median;
  });
  if (phases.some((p) => p.status === 'ok' && p.id === 'other')) {
    // phases with 'other' cover each run whole: their medians add up to about the total median
    if (Math.abs(sum - total.ms.median) > 0.5 * total.ms.median) fail('phases', `medians add up to ${sum}, total ${total.ms.median}`);
  }
  const compare = need(r, '', 'compare', 'arr');
  compare.forEach((c, i) => {
    const q = `compare[${i}]`;
    for (const k of ['id', 'name', 'command']) need(c, q, k, 'str');
    const status = oneOf(c, q, 'status', STATUS);
    if (status !== 'ok') {
      need(c, q, 'reason', 'str');
      return;
    }
    checkSummary(c.ms, `${q}.ms`);
    const ratio = need(c, q, 'ratio', 'num');
    if (Math.abs(ratio - c.ms.median / total.ms.median) > 1e-9 * ratio) fail(`${q}.ratio`, 'is not peer median / hx median');
  });
  return true;
}
