// One process of test/unit/store-temp-race.test.mjs: races temp-dir creators, pinners
// and cleaners on one store's tmp/. Usage: node temp-race-worker.mjs ROLE STORE ITERATIONS LOG
//   creator  make a temp dir, check it is intact while held (dir, a file in it, and the
//            lock path naming an inode this process holds a flock on, per /proc/locks),
//            run a cleaner pass while holding it (as every command's Store.init does), release
//   pinner   the same with store.pin(), and livePins() must see the pin while it is held
//   cleaner  cleanTemp() and livePins() in a loop until STORE/stop exists
//   victim   a creator that the test kills with SIGKILL at random moments
// Every broken promise is appended to LOG as one line; the exit code says nothing about them.
import { appendFileSync, existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../dist/store/store.js';

const [role, root, iterations, log] = process.argv.slice(2);
const store = new Store(root);
const n = Number(iterations);
let violations = 0;

function violation(text) {
  violations++;
  appendFileSync(log, `${role} ${process.pid}: ${text}\n`);
}

/** Inodes this process holds a flock on (/proc/locks: "1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF"). */
function heldInodes() {
  const out = new Set();
  for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === 'FLOCK' && Number(f[4]) === process.pid) out.add(f[5].split(':')[2]);
  }
  return out;
}

function check(t, what, i) {
  const lockPath = `${t.path}.lock`;
  let ino;
  try {
    ino = String(lstatSync(lockPath).ino);
  } catch (e) {
    return violation(`${what} ${i}: lock file of a live temp dir is gone (${e.code})`);
  }
  if (!heldInodes().has(ino)) violation(`${what} ${i}: the lock path names an inode this owner does not hold`);
  if (!existsSync(join(t.path, 'mine'))) violation(`${what} ${i}: a live temp dir (or the file in it) was removed`);
}

async function own(i, makeTemp, whileHeld) {
  const t = await makeTemp();
  writeFileSync(join(t.path, 'mine'), String(i));
  check(t, 'after create', i);
  store.cleanTemp();
  await whileHeld(t);
  check(t, 'after a cleaner pass', i);
  t.release(true);
}

async function main() {
  if (role === 'creator' || role === 'victim') {
    for (let i = 0; i < n; i++) await own(i, () => store.tempDir(i % 2 ? 'race' : 'layer'), () => {});
  } else if (role === 'pinner') {
    for (let i = 0; i < n; i++) {
      const layer = `sha256:${String(process.pid).padStart(8, '0')}${String(i).padStart(56, '0')}`;
      let pin;
      await own(
        i,
        async () => {
          pin = await store.locked(() => store.pin([layer]));
          // The pin's temp dir is the newest pin-PID-* of this process.
          return { path: pinPath(), release: () => pin.release() };
        },
        async () => {
          const live = await store.locked(() => store.livePins());
          if (!live.layers.has(layer)) violation(`pin ${i}: livePins() does not see a live pin`);
        },
      );
    }
  } else if (role === 'cleaner') {
    while (!existsSync(join(root, 'stop'))) {
      store.cleanTemp();
      store.livePins();
    }
  }
  appendFileSync(log, `done ${role} ${process.pid} ${violations}\n`);
}

function pinPath() {
  const mine = readdirSync(store.tmpDir).filter((e) => e.startsWith(`pin-${process.pid}-`) && !e.endsWith('.lock'));
  if (mine.length !== 1) violation(`expected one pin dir of this process, found ${mine.length}`);
  return join(store.tmpDir, mine[0] ?? 'missing');
}

await main();
