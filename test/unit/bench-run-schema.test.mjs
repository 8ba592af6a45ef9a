// Issue 6: the JSON of `hx bench run` against docs/BENCH-JSON.md, from a real (small) run of
// the engine on the built-in hello-world: every field checked, every field documented, the
// phases cover the run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeTree } from '../lib/hx.mjs';
import { checkRunResult, documentedPaths, fieldPaths } from './bench-schema-check.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'hx-bench-run-unit-'));
process.env.HX_STORAGE_ROOT = join(work, 'store');
process.env.XDG_RUNTIME_DIR = join(work, 'xdg');
mkdirSync(process.env.XDG_RUNTIME_DIR, { mode: 0o700 });
const runDir = join(work, 'run');
mkdirSync(runDir);
const { Engine } = await import('../../dist/engine/index.js');
const benchEngine = new Engine();
const benchRun = (o, hooks) => benchEngine.bench.run(o, hooks);
const json = JSON.parse(JSON.stringify(await benchRun({ iterations: 2, warmup: 1, dir: runDir })));

test('the output passes the documented schema', () => {
  assert.ok(checkRunResult(json));
  assert.is(json.image, 'hello-world');
});

test('every field is documented in docs/BENCH-JSON.md', () => {
  const documented = documentedPaths(join(root, 'docs', 'BENCH-JSON.md'));
  assert.equal([...fieldPaths(json)].filter((p) => !documented.has(p)), []);
});

test('the run path reports its phases; network is missing with a reason', () => {
  const byId = Object.fromEntries(json.phases.map((p) => [p.id, p]));
  for (const id of ['launcher', 'node-start', 'store-lookup', 'mount', 'spawn', 'exec', 'teardown', 'exit']) assert.is(byId[id].status, 'ok', `${id}: ${byId[id].reason}`);
  assert.is(byId.network.status, 'missing');
  assert.match(byId.network.reason, /network/);
});

test('the temp dir is gone afterwards', () => {
  assert.equal(readdirSync(runDir), []);
});

test.after(() => {
  // Layers of a rootless store belong to subordinate ids: remove them from inside the
  // namespace (while this test's holder lives), then stop that holder.
  const pidFile = join(process.env.XDG_RUNTIME_DIR, 'hx', 'holder.pid');
  let pid = 0;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').split(' ')[0]);
  } catch {}
  removeTree(work);
  if (pid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  rmSync(work, { recursive: true, force: true });
});
test.run();
