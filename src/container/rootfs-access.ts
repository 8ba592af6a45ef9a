// Reading a container's files from outside it (commit, diff, export, cp): its root
// filesystem as it is now. A running container's is mounted by whoever owns it. A stopped
// one is mounted here for the time of the read, with the container's owner lock held, so
// an `hx start` in between waits for us instead of running on a mount we then take away.
import { HxError } from '../errors.js';
import { storageDriver } from '../layer/drivers/index.js';
import type { StorageDriver } from '../layer/drivers/driver.js';
import type { RootfsDirs } from '../layer/drivers/types.js';
import type { ContainerRecord } from '../store/store.js';
import { dirsFor, driverName } from './rootfs.js';
import type { ContainerSpace } from './space.js';
import { currentState, isRunning } from './state.js';

export interface RootfsView {
  /** The merged root filesystem (mounted, or vfs's copy). */
  root: string;
  driver: StorageDriver;
  dirs: RootfsDirs;
  running: boolean;
}

/** Run FN with REC's root filesystem available; mounted only for FN when it was not. */
export async function withRootfs<T>(space: ContainerSpace, rec: ContainerRecord, fn: (view: RootfsView) => Promise<T> | T): Promise<T> {
  const driver = storageDriver(driverName(rec));
  const dirs = dirsFor(space.store, space.mode, rec);
  const running = isRunning(currentState(space.store, rec));
  if (running && driver.isMounted(dirs)) return await fn({ root: driver.rootfsPath(dirs), driver, dirs, running });
  let claim;
  try {
    claim = space.store.owners.claim(rec.id);
  } catch {
    // Owned, so starting or stopping right now: its mount is the owner's.
    if (driver.isMounted(dirs)) return await fn({ root: driver.rootfsPath(dirs), driver, dirs, running: true });
    throw new HxError(`container ${rec.id.slice(0, 12)} is being started or stopped by another command`, { kind: 'conflict', hint: 'try again in a moment' });
  }
  const wasMounted = driver.isMounted(dirs);
  try {
    const root = driver.mount(dirs);
    return await fn({ root, driver, dirs, running: false });
  } finally {
    try {
      if (!wasMounted) driver.unmount(dirs);
    } finally {
      claim.release();
    }
  }
}
