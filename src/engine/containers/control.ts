// Reaching a running container through its owner: the monitor of a detached one (its
// attach socket: stop, kill, exit frames), or, for one run in the foreground by another
// hx, its pid 1 directly (pid + start time, never a reused pid). Both owners sit behind
// these functions, so stop, kill, wait and rm do not care which it is.
import { MonitorClient, Frame } from '../../container/monitor.js';
import { currentState, isRunning } from '../../container/state.js';
import { processAlive } from '../../host/procstat.js';
import type { Claim } from '../../store/owners.js';
import type { ContainerRecord, ContainerState } from '../../store/store.js';
import { signalPid } from '../../sys/spawn.js';
import type { EngineContext } from '../context.js';
import { containerRunDir } from './paths.js';
import { thawForSignal } from './cgroup-verbs.js';

const SIGKILL = 9;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function monitorOf(ctx: EngineContext, rec: ContainerRecord): Promise<MonitorClient | undefined> {
  try {
    return await MonitorClient.connect(containerRunDir(ctx, rec.id));
  } catch {
    return undefined; // it just ended, or was killed: the state says which
  }
}

/** Poll until the container's pid 1 is gone (a foreground owner records the exit). */
async function pidGone(st: ContainerState, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (processAlive(st.pid, st.pidStart)) {
    if (Date.now() >= end) return false;
    await sleep(20);
  }
  return true;
}

/** Send SIGNAL to the container's pid 1. FATAL (SIGKILL or its stop signal, as docker
 * decides): no restart follows. False when it is not running. */
export async function signalContainer(ctx: EngineContext, rec: ContainerRecord, signal: number, fatal: boolean): Promise<boolean> {
  const st = currentState(ctx.store, rec);
  if (!isRunning(st)) return false;
  // a frozen process gets no signal until it thaws: let a fatal one through (docker's kill)
  if (st.status === 'paused' && (fatal || signal === SIGKILL)) thawForSignal(ctx, rec);
  if (st.owner?.kind === 'monitor') {
    const client = await monitorOf(ctx, rec);
    if (!client) return false;
    try {
      return (await client.kill(signal, fatal)) === 0;
    } finally {
      client.close();
    }
  }
  return signalPid(st.pid, st.pidStart, signal);
}

/** docker stop: SIGNAL, then SIGKILL after TIMEOUT seconds (-1: wait for ever); resolves
 * once it has stopped. False when it was not running. */
export async function stopRunning(ctx: EngineContext, rec: ContainerRecord, signal: number, timeoutSec: number): Promise<boolean> {
  const st = currentState(ctx.store, rec);
  if (!isRunning(st)) return false;
  if (st.status === 'paused') thawForSignal(ctx, rec);
  if (st.owner?.kind === 'monitor') {
    const client = await monitorOf(ctx, rec);
    if (!client) return false;
    try {
      await client.stop(signal, timeoutSec < 0 ? 0x7fffffff : timeoutSec);
    } finally {
      client.close();
    }
    return true;
  }
  signalPid(st.pid, st.pidStart, signal);
  if (!(await pidGone(st, timeoutSec < 0 ? Infinity : timeoutSec * 1000))) {
    signalPid(st.pid, st.pidStart, SIGKILL);
    await pidGone(st, 10_000);
  }
  return true;
}

/** Resolve with the exit code once the container is not running (docker wait). */
export async function waitStopped(ctx: EngineContext, rec: ContainerRecord): Promise<number> {
  for (;;) {
    const st = currentState(ctx.store, rec);
    if (!isRunning(st)) return st.exitCode;
    if (st.owner?.kind === 'monitor') {
      const client = await monitorOf(ctx, rec);
      if (client) {
        try {
          const exit = client.next(Frame.EXIT);
          client.hello(0);
          const code = await exit;
          // the monitor records the exit before it sends the frame
          if (code) return code.readInt32LE(0);
        } finally {
          client.close();
        }
      }
    }
    await sleep(50);
  }
}

/** Take over a container that is not running once its owner is gone (a monitor finishing
 * its cleanup, a foreground hx writing the exit): undefined if it is still owned after MS. */
export async function claimStopped(ctx: EngineContext, rec: ContainerRecord, ms = 15_000): Promise<Claim | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return ctx.store.owners.claim(rec.id);
    } catch (e) {
      // removed meanwhile (--rm), or still owned after MS
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || !ctx.store.getContainer(rec.id) || Date.now() >= end) return undefined;
      await sleep(25);
    }
  }
}
