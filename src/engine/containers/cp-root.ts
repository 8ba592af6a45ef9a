// The root `hx cp` resolves container paths in, held open as one fd for the whole copy
// (the body gets it as /proc/self/fd/N), so every step sees the same filesystem:
// - running: the root its mount namespace has (/proc/PID/root: its volumes, bind mounts and
//   tmpfs mounts included, as docker's cp sees them), checked against pid 1's start time
//   after opening, so a reused pid cannot swap in another process's root;
// - stopped: this command owns it for the copy (waiting while another command does: a cp,
//   a start, a monitor's cleanup; docker serializes on the container's lock too), so it
//   cannot start meanwhile, and mounts its root filesystem, unmounted after if it was not.
// Opening the mount only after owning the container is what keeps concurrent copies apart:
// a copy through a mount another command then unmounts would write into the bare mountpoint.
import { closeSync, constants as FS, openSync } from 'node:fs';
import { dirsFor, driverName } from '../../container/rootfs.js';
import { currentState, isRunning } from '../../container/state.js';
import { HxError } from '../../errors.js';
import { processAlive } from '../../host/procstat.js';
import { storageDriver } from '../../layer/drivers/index.js';
import type { Claim } from '../../store/owners.js';
import type { ContainerRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';

const WAIT_MS = 15_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An fd of a running container's root, or undefined when it is not running (any more). */
function openLiveRoot(ctx: EngineContext, rec: ContainerRecord): number | undefined {
  const st = currentState(ctx.store, rec);
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

/** Own a stopped container, or find it running: whichever comes first within WAIT_MS. */
async function ownOrLive(ctx: EngineContext, rec: ContainerRecord): Promise<{ claim: Claim } | { live: number }> {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    const live = openLiveRoot(ctx, rec);
    if (live !== undefined) return { live };
    try {
      return { claim: ctx.store.owners.claim(rec.id) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || !ctx.store.getContainer(rec.id)) {
        throw new HxError(`No such container: ${rec.name}`, { kind: 'not-found', hint: 'it was removed while hx cp waited for it' });
      }
      if (Date.now() >= end) {
        throw new HxError(`container ${rec.name} is busy: another hx command has owned it for ${WAIT_MS / 1000} s`, { kind: 'conflict', hint: 'try again when it has finished' });
      }
      await sleep(25);
    }
  }
}

/** BODY gets the root (/proc/self/fd/N) and whether it is a running container's. */
export async function withCopyRoot<T>(ctx: EngineContext, rec: ContainerRecord, body: (root: string, live: boolean) => Promise<T>): Promise<T> {
  const got = await ownOrLive(ctx, rec);
  if ('live' in got) return withFd(got.live, (root) => body(root, true));
  const { claim } = got;
  const driver = storageDriver(driverName(rec));
  const dirs = dirsFor(ctx.store, ctx.mode, rec);
  let mounted = false;
  try {
    const wasMounted = driver.isMounted(dirs);
    const root = driver.mount(dirs);
    mounted = !wasMounted;
    return await withFd(openSync(root, FS.O_RDONLY | FS.O_DIRECTORY), (r) => body(r, false));
  } finally {
    try {
      if (mounted) driver.unmount(dirs);
    } finally {
      claim.release();
    }
  }
}
