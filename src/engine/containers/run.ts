// `hx run`: a container from an image (or a root filesystem directory). In the
// foreground this process is its owner and supervisor (the fast path: no monitor); with
// -d it is created, handed to a monitor (start.ts) and this returns its ID. The parts:
// create.ts (record, config merge), container/rootfs (driver mount), container/volumes
// (the image's VOLUMEs), container/foreground (spawn, stdio, exit).
import { UsageError } from '../../errors.js';
import { closeAll, makeContainerCgroup, oomKills, openSelfJoin, removeContainerCgroup, setOomScoreAdj, type ContainerCgroup } from '../../container/cgroup.js';
import { runForeground, type RunHooks, type RunIO } from '../../container/foreground.js';
import { mountRootfs, removeContainer, unmountRootfs } from '../../container/rootfs.js';
import { imageVolumes, resolveVolumeMounts } from '../../container/volumes.js';
import { foregroundNetwork, netJoinOf, prepareNetwork } from '../../container/network.js';
import { linkedEnv, resolveLinks, withLinkHosts } from './links.js';
import { containerRunDir } from './paths.js';
import { ownStartTime, readProcStat } from '../../host/procstat.js';
import { EMPTY_STATE, type ContainerOwner } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { containerEvent } from '../events.js';
import { createFromImage, type CreateRequest, type RunOptions } from './create.js';
import type { Attachment } from './attach.js';
import { startContainer, type StartOptions } from './start.js';
import { cgroupRequested } from './resources.js';

export type { RunHooks, RunIO, RunOptions };

export interface RunRequest extends Omit<CreateRequest, 'image'> {
  /** An image (name or ID)... */
  image?: string;
  /** ...or a directory holding a root filesystem (hx's --rootfs: no record, foreground only). */
  rootfs?: string;
}

