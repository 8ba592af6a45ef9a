// `hx rm [-f] [-v]`, `hx container prune`, and the monitor's exit command
// (`hx container __cleanup ID`): a container goes with its mount, directories, attach
// socket and name (with -v and --rm its anonymous volumes too); its layers stay for image GC.
import { rmSync } from 'node:fs';
import { removeContainerCgroup } from '../../container/cgroup.js';
import { removeContainer, unmountRootfs } from '../../container/rootfs.js';
import { disconnectNetwork } from '../../container/network.js';
import { currentState, isRunning } from '../../container/state.js';
import { HxError } from '../../errors.js';
import type { ContainerRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { containerEvent } from '../events.js';
import { createdWithin, matchLabels, untilTime, type Filters } from '../filters.js';
import { claimStopped, signalContainer, waitStopped } from './control.js';
import { findContainer, labelsOf, lookupContainer } from './lookup.js';
import { containerRunDir } from './paths.js';

export interface RemoveOptions {
  /** -f: kill it first when it runs. */
  force?: boolean;
  /** -v: its anonymous volumes too (those no other container uses; named volumes stay). */
  volumes?: boolean;
}

async function discard(ctx: EngineContext, rec: ContainerRecord, anonymousVolumes = false): Promise<void> {
  removeContainerCgroup(ctx.store.containerDir(rec.id));
  await removeContainer(ctx, rec.id, { anonymousVolumes });
  rmSync(containerRunDir(ctx, rec.id), { recursive: true, force: true });
  containerEvent(ctx.store, rec, 'destroy');
}

export async function removeContainerByRef(ctx: EngineContext, ref: string, o: RemoveOptions = {}): Promise<ContainerRecord> {
  const store = ctx.store;
  const rec = findContainer(store, ref);
  if (isRunning(currentState(store, rec))) {
    if (!o.force) {
      throw new HxError(`cannot remove container "/${rec.name}": container is running: stop the container before removing or force remove`, {
        kind: 'conflict',
        hint: `hx stop ${rec.name} first, or hx rm -f ${rec.name}`,
      });
    }
    containerEvent(store, rec, 'kill', { signal: '9' });
    if (await signalContainer(ctx, rec, 9, true)) await waitStopped(ctx, rec);
  }
  const claim = await claimStopped(ctx, rec);
  if (!claim) {
    if (!store.getContainer(rec.id)) return rec; // --rm removed it meanwhile
    throw new HxError(`container ${rec.name} is busy: another hx command owns it`, { kind: 'conflict', hint: 'try again in a moment' });
  }
  try {
    await discard(ctx, rec, o.volumes ?? false);
  } finally {
    claim.release();
  }
  return rec;
}

/** `hx container prune`: every stopped container (filters: until=, label=, label!=). */
export async function pruneContainers(ctx: EngineContext, filters: Filters): Promise<{ deleted: string[] }> {
  filters.validate(['until', 'label', 'label!']);
  const until = untilTime(filters);
  const deleted: string[] = [];
  for (const rec of ctx.store.listContainers()) {
    if (isRunning(currentState(ctx.store, rec))) continue;
    if (until && !createdWithin(new Date(rec.created), { before: until })) continue;
    if (!matchLabels(filters, labelsOf(rec))) continue;
    let claim;
    try {
      claim = ctx.store.owners.claim(rec.id);
    } catch {
      continue; // its monitor is still finishing, or another command has it
    }
    try {
      await discard(ctx, rec);
      deleted.push(rec.id);
    } finally {
      claim.release();
    }
  }
  return { deleted };
}


/** The monitor's exit command: the container is gone for good. Runs with the monitor's
 * ownership (it inherited the lock), so it takes none of its own. */
export async function cleanupAfterMonitor(ctx: EngineContext, id: string): Promise<void> {
  const rec = lookupContainer(ctx.store, id);
  if (rec && rec.id === id) {
    try {
      removeContainerCgroup(ctx.store.containerDir(rec.id));
    } catch {
      /* busy still: rm and the sweep retry */
    }
    await disconnectNetwork(ctx.store.containerDir(rec.id)); // pasta outlives its namespace
    if (rec.autoRemove) await discard(ctx, rec, true);
    else {
      try {
        unmountRootfs(ctx, rec);
      } catch {
        /* its layers are gone (rmi -f) */
      }
      rmSync(containerRunDir(ctx, rec.id), { recursive: true, force: true });
    }
  }
  ctx.store.owners.unmark(id);
}
