// Which driver this store uses, from a real trial mount (never from version numbers),
// cached in <store>/driver.json per kernel release and mode. --storage-driver (the
// engine's storageDriver option) overrides it.
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import type { HostMode } from '../../host/mode.js';
import { findInPath } from '../../host/which.js';
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
export function probeOverlayHere(store: Store, mode: HostMode): { ok: boolean; error?: string } {
  const t = store.tempDir('probe');
  try {
    const lower = join(t.path, 'l');
    mkdirSync(lower);
    writeFileSync(join(lower, 'f'), 'x');
    const merged = mountOverlay({ storeRoot: store.root, lowerLinks: [`tmp/${t.path.split('/').pop()}/l`], lowerDirs: [lower], containerDir: t.path, rootless: mode.rootless });
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

export function isDriverName(name: string): name is DriverName {
  return NAMES.includes(name as DriverName);
}

function requestedDriver(requested: string): DriverChoice {
  if (!isDriverName(requested)) throw new UsageError(`unknown storage driver "${requested}"`, `use one of: ${NAMES.join(', ')}`);
  return { driver: requested, reason: 'chosen with --storage-driver' };
}

/** The driver the store at ROOT uses (override or recorded choice), without probing. */
export function recordedDriver(root: string, rootful: boolean, requested?: string): DriverChoice | undefined {
  if (requested) return requestedDriver(requested);
  const cached = readJson<Cached>(join(root, 'driver.json'));
  if (cached && cached.kernel === release() && cached.rootful === rootful) return { driver: cached.driver, reason: `${cached.reason} (recorded in the store)` };
  return undefined;
}

export function chooseDriver(store: Store, mode: HostMode, requested?: string): DriverChoice {
  if (requested) return requestedDriver(requested);
  const rootful = !mode.rootless;
  const cachePath = join(store.root, 'driver.json');
  const cached = readJson<Cached>(cachePath);
  if (cached && cached.kernel === release() && cached.rootful === rootful) return { driver: cached.driver, reason: cached.reason };
  const probe = probeOverlayHere(store, mode);
  let choice: DriverChoice;
  if (probe.ok) {
    choice = { driver: 'overlay', reason: rootful ? 'a trial kernel overlay mount worked' : 'a trial kernel overlay mount worked inside the user namespace (userxattr)' };
  } else {
    const fuseProblem = fuseUsable();
    choice = fuseProblem
      ? { driver: 'vfs', reason: `kernel overlay failed (${probe.error}) and ${fuseProblem}: full copies` }
      : { driver: 'fuse-overlayfs', reason: `kernel overlay failed (${probe.error})` };
  }
  writeJsonAtomic(cachePath, { ...choice, kernel: release(), rootful } satisfies Cached);
  return choice;
}
