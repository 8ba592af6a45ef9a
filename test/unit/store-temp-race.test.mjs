// The store's temp-dir protocol under concurrency (docs/STORAGE.md "Temp dirs and their
// locks"): processes that create temp dirs and pins, cleaners, and creators killed with
// SIGKILL at random moments, all on one tmp/. No live temp dir, file in it or lock may
// ever be removed or replaced, livePins() must see every live pin, no command may fail,
// and afterwards one cleaner pass leaves tmp/ empty.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store } from '../../dist/store/store.js';

const worker = join(dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'temp-race-worker.mjs');
const base = mkdtempSync(join(tmpdir(), 'hx-temp-race-'));
const CREATOR_ITERATIONS = Number(process.env.HX_TEMP_RACE_ITERATIONS || 1000);

function start(role, root, iterations, log) {
  const child = spawn(process.execPath, [worker, role, root, String(iterations), log], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise((resolve) => child.on('close', (code, signal) => resolve({ role, code, signal, stderr })));
  return { child, exit };
}

/** What a killed command leaves: dirs with a free lock, dirs without one, lone lock files. */
function leaveDeadOwners(tmp, count) {
  for (let i = 0; i < count; i++) {
    const name = `layer-999999-dead${i}`;
    if (i % 3 !== 2) {
      mkdirSync(join(tmp, name, 'diff'), { recursive: true });
      writeFileSync(join(tmp, name, 'diff', 'f'), 'x');
    }
    if (i % 3 !== 1) writeFileSync(join(tmp, `${name}.lock`), '');
  }
}

test('creators, pinners, cleaners and killed creators on one tmp/: nothing live is ever removed', async () => {
  const root = join(base, 'race');
  const store = new Store(root).init();
  const log = join(base, 'race.log');
  writeFileSync(log, '');
  leaveDeadOwners(store.tmpDir, 300);

  const t0 = Date.now();
  const workers = [
    start('creator', root, CREATOR_ITERATIONS, log),
    start('creator', root, CREATOR_ITERATIONS, log),
    start('creator', root, CREATOR_ITERATIONS, log),
    start('pinner', root, Math.ceil(CREATOR_ITERATIONS / 5), log),
    start('cleaner', root, 0, log),
    start('cleaner', root, 0, log),
  ];
  // Creators killed at random points of the protocol: real dead owners, mid-create too.
  let kills = 0;
  const finishers = workers.filter((w) => w.child.spawnargs[2] === 'creator' || w.child.spawnargs[2] === 'pinner').map((w) => w.exit);
  let running = true;
  Promise.all(finishers).then(() => (running = false));
  while (running) {
    const victim = start('victim', root, 1_000_000, log);
    await new Promise((r) => setTimeout(r, 30 + Math.random() * 120));
    victim.child.kill('SIGKILL');
    await victim.exit;
    kills++;
  }
  writeFileSync(join(root, 'stop'), '');
  const results = await Promise.all(workers.map((w) => w.exit));
  const seconds = (Date.now() - t0) / 1000;

  for (const r of results) assert.is(r.code, 0, `${r.role} failed: ${r.stderr}`);
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const broken = lines.filter((l) => !l.startsWith('done '));
  assert.equal(broken.slice(0, 10), [], `${broken.length} broken promises`);
  const done = lines.filter((l) => l.startsWith('done '));
  assert.is(done.length, workers.length, 'every worker finished its loop');
  assert.ok(kills >= 3, `only ${kills} creators were killed`);

  const after = store.cleanTemp();
  assert.equal(after.failed, []);
  assert.equal(readdirSync(store.tmpDir), [], 'one cleaner pass leaves tmp/ empty');
  console.log(`  ${3 * CREATOR_ITERATIONS} temp dirs + ${Math.ceil(CREATOR_ITERATIONS / 5)} pins, ${kills} creators killed, ${seconds.toFixed(1)} s`);
});

test('a lock held by another program keeps its dir, even one not made yet; free, both go', () => {
  const have = spawnSync('sh', ['-c', 'command -v flock']).status === 0;
  assert.ok(have, 'util-linux flock(1) is installed');
  const store = new Store(join(base, 'foreign')).init();
  const withDir = join(store.tmpDir, 'layer-1-held');
  mkdirSync(withDir);
  writeFileSync(`${withDir}.lock`, '');
  const noDirYet = join(store.tmpDir, 'layer-2-creating');
  writeFileSync(`${noDirYet}.lock`, '');
  const script = 'exec 8<"$1" 9<"$2"; flock -x 8 && flock -x 9 && echo held && read x';
  const holder = spawn('sh', ['-c', script, 'sh', `${withDir}.lock`, `${noDirYet}.lock`], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    holder.stdout.once('data', () => {
      try {
        store.cleanTemp();
        assert.ok(existsSync(withDir), 'the dir of a held lock stays');
        assert.ok(existsSync(`${withDir}.lock`));
        assert.ok(existsSync(`${noDirYet}.lock`), 'a held lock without its dir (a creator mid-way) stays');
        holder.stdin.end('\n');
      } catch (e) {
        holder.kill();
        reject(e);
      }
    });
    holder.on('close', () => {
      try {
        const r = store.cleanTemp();
        assert.is(r.removed, 2);
        assert.equal(readdirSync(store.tmpDir), []);
        resolve();
      } catch (e) {
        reject(e);
      }
    });
  });
});

test('a dir whose lock file is gone is removed, and no lock file is left behind', () => {
  const store = new Store(join(base, 'debris')).init();
  mkdirSync(join(store.tmpDir, 'pull-7-orphan', 'x'), { recursive: true });
  const live = store.tempDir('pin');
  const r = store.cleanTemp();
  assert.is(r.removed, 1);
  assert.equal(readdirSync(store.tmpDir).sort(), [live.path.split('/').pop(), `${live.path.split('/').pop()}.lock`].sort());
  live.release();
  assert.equal(readdirSync(store.tmpDir), []);
});

test('livePins() only reads: it creates no lock file and removes nothing, live or dead', async () => {
  const store = new Store(join(base, 'pins')).init();
  const layer = `sha256:${'1'.repeat(64)}`;
  const pin = await store.locked(() => store.pin([layer]));
  const dead = join(store.tmpDir, 'pin-999999-dead');
  mkdirSync(dead);
  writeFileSync(join(dead, 'pins.json'), JSON.stringify({ layers: [`sha256:${'2'.repeat(64)}`], blobs: [] }));
  writeFileSync(`${dead}.lock`, '');
  const before = readdirSync(store.tmpDir).sort();
  const live = store.livePins();
  assert.equal([...live.layers], [layer], 'a dead owner\'s pin protects nothing');
  assert.equal(readdirSync(store.tmpDir).sort(), before);
  pin.release();
  assert.equal([...store.livePins().layers], []);
  assert.equal(readdirSync(store.tmpDir).sort(), [`pin-999999-dead`, `pin-999999-dead.lock`]);
});

test.after(() => rmSync(base, { recursive: true, force: true }));

test.run();
