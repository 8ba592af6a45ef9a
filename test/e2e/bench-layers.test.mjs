// Issue 6: `hx bench layers` as an unprivileged user: a real small run (JSON against the
// documented schema, every stage and installed peer ran, chart written), image input, and bad
// input (missing image, missing/unreadable/non-tar files, a size the disk cannot hold, Ctrl-C):
// exit 125 (130 for Ctrl-C), a clear message, and no temporary files left behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { hx, hxBin, need, removeTree, run, tempDir } from '../lib/hx.mjs';
import { buildLayout } from '../lib/oci-build.mjs';
import { checkLayersResult } from '../unit/bench-schema-check.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');

const work = tempDir('hx-bench-e2e-');
const runtime = join(work, 'rt');
mkdirSync(runtime, { mode: 0o700 });
const store = join(work, 'store');
const env = { XDG_RUNTIME_DIR: runtime, HX_STORAGE_ROOT: store, TMPDIR: '' };
const H = (args, o = {}) => hx(args, { ...o, env: { ...env, ...(o.env ?? {}) } });
const scratch = join(work, 'scratch');
mkdirSync(scratch);

const have = (p) => run('sh', ['-c', `command -v ${p}`]).code === 0;

/** The work dir holds nothing after a command (the bench's temp dir is gone). */
function assertClean(dir = scratch) {
  assert.equal(readdirSync(dir), [], `left behind in ${dir}`);
}