export async function runContainer(ctx: EngineContext, req: RunRequest, io: RunIO, hooks: RunHooks = {}): Promise<number> {
  const host = { mode: ctx.mode, runtimeDir: ctx.runtimeDir };
  const phase = hooks.onPhase ?? ctx.onPhase;
  const withPhase: RunHooks = phase ? { ...hooks, onPhase: phase } : hooks;
  if (req.rootfs !== undefined) {
    const args = req.entrypoint !== undefined ? [...(req.entrypoint ? [req.entrypoint] : []), ...req.command] : req.command;
    if (args.length === 0) throw new UsageError('no command specified', 'hx run [OPTIONS] --rootfs DIR COMMAND [ARG...]');
    if (cgroupRequested(req.cgroup)) throw new UsageError('resource limits and cgroup options need an image: a --rootfs run has no record to keep them', 'run an image (hx import can make one of DIR)');
    const net = req.network?.network;
    if (net !== undefined && net !== 'none' && net !== 'host') throw new UsageError(`--rootfs containers run with --network none or host only, not ${net}`, 'run an image to use pasta or slirp4netns');
    // a volume is in use while a container record names it: a --rootfs run has none
    const volume = (req.options.mounts ?? []).find((m) => m.type === 'volume');
    if (volume) throw new UsageError(`--rootfs: the volume at ${volume.target} needs a container (--rootfs runs have no record)`, 'bind a host directory (-v /abs/dir:/path), or run an image');
    if (req.volumesFrom?.length) throw new UsageError('--rootfs cannot take --volumes-from', 'bind the host directories instead, or run an image');
    return runForeground({ ...req.options, rootfs: req.rootfs, args }, host, io, withPhase);
  }
  if (!req.image) throw new UsageError('"hx run" requires an image (or --rootfs DIR) and a command', 'hx run [OPTIONS] IMAGE [COMMAND] [ARG...]');
  const store = ctx.store;
  const { record, claim, spec, warnings } = await createFromImage(ctx, { ...req, image: req.image });
  for (const w of warnings) hooks.onWarning?.(w);
  phase?.('store-lookup');
  let code: number | undefined;
  let startedAt = '';
  let failure: (Error & { exitCode?: number }) | undefined;
  const owner: ContainerOwner = { kind: 'foreground', pid: process.pid, start: ownStartTime() };
  let network: ReturnType<typeof foregroundNetwork> | undefined;
  let cgroup: ContainerCgroup | undefined;
  let oomBefore = 0;
  const selfJoin: number[] = [];
  try {
    const rootfs = mountRootfs(ctx, record);
    phase?.('rootfs');
    cgroup = makeContainerCgroup(ctx.mode, spec.cgroup, record.id, store.containerDir(record.id));
    oomBefore = oomKills(cgroup);
    selfJoin.push(...openSelfJoin(cgroup));
    const cgroupOf = cgroup;
    const adj = spec.cgroup?.oomScoreAdj ?? 0;
    const place = (c: { pid: number }): void => {
      // in its cgroup before its command runs, so every byte and fork counts
      if (cgroupOf && !selfJoin.length) cgroupOf.manager.add(cgroupOf.path, c.pid);
      setOomScoreAdj(c.pid, adj);
    };
    const userMounts = resolveVolumeMounts(store, rootfs, spec.options.mounts ?? []);
    const volumes = imageVolumes(store.containerDir(record.id), rootfs, spec.imageVolumes, new Set(userMounts.map((m) => m.target)));
    const dir = store.containerDir(record.id);
    const links = resolveLinks(store, record);
    const prepared = spec.network
      ? await prepareNetwork({ dir, runDir: containerRunDir(ctx, record.id), hostname: spec.options.hostname ?? '', name: record.name, mode: ctx.mode }, withLinkHosts(spec.network, links), userMounts)
      : { mounts: [] };
    network = foregroundNetwork(dir, prepared.plan);
    const net = network;
    const cgroupFds = selfJoin.length ? { cgroupFds: selfJoin } : {};
    code = await runForeground({ ...spec.options, ...linkedEnv(spec.options.env, links), args: spec.options.args ?? [], rootfs, mounts: [...volumes, ...prepared.mounts, ...userMounts], ...cgroupFds, ...netJoinOf(prepared) }, host, io, {
      ...withPhase,
      beforeStart: async (c) => {
        place(c);
        await net.beforeStart(c.pid);
        await hooks.beforeStart?.(c);
      },
      onStarted: (c) => {
        startedAt = new Date().toISOString();
        // what ps, exec and stop of other hx commands read: this process owns it
        store.containers.putState(record.id, { ...EMPTY_STATE, status: 'running', pid: c.pid, pidStart: readProcStat(c.pid)?.startTime ?? '', owner, startedAt });
        containerEvent(store, record, 'start');
        hooks.onStarted?.(c);
      },
    });
    return code;
  } catch (e) {
    failure = e as Error & { exitCode?: number };
    throw e;
  } finally {
    closeAll(selfJoin);
    try {
      // read before the cgroup goes: the counter is all that tells an OOM kill apart
      const oomKilled = oomKills(cgroup) > oomBefore;
      if (cgroup) {
        try {
          removeContainerCgroup(store.containerDir(record.id));
        } catch {
          /* still busy: the sweep or rm retries */
        }
      }
      await network?.stop();
      if (startedAt) containerEvent(store, record, 'die', { exitCode: String(code ?? 125) });
      if (req.autoRemove) {
        await removeContainer(ctx, record.id, { anonymousVolumes: true });
        containerEvent(store, record, 'destroy');
      }
      else {
        unmountRootfs(ctx, record);
        if (startedAt) store.containers.putState(record.id, { ...EMPTY_STATE, status: 'exited', exitCode: code ?? 125, oomKilled, startedAt, finishedAt: new Date().toISOString() });
        else if (failure) store.containers.putState(record.id, { ...EMPTY_STATE, exitCode: failure.exitCode ?? 125, error: failure.message });
      }
    } finally {
      claim.release();
      phase?.('teardown');
    }
  }
}

/** `hx run -d`: create, then start under a monitor; the container's record. */
export async function runDetached(ctx: EngineContext, req: CreateRequest, opts: Omit<StartOptions, 'claim'> = {}): Promise<{ id: string; warnings: string[]; attachment?: Attachment }> {
  const created = await createFromImage(ctx, req);
  const started = await startContainer(ctx, created.record.id, { ...opts, claim: created.claim });
  return { id: created.record.id, warnings: created.warnings, ...(started.attachment ? { attachment: started.attachment } : {}) };
}
