// What a container is doing now: the state its owner last wrote, checked against the
// processes it names (pid + start time, so a reused pid never looks alive). A container
// whose owner died shows as exited, never as a stale "running".
import { processAlive } from '../host/procstat.js';
import { recordedFrozen } from './cgroup.js';
import type { ContainerRecord, ContainerState, ContainerOwner, Store } from '../store/store.js';

const LIVE = new Set(['running', 'paused', 'restarting']);

export function ownerAlive(owner: ContainerOwner | undefined): boolean {
  return owner !== undefined && processAlive(owner.pid, owner.start);
}

/** The container's pid 1 is alive (the pid it was started with, not a reused one). */
export function containerAlive(st: ContainerState): boolean {
  return st.pid > 0 && st.pidStart !== '' && processAlive(st.pid, st.pidStart);
}

export function currentState(store: Store, rec: ContainerRecord): ContainerState {
  const st = store.containers.state(rec.id);
  if (!LIVE.has(st.status)) return st;
  if (ownerAlive(st.owner)) {
    // `hx pause` is recorded nowhere but in the freezer: the owner keeps writing "running"
    return st.status === 'running' && recordedFrozen(store.containerDir(rec.id)) ? { ...st, status: 'paused' } : st;
  }
  // Its owner is gone (killed, or the machine restarted): the container died with it,
  // or the next sweep kills it; it is not supervised any more either way.
  return {
    ...st,
    status: 'exited',
    exitCode: st.exitCode || 137,
    finishedAt: st.finishedAt || new Date().toISOString(),
    error: st.error || `its ${st.owner?.kind === 'foreground' ? 'hx command' : 'monitor'} (pid ${st.owner?.pid ?? '?'}) is gone`,
    pid: 0,
    pidStart: '',
  };
}

export function isRunning(st: ContainerState): boolean {
  return st.status === 'running' || st.status === 'paused' || st.status === 'restarting';
}