function failsCleanly(args, message) {
  const r = H(['bench', 'layers', '--dir', scratch, ...args]);
  assert.is(r.code, 125, `exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.match(r.stderr, /^hx: /);
  assertClean();
  return r;
}

test('a small synthetic run: every stage and installed peer runs, JSON matches the schema, chart written', () => {
  const plot = join(work, 'chart.svg');
  const r = H(['bench', 'layers', '--synthetic', 'small-files', '--size', '2M', '-n', '2', '--compare', '--format', 'json', '--plot', plot, '--dir', scratch]);
  assert.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.ok(checkLayersResult(json));
  assert.is(json.system.mode, 'rootless');
  assert.is(json.system.workDir.filesystem.length > 0, true);
  const layer = json.layers[0];
  for (const s of layer.stages) {
    if (s.id === 'diff') assert.is(s.status, 'skipped');
    else assert.is(s.status, 'ok', `${s.id}: ${s.reason}`);
  }
  // the layer was written with its owners inside the namespace (uid 1000 files exist in small-files)
  assert.ok(layer.entries.whiteouts > 0 && layer.entries.opaques === 1);
  for (const c of layer.compare) {
    const installed = { 'gnu-tar': 'tar', gzip: 'gzip', 'gzip/zstd': 'gzip', sha256sum: 'sha256sum', umoci: 'umoci', skopeo: 'skopeo' }[c.peer];
    if (have(installed)) assert.is(c.status, 'ok', `${c.id}: ${c.reason}`);
    else assert.is(c.status, 'skipped');
  }
  const svg = readFileSync(plot, 'utf8');
  assert.match(svg, /^<\?xml[^>]*>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /whole ingest pipeline/);
  assertClean();
});

test('the default work dir is the store\'s tmp/, emptied afterwards; text output names machine and storage', () => {
  const r = H(['bench', 'layers', '--synthetic', 'large-files', '--size', '9M', '-n', '1', '--stages', 'sha256-tar,write']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /machine: .+logical CPUs/);
  assert.match(r.stdout, /storage: rootless, driver \w+/);
  assert.match(r.stdout, /write to disk .* \d[\d,.]* +±/);
  assert.equal(readdirSync(join(store, 'tmp')), []);
});

test('an image in the store: one result per layer, digests as loaded', () => {
  const layout = join(work, 'layout');
  const built = buildLayout(layout, [{ tag: 'two', layers: [{ 'etc/a': 'a', 'bin/x': 'x'.repeat(5000) }, { 'etc/b': 'b', 'etc/.wh.a': '' }] }]);
  const load = H(['load', '-i', layout]);
  assert.is(load.code, 0, load.stderr);
  const id = /sha256:([0-9a-f]{64})/.exec(load.stdout)?.[1] ?? H(['images', '-q']).stdout.trim().split('\n')[0];
  const r = H(['bench', 'layers', id, '-n', '1', '--stages', 'sha256-blob,sha256-tar,parse-ts,write', '--format', 'json', '--dir', scratch]);
  assert.is(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.ok(checkLayersResult(json));
  assert.is(json.input.kind, 'image');
  assert.equal(json.layers.map((l) => l.digest), built.two.layers.map((l) => l.digest));
  assert.equal(json.layers.map((l) => l.diffId), built.two.layers.map((l) => l.diffId));
  assert.is(json.layers[1].entries.whiteouts, 1);
  assertClean();
});

test('a layer file (.tar.gz and plain .tar)', () => {
  const tarFile = join(work, 'layer.tar');
  const r0 = run('tar', ['-C', '/usr/share/doc', '-cf', tarFile, 'coreutils']);
  assert.is(r0.code, 0, r0.stderr);
  writeFileSync(`${tarFile}.gz`, gzipSync(readFileSync(tarFile)));
  for (const f of [`${tarFile}.gz`, tarFile]) {
    const r = H(['bench', 'layers', f, '-n', '1', '--stages', 'decompress,parse-wasm', '--format', 'json', '--dir', scratch]);
    assert.is(r.code, 0, r.stderr);
    const l = JSON.parse(r.stdout).layers[0];
    assert.is(l.compression, f.endsWith('.gz') ? 'gzip' : 'none');
    assert.is(l.stages[0].status, f.endsWith('.gz') ? 'ok' : 'skipped');
    assert.is(l.stages[1].status, 'ok');
  }
  assertClean();
});

test('bad input: a missing image', () => {
  failsCleanly(['no-such-image:1'], /No such image: no-such-image:1/);
});

test('bad input: a missing file, a directory, a file that is not a layer', () => {
  failsCleanly([join(work, 'nope.tar.gz')], /open .*nope\.tar\.gz: no such file or directory/);
  failsCleanly([work], /is a directory, not a layer tar/);
  const junk = join(work, 'junk.tar');
  writeFileSync(junk, Buffer.alloc(3000, 7));
  failsCleanly([junk], /junk\.tar is not a usable layer: /);
  const badGz = join(work, 'bad.tar.gz');
  writeFileSync(badGz, Buffer.concat([gzipSync(Buffer.alloc(1 << 20)).subarray(0, 200)]));
  failsCleanly([badGz], /bad\.tar\.gz is not a usable layer/);
});

test('bad input: an unreadable file', () => {
  // Owned by real root, so not even the namespace's root can read it (its owner is unmapped).
  let unreadable = false;
  try {
    accessSync('/etc/shadow', constants.R_OK);
  } catch {
    unreadable = true;
  }
  need(unreadable && existsSync('/etc/shadow'), '/etc/shadow exists and this user cannot read it');
  failsCleanly(['/etc/shadow'], /cannot read \/etc\/shadow: permission denied/);
});

test('bad input: a size that does not fit the free space of the work dir, refused before writing', () => {
  const st = statfsSync(scratch);
  const free = st.bavail * st.bsize;
  const size = `${Math.ceil(free / 1024 ** 2) + 1024}M`;
  const r = failsCleanly(['--synthetic', 'large-files', '--size', size], /needs about .* in .*scratch, but only .* is free there/);
  assert.match(r.stderr, /hint: .*--dir/);
});

test('bad usage: exit 125 with a hint', () => {
  failsCleanly([], /nothing to measure/);
  failsCleanly(['--synthetic', 'huge-files'], /unknown synthetic profile "huge-files"/);
  failsCleanly(['--synthetic', 'mixed', '--size', 'lots'], /--size lots: give a size like 128M/);
  failsCleanly(['--synthetic', 'mixed', '--stages', 'decompress,nope'], /unknown stage\(s\): nope/);
  const r = H(['bench', 'layers', '--synthetic', 'mixed', '--dir', join(work, 'no-such-dir')]);
  assert.is(r.code, 125);
  assert.match(r.stderr, /--dir .*no-such-dir: no such directory/);
});

/** Start a bench, wait until PATH_RE shows up in its temp dir, send SIGINT, and expect a clean exit. */
async function interruptWhen(args, pathRe) {
  const child = spawn(hxBin, ['bench', 'layers', '--dir', scratch, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 120_000;
  let seen = false;
  while (!seen && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    for (const d of readdirSync(scratch)) {
      try {
        if (readdirSync(join(scratch, d)).some((n) => pathRe.test(n))) seen = true;
      } catch {}
    }
  }
  assert.ok(seen, `the bench never reached ${pathRe}: ${stderr}`);
  child.kill('SIGINT');
  const { code, signal } = await exited;
  assert.is(signal, null, 'hx handled the signal');
  assert.is(code, 130, stderr);
  assert.match(stderr, /interrupted \(SIGINT\); removing temporary files/);
  assertClean();
}

test('Ctrl-C while the synthetic layer is generated or measured: temp files removed, exit 130', async () => {
  await interruptWhen(['--synthetic', 'small-files', '--size', '48M', '-n', '3'], /^layer-0\.tar/);
});

test('Ctrl-C while a peer program runs: it is stopped and its files removed too', async () => {
  need(have('tar'), 'GNU tar is installed');
  await interruptWhen(['--synthetic', 'small-files', '--size', '6M', '-n', '3', '--compare', '--stages', 'sha256-tar,write'], /^peer-tar-x-/);
  const left = run('pgrep', ['-u', String(process.getuid()), '-f', `tar -xf ${scratch}`]);
  assert.is(left.stdout.trim(), '', 'no tar left running');
});

test('kill -9 midway: the next bench in the same --dir removes what it left', async () => {
  const child = spawn(hxBin, ['bench', 'layers', '--dir', scratch, '--synthetic', 'small-files', '--size', '32M'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let seen = false;
  for (let i = 0; i < 2400 && !seen; i++) {
    await new Promise((r) => setTimeout(r, 50));
    seen = readdirSync(scratch).some((d) => {
      try {
        return readdirSync(join(scratch, d)).includes('layer-0.tar');
      } catch {
        return false;
      }
    });
  }
  assert.ok(seen, 'the bench never wrote its layer');
  child.kill('SIGKILL');
  await exited;
  assert.is(readdirSync(scratch).length, 1, 'SIGKILL leaves the temp dir (no handler runs)');
  const r = H(['bench', 'layers', '--dir', scratch, '--synthetic', 'mixed', '--size', '1M', '-n', '1', '--stages', 'sha256-tar']);
  assert.is(r.code, 0, r.stderr);
  assertClean();
});

test.after(() => {
  const pid = Number(readFileSync(join(runtime, 'hx', 'holder.pid'), 'utf8').split(' ')[0]);
  removeTree(work);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
});
test.run();
