// Reading a container's files from outside it (commit, diff, export, cp, build's COPY):
// its root filesystem as it is now. A running container's is mounted by whoever owns it. A
// stopped one is mounted here for the time of the read, with the container's owner lock
// held, so an `hx start` in between waits for us instead of running on a mount we then take
// away. Two views: the rootfs mount (withRootfs: what commit and export read, without the
// container's volumes), and one fd of the root the container itself sees (withRootFd, cp:
// a running container's /proc/PID/root, its volumes and tmpfs mounts included, as docker's
// cp sees them, checked against pid 1's start time after opening so a reused pid cannot
// swap in another process's root). A mount some other command holds is never borrowed: it
// could unmount it under us.
import { closeSync, constants as FS, openSync } from 'node:fs';
import { HxError } from '../errors.js';
import { processAlive } from '../host/procstat.js';
import { storageDriver } from '../layer/drivers/index.js';
import type { StorageDriver } from '../layer/drivers/driver.js';
import type { RootfsDirs } from '../layer/drivers/types.js';
import type { Claim } from '../store/owners.js';
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

/** Own a stopped container, or find it running (RUNNING says what of it to use, undefined
 * when it is not): whichever comes first within WAIT_MS, while another command owns it (a
 * start, a cp, a monitor's cleanup; docker serializes on the container's lock too). */
async function ownOrRunning<L>(space: ContainerSpace, rec: ContainerRecord, running: () => L | undefined): Promise<{ claim: Claim } | { live: L }> {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    const live = running();
    if (live !== undefined) return { live };
    try {
      return { claim: space.store.owners.claim(rec.id) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || !space.store.getContainer(rec.id)) {
        throw new HxError(`No such container: ${rec.name}`, { kind: 'not-found', hint: 'it was removed meanwhile' });
      }
      if (Date.now() >= end) {
        throw new HxError(`container ${rec.name} is busy: another hx command has owned it for ${WAIT_MS / 1000} s`, { kind: 'conflict', hint: 'try again when it has finished' });
      }
      await sleep(25);
    }
  }
}

/** FN with a stopped container's rootfs mounted for it (unmounted after when it was not), the claim released last. */
async function withOwnedMount<T>(claim: Claim, driver: StorageDriver, dirs: RootfsDirs, fn: (root: string) => Promise<T> | T): Promise<T> {
  let mounted = false;
  try {
    const wasMounted = driver.isMounted(dirs);
    const root = driver.mount(dirs);
    mounted = !wasMounted;
    return await fn(root);
  } finally {
    try {
      if (mounted) driver.unmount(dirs);
    } finally {
      claim.release();
    }
  }
}

/** Run FN with REC's root filesystem available: a running container's as its monitor
 * mounted it; a stopped one owned by this command for FN, mounted for FN when it was not. */
export async function withRootfs<T>(space: ContainerSpace, rec: ContainerRecord, fn: (view: RootfsView) => Promise<T> | T): Promise<T> {
  const driver = storageDriver(driverName(rec));
  const dirs = dirsFor(space.store, space.mode, rec);
  const got = await ownOrRunning(space, rec, () => (isRunning(currentState(space.store, rec)) && driver.isMounted(dirs) ? true : undefined));
  if ('live' in got) return fn({ root: driver.rootfsPath(dirs), driver, dirs, running: true });
  return withOwnedMount(got.claim, driver, dirs, (root) => fn({ root, driver, dirs, running: false }));
}

/** An fd of a running container's root, or undefined when it is not running (any more). */
function openLiveRoot(space: ContainerSpace, rec: ContainerRecord): number | undefined {
  const st = currentState(space.store, rec);
  if (!isRunning(st) || st.pid <= 0) return undefined;
  let fd: number;
  try {
    fd = openSync(`/proc/${st.pid}/root`, FS.O_RDONLY | FS.O_DIRECTORY);
  } catch {
    return undefined; // it just exited
  }
  if (processAlive(st.pid, st.pidStart)) return fd;
  closeSync(fd);
  return undefined;
}

async function withFd<T>(fd: number, body: (root: string) => Promise<T>): Promise<T> {
  try {
    return await body(`/proc/self/fd/${fd}`);
  } finally {
    closeSync(fd);
  }
}

/** BODY gets the root the container sees, held open as one fd for the whole call
 * (/proc/self/fd/N, so every step sees the same filesystem), and whether it runs. */
export async function withRootFd<T>(space: ContainerSpace, rec: ContainerRecord, body: (root: string, live: boolean) => Promise<T>): Promise<T> {
  const got = await ownOrRunning(space, rec, () => openLiveRoot(space, rec));
  if ('live' in got) return withFd(got.live, (root) => body(root, true));
  const driver = storageDriver(driverName(rec));
  const dirs = dirsFor(space.store, space.mode, rec);
  // opened only once this command owns it: a copy through a mount another command then
  // unmounts would write into the bare mountpoint
  return withOwnedMount(got.claim, driver, dirs, (root) => withFd(openSync(root, FS.O_RDONLY | FS.O_DIRECTORY), (r) => body(r, false)));
}
