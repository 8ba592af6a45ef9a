// Which driver this store uses, from a real trial mount (never from version numbers),
// cached in <store>/driver.json per kernel release. HX_STORAGE_DRIVER or
// --storage-driver overrides it.
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { isRootful } from '../../runtime/paths.js';
import { findInPath } from '../../runtime/probes.js';
import { readJson, writeJsonAtomic } from '../../store/atomic.js';
import type { Store } from '../../store/store.js';
import { mountOverlay, unmountPath } from './overlay.js';
import type { DriverChoice, DriverName } from './types.js';

const NAMES: DriverName[] = ['overlay', 'fuse-overlayfs', 'vfs'];

interface Cached extends DriverChoice {
  kernel: string;
  rootful: boolean;
}

/** Mount a tiny overlay the way containers will be mounted; the error says why not. */
export function probeOverlayHere(store: Store): { ok: boolean; error?: string } {
  const t = store.tempDir('probe');
  try {
    const lower = join(t.path, 'l');
    mkdirSync(lower);
    writeFileSync(join(lower, 'f'), 'x');
    const merged = mountOverlay({ storeRoot: store.root, lowerLinks: [`tmp/${t.path.split('/').pop()}/l`], lowerDirs: [lower], containerDir: t.path, rootless: !isRootful() });
    unmountPath(merged);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  } finally {
    t.release(true);
  }
}

function fuseUsable(): string | undefined {
  const bin = findInPath('fuse-overlayfs');
  if (!bin) return 'fuse-overlayfs is not installed';
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch {
    return '/dev/fuse is not usable';
  }
  return undefined;
}

/** The driver the store at ROOT uses (override or recorded choice), without probing. */
export function recordedDriver(root: string): DriverChoice | undefined {
  const want = process.env.HX_STORAGE_DRIVER;
  if (want && NAMES.includes(want as DriverName)) return { driver: want as DriverName, reason: 'chosen with --storage-driver (HX_STORAGE_DRIVER)' };
  const cached = readJson<Cached>(join(root, 'driver.json'));
  if (cached && cached.kernel === release() && cached.rootful === isRootful()) return { driver: cached.driver, reason: `${cached.reason} (recorded in the store)` };
  return undefined;
}

export function chooseDriver(store: Store, requested?: string): DriverChoice {
  const want = requested ?? process.env.HX_STORAGE_DRIVER;
  if (want) {
    if (!NAMES.includes(want as DriverName)) throw new UsageError(`unknown storage driver "${want}"`, `use one of: ${NAMES.join(', ')}`);
    return { driver: want as DriverName, reason: 'chosen with --storage-driver (HX_STORAGE_DRIVER)' };
  }
  const cachePath = join(store.root, 'driver.json');
  const cached = readJson<Cached>(cachePath);
  if (cached && cached.kernel === release() && cached.rootful === isRootful()) return { driver: cached.driver, reason: cached.reason };
  const probe = probeOverlayHere(store);
  let choice: DriverChoice;
  if (probe.ok) {
    choice = { driver: 'overlay', reason: isRootful() ? 'a trial kernel overlay mount worked' : 'a trial kernel overlay mount worked inside the user namespace (userxattr)' };
  } else {
    const fuseProblem = fuseUsable();
    choice = fuseProblem
      ? { driver: 'vfs', reason: `kernel overlay failed (${probe.error}) and ${fuseProblem}: full copies` }
      : { driver: 'fuse-overlayfs', reason: `kernel overlay failed (${probe.error})` };
  }
  writeJsonAtomic(cachePath, { ...choice, kernel: release(), rootful: isRootful() } satisfies Cached);
  return choice;
}
