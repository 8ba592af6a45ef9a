// `hx pause`, `hx unpause`, `hx update`: verbs that act on a container's cgroup. Paused is
// the freezer's state and nothing else (container/state.ts reads it), so a monitor that
// rewrites state.json cannot undo a pause, and a crash cannot leave a stale "paused".
import { containerCgroup, type CgroupSettings, type ContainerCgroup } from '../../container/cgroup.js';
import { currentState } from '../../container/state.js';
import { HxError } from '../../errors.js';
import type { ContainerRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { containerEvent } from '../events.js';
import { checkResources, limitFlagsSet, type Resources } from '../docker-syntax/resources.js';
import { containerSpecOf } from './spec.js';
import { findContainer } from './lookup.js';
import { hostConfigResources, hostResourceFacts } from './resources.js';
import { specToRecord } from './spec.js';

function runningCgroup(ctx: EngineContext, rec: ContainerRecord, verb: string): { cg: ContainerCgroup | undefined; status: string } {
  const st = currentState(ctx.store, rec);
  if (st.status === 'restarting') throw new HxError(`Container ${rec.id} is restarting, wait until the container is running`, { kind: 'conflict' });
  if (st.status !== 'running' && st.status !== 'paused') throw new HxError(`Container ${rec.id} is not running`, { kind: 'conflict', hint: `hx start ${rec.name} first` });
  const cg = containerCgroup(ctx.mode, ctx.store.containerDir(rec.id));
  if (!cg || cg.manager.frozen(cg.path) === undefined) {
    throw new HxError(`cannot ${verb} container ${rec.name}: it has no cgroup${cg ? ' freezer' : ''} of its own`, {
      kind: 'host-setup',
      hint: ctx.mode.rootless
        ? 'freezing needs a delegated cgroup v2 subtree (cgroup.freeze): see `hx info` for what is delegated; it was started with none'
        : 'it was started with --cgroups disabled, or by an hx without cgroups: recreate it',
    });
  }
  return { cg, status: st.status };
}

/** docker pause: freeze every process of the container. */
export async function pauseContainer(ctx: EngineContext, ref: string): Promise<ContainerRecord> {
  const rec = findContainer(ctx.store, ref);
  const { cg, status } = runningCgroup(ctx, rec, 'pause');
  if (status === 'paused') throw new HxError(`Container ${rec.id} is already paused`, { kind: 'conflict', hint: `hx unpause ${rec.name}` });
  cg!.manager.setFrozen(cg!.path, true);
  containerEvent(ctx.store, rec, 'pause');
  return rec;
}

/** docker unpause. */
export async function unpauseContainer(ctx: EngineContext, ref: string): Promise<ContainerRecord> {
  const rec = findContainer(ctx.store, ref);
  const st = currentState(ctx.store, rec);
  if (st.status !== 'paused') throw new HxError(`Container ${rec.id} is not paused`, { kind: 'conflict' });
  const { cg } = runningCgroup(ctx, rec, 'unpause');
  cg!.manager.setFrozen(cg!.path, false);
  containerEvent(ctx.store, rec, 'unpause');
  return rec;
}

/** Thaw a paused container so a stop or kill signal reaches it (stop/kill/rm -f). */
export function thawForSignal(ctx: EngineContext, rec: ContainerRecord): void {
  const cg = containerCgroup(ctx.mode, ctx.store.containerDir(rec.id));
  if (cg && cg.manager.frozen(cg.path)) cg.manager.setFrozen(cg.path, false);
}

/**
 * docker update: new limits over the recorded ones, checked as at create; written to the
 * running container's cgroup, and to the record (they apply from the next start too).
 */
export async function updateContainer(ctx: EngineContext, ref: string, given: Partial<Resources>): Promise<{ record: ContainerRecord; warnings: string[] }> {
  const store = ctx.store;
  return store.locked(() => {
    const rec = findContainer(store, ref);
    const spec = containerSpecOf(rec.spec, rec.id);
    const old: CgroupSettings = spec.cgroup ?? { mode: 'enabled', parent: '', resources: checkResources({}, hostResourceFacts()).resources, oomScoreAdj: 0 };
    const change: Partial<Resources> = { ...given };
    // swap that was only the default (twice the memory) follows a new memory limit
    if (given.Memory !== undefined && given.MemorySwap === undefined && old.resources.MemorySwap === old.resources.Memory * 2) {
      change.MemorySwap = given.Memory > 0 ? given.Memory * 2 : -1;
    }
    const { resources, warnings } = checkResources({ ...old.resources, ...change }, hostResourceFacts(), true);
    const st = currentState(store, rec);
    const running = st.status === 'running' || st.status === 'paused';
    if (running) {
      const cg = containerCgroup(ctx.mode, store.containerDir(rec.id));
      if (!cg) {
        const asked = limitFlagsSet({ ...checkResources({}, hostResourceFacts()).resources, ...given });
        throw new HxError(`Cannot update container ${rec.id}: it runs without a cgroup of its own, so ${asked.join(', ') || 'its limits'} cannot change`, {
          kind: 'conflict',
          hint: old.mode === 'disabled' ? 'it was created with --cgroups disabled' : 'stop it; the new limits need a cgroup this user may have (hx info)',
        });
      }
      const apply: Partial<Resources> = {};
      for (const k of Object.keys(change) as (keyof Resources)[]) (apply as Record<string, unknown>)[k] = resources[k];
      try {
        cg.manager.apply(cg.path, apply);
      } catch (e) {
        throw new HxError(`Cannot update container ${rec.id}: ${(e as Error).message}`, { kind: 'invalid-argument', cause: e, hint: 'a memory limit below what it uses now cannot be set (EBUSY); stop it first' });
      }
    }
    if (resources.PidsLimit !== null && resources.PidsLimit <= 0) resources.PidsLimit = null;
    const cgroup: CgroupSettings = { ...old, resources };
    const record: ContainerRecord = {
      ...rec,
      spec: specToRecord({ ...spec, cgroup }),
      hostConfig: { ...(rec.hostConfig ?? {}), ...hostConfigResources(cgroup) },
    };
    store.putContainer(record);
    return { record, warnings };
  });
}
