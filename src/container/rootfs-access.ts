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

const WAIT_MS = 15_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run FN with REC's root filesystem available: a running container's as its monitor
 * mounted it; a stopped one owned by this command for FN (waiting up to 15 s while another
 * command owns it: a start, a cp, a cleanup), mounted for FN when it was not. A mount some
 * other command holds is never borrowed: it could unmount it under us. */
export async function withRootfs<T>(space: ContainerSpace, rec: ContainerRecord, fn: (view: RootfsView) => Promise<T> | T): Promise<T> {
  const driver = storageDriver(driverName(rec));
  const dirs = dirsFor(space.store, space.mode, rec);
  const end = Date.now() + WAIT_MS;
  let claim;
  for (;;) {
    if (isRunning(currentState(space.store, rec)) && driver.isMounted(dirs)) return await fn({ root: driver.rootfsPath(dirs), driver, dirs, running: true });
    try {
      claim = space.store.owners.claim(rec.id);
      break;
    } catch {
      if (!space.store.getContainer(rec.id)) throw new HxError(`No such container: ${rec.name}`, { kind: 'not-found', hint: 'it was removed meanwhile' });
      if (Date.now() >= end) {
        throw new HxError(`container ${rec.name} is busy: another hx command has owned it for ${WAIT_MS / 1000} s`, { kind: 'conflict', hint: 'try again when it has finished' });
      }
      await sleep(25);
    }
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
