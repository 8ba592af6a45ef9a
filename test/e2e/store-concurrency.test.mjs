// Many commands at once on one store (issue 9, item 4): every round, a fresh store gets
// the image to run, then 64 processes start together, a mix of `hx load -i ARCHIVE` (a
// new image sharing the base layer, and the run image again) and `hx run --rm --network
// none IMAGE true`. Every command must succeed; afterwards `hx images` lists both images,
// `hx system check` finds nothing, and no container or temp entry is left.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hx, hxBin, need, removeTree, tempDir } from '../lib/hx.mjs';
import { buildLayout, haveTools, skopeoCopy } from '../lib/image-fixtures.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
need(haveTools('umoci', 'skopeo'), 'umoci and skopeo are installed');

const PROCESSES = Number(process.env.HX_STRESS_PROCESSES || 64);
const ROUNDS = Number(process.env.HX_STRESS_ROUNDS || 10);
const COMMAND_TIMEOUT_MS = 180_000;

const work = tempDir('hx-stress-');
const fx = join(work, 'fx');
const busybox = {
  'bin/busybox': { copy: '/bin/busybox', mode: 0o755 },
  'bin/sh': { symlink: 'busybox' },
  'bin/true': { symlink: 'busybox' },
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
  'etc/group': 'root:x:0:\n',
};
const layout = buildLayout(fx, 'run', [busybox], ['true']);
buildLayout(fx, 'load', [busybox, { 'srv/data': 'loaded' }], ['true']);
const runArchive = join(fx, 'run.tar');
const loadArchive = join(fx, 'load.tar');
skopeoCopy(`oci:${layout}:run`, `docker-archive:${runArchive}:localhost/stress-run:1`);
skopeoCopy(`oci:${layout}:load`, `docker-archive:${loadArchive}:localhost/stress-load:1`);

/** hx in the background with a time limit; resolves { code, signal, stderr, ms }. */
function hxBackground(args, env) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(hxBin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], timeout: COMMAND_TIMEOUT_MS, killSignal: 'SIGKILL' });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ args, code, signal, stderr, ms: Date.now() - t0 }));
  });
}

function commandFor(i) {
  if (i % 4 === 1) return ['load', '-i', loadArchive];
  if (i % 4 === 3) return ['load', '-i', runArchive];
  return ['run', '--rm', '--network', 'none', 'localhost/stress-run:1', 'true'];
}

test(`${PROCESSES} loads and runs at once on a fresh store, ${ROUNDS} rounds: all succeed, the store checks clean`, async () => {
  const timings = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const store = join(work, `store-${round}`);
    const env = { HX_STORAGE_ROOT: store };
    const seed = hx(['load', '-i', runArchive], { env });
    assert.is(seed.code, 0, seed.stderr);

    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => hxBackground(commandFor(i), env)));
    const burst = Date.now() - t0;
    const failed = results.filter((r) => r.code !== 0);
    assert.equal(failed.map((r) => `${r.args.join(' ')}: exit ${r.code ?? r.signal} ${r.stderr.trim()}`), [], `round ${round}`);

    const images = hx(['images', '--format', 'json'], { env });
    assert.is(images.code, 0, images.stderr);
    const names = images.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((r) => `${r.Repository}:${r.Tag}`);
    assert.equal(names.sort(), ['localhost/stress-load:1', 'localhost/stress-run:1'], `round ${round}: hx images`);
    const check = hx(['system', 'check'], { env });
    assert.is(check.code, 0, `round ${round}: hx system check:\n${check.stdout}${check.stderr}`);
    assert.match(check.stdout, /No problems .*\(2 images, 2 layers,/);
    assert.equal(readdirSync(join(store, 'containers')), [], `round ${round}: --rm left no container`);
    assert.equal(readdirSync(join(store, 'tmp')), [], `round ${round}: no temp entry is left`);
    timings.push({ burst, slowest: Math.max(...results.map((r) => r.ms)) });
    removeTree(store);
  }
  const bursts = timings.map((t) => t.burst);
  console.log(`  ${PROCESSES} commands x ${ROUNDS} rounds: burst ${Math.min(...bursts)}-${Math.max(...bursts)} ms (mean ${Math.round(bursts.reduce((a, b) => a + b, 0) / bursts.length)}), slowest command ${Math.max(...timings.map((t) => t.slowest))} ms`);
});

test.after(() => removeTree(work));

test.run();
