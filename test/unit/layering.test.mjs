// The import direction of docs/ARCHITECTURE.md, checked on the sources: a module imports
// from its own folder and from floors below its own, never upward; the peers of floor 5
// (image, runtime, net) and of floor 7 (build, bench) do not import each other; cli/
// reaches the rest only through engine/; only sys/ touches FFI; no import cycles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { treeRoot } from '../lib/hx.mjs';

const SRC = join(treeRoot, 'src');
const FLOORS = {
  'errors.ts': 0,
  go: 0,
  moby: 0,
  sys: 1,
  host: 2,
  store: 3,
  layer: 4,
  image: 5,
  runtime: 5,
  net: 5,
  container: 6,
  build: 7,
  bench: 7,
  engine: 8,
  cli: 9,
  api: 9,
};

function files(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every relative import (static, dynamic, type-only) of FILE, as src-relative paths. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const found = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.\.?\/[^']+)'/g)) {
    const target = normalize(join(dirname(file), m[1])).replace(/\.js$/, '.ts');
    found.push(relative(SRC, target));
  }
  return found;
}

const top = (rel) => (rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : rel);
const all = files(SRC).map((f) => relative(SRC, f));

test('every module sits on a known floor', () => {
  const unknown = all.filter((f) => FLOORS[top(f)] === undefined);
  assert.equal(unknown, []);
});

test('imports point down (or stay in the folder); floor peers do not import each other', () => {
  const bad = [];
  for (const f of all) {
    const from = top(f);
    for (const t of importsOf(join(SRC, f))) {
      const to = top(t);
      if (to === from) continue;
      const a = FLOORS[from];
      const b = FLOORS[to];
      if (b === undefined) bad.push(`${f} -> ${t}: unknown floor`);
      else if (b > a) bad.push(`${f} -> ${t}: floor ${a} imports floor ${b}`);
      else if (b === a) bad.push(`${f} -> ${t}: peers on floor ${a}`);
    }
  }
  assert.equal(bad, []);
});

test('cli/ reaches the rest only through engine/ (and the floor-0 errors)', () => {
  const bad = [];
  for (const f of all.filter((x) => top(x) === 'cli')) {
    for (const t of importsOf(join(SRC, f))) if (!['cli', 'engine', 'errors.ts'].includes(top(t))) bad.push(`${f} -> ${t}`);
  }
  assert.equal(bad, []);
});

test('only sys/ loads koffi, Node-API addons or Wasm', () => {
  const bad = [];
  for (const f of all.filter((x) => top(x) !== 'sys')) {
    const text = readFileSync(join(SRC, f), 'utf8');
    if (/from 'koffi'|require\('koffi'\)|process\.dlopen|WebAssembly\./.test(text)) bad.push(f);
  }
  assert.equal(bad, []);
});

test('no module imports itself back through a cycle', () => {
  const graph = new Map(all.map((f) => [f, importsOf(join(SRC, f)).filter((t) => all.includes(t))]));
  const state = new Map();
  const cycles = [];
  const visit = (f, stack) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...stack.slice(stack.indexOf(f)), f].join(' -> '));
      return;
    }
    state.set(f, 'open');
    for (const t of graph.get(f) ?? []) visit(t, [...stack, f]);
    state.set(f, 'done');
  };
  for (const f of all) visit(f, []);
  assert.equal(cycles, []);
});

test.run();
