// Issue 6: `hx bench run` as an unprivileged user: a small real run of hello-world (JSON
// against the documented schema, every phase but network reported), --compare against the
// installed engines, and bad input (missing image, a failing command, Ctrl-C): exit 125 (130
// for Ctrl-C), a clear message, no temporary files left.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, hxBin, need, removeTree, run, tempDir } from '../lib/hx.mjs';
import { checkRunResult } from '../unit/bench-schema-check.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');

const work = tempDir('hx-bench-run-e2e-');
const runtime = join(work, 'rt');
mkdirSync(runtime, { mode: 0o700 });
const env = { XDG_RUNTIME_DIR: runtime, HX_STORAGE_ROOT: join(work, 'store'), TMPDIR: '' };
const H = (args, o = {}) => hx(args, { ...o, env: { ...env, ...(o.env ?? {}) } });
const scratch = join(work, 'scratch');
mkdirSync(scratch);
const have = (p) => run('sh', ['-c', `command -v ${p}`]).code === 0;
// Start this test's namespace holder up front (what any earlier hx command does): the timed
// `hx run`s join it, as a user's would after their first command.
need(H(['unshare', '--', 'true']).code === 0, 'hx unshare works');

function assertClean() {
  assert.equal(readdirSync(scratch), [], 'temporary files left behind');
}

test('hello-world: total and phases, the JSON matches the schema, chart written', () => {
  const plot = join(work, 'run.svg');
  const r = H(['bench', 'run', '-n', '3', '--warmup', '1', '--format', 'json', '--plot', plot, '--dir', scratch]);
  assert.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.ok(checkRunResult(json));
  assert.is(json.system.mode, 'rootless');
  assert.is(json.system.storage.driver, 'overlay');
  const byId = Object.fromEntries(json.phases.map((p) => [p.id, p]));
  for (const id of ['launcher', 'node-start', 'store-lookup', 'mount', 'spawn', 'exec', 'teardown', 'exit']) assert.is(byId[id].status, 'ok', `${id}: ${byId[id].reason}`);
  assert.is(byId.network.status, 'missing');
  assert.match(readFileSync(plot, 'utf8'), /where the time goes/);
  assertClean();
});

test('text output: a table of phases with shares', () => {
  const r = H(['bench', 'run', '-n', '2', '--warmup', '0', '--dir', scratch, 'hello-world']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /start to exit: [\d.]+ ms median/);
  assert.match(r.stdout, /store lookup .* [\d.]+ ms +[\d.]+%/);
  assertClean();
});

test('--compare: every installed engine runs or says why it failed; ratios against hx', () => {
  const r = H(['bench', 'run', '-n', '2', '--warmup', '1', '--compare', '--format', 'json', '--dir', scratch]);
  assert.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.ok(checkRunResult(json));
  const ids = json.compare.map((c) => c.id);
  assert.equal(ids, ['podman-run-runc', 'podman-run', 'runc-run', 'crun-run']);
  for (const c of json.compare) {
    if (c.status === 'skipped') assert.match(c.reason, /not installed/);
    if (c.status === 'failed') assert.ok(c.reason.length > 0);
  }
  if (have('runc') && have('umoci') && have('skopeo')) {
    const runc = json.compare.find((c) => c.id === 'runc-run');
    assert.is(runc.status, 'ok', runc.reason);
    assert.ok(runc.ratio > 0);
  }
  if (have('podman') && have('runc')) {
    const p = json.compare.find((c) => c.id === 'podman-run-runc');
    assert.is(p.status, 'ok', p.reason);
  }
  // the image podman got for the bench is gone again
  if (have('podman')) assert.not.match(run('podman', ['images', '--format', '{{.Repository}}']).stdout, /hx-bench-run/);
  assertClean();
});

test('bad input: a missing image, before anything runs', () => {
  const r = H(['bench', 'run', '--dir', scratch, 'no-such-image:9']);
  assert.is(r.code, 125, r.stderr);
  assert.match(r.stderr, /^hx: No such image: no-such-image:9/);
  assertClean();
});

test('bad input: a command that fails in the container', () => {
  const r = H(['bench', 'run', '-n', '2', '--warmup', '0', '--dir', scratch, 'hello-world', '--', '/no/such/program']);
  assert.is(r.code, 125, r.stderr);
  assert.match(r.stderr, /hx: hx run --rm hello-world \/no\/such\/program exited 127/);
  assertClean();
});

test('bad usage', () => {
  const r = H(['bench', 'run', '-n', 'many', '--dir', scratch]);
  assert.is(r.code, 125);
  assert.match(r.stderr, /--iterations many: give a whole number/);
});

test('Ctrl-C: temp files removed, exit 130', async () => {
  const child = spawn(hxBin, ['bench', 'run', '-n', '10000', '--warmup', '0', '--dir', scratch], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let seen = false;
  for (let i = 0; i < 600 && !seen; i++) {
    await new Promise((r) => setTimeout(r, 50));
    seen = readdirSync(scratch).some((d) => {
      try {
        return readdirSync(join(scratch, d)).includes('phases.log');
      } catch {
        return false;
      }
    });
  }
  assert.ok(seen, `no run started: ${stderr}`);
  child.kill('SIGINT');
  const { code, signal } = await exited;
  assert.is(signal, null);
  assert.is(code, 130, stderr);
  assert.match(stderr, /interrupted \(SIGINT\); removing temporary files/);
  assertClean();
});

test.after(() => {
  let pid = 0;
  try {
    pid = Number(readFileSync(join(runtime, 'hx', 'holder.pid'), 'utf8').split(' ')[0]);
  } catch {}
  removeTree(work);
  if (pid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
});
test.run();
