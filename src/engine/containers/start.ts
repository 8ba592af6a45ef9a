// `hx start` (and the second half of `hx run -d`): a created or stopped container's root
// filesystem mounted, its plan written and a monitor (native/monitor) started to run and
// supervise it. The monitor takes over this command's ownership of the container (the
// lock's fd is handed to it) and, once the container is gone for good, runs
// `hx container __cleanup ID` (unmount, --rm).
import { makeContainerCgroup, removeContainerCgroup, type ContainerCgroup } from '../../container/cgroup.js';
import { startMonitor, type MonitorOptions } from '../../container/monitor.js';
import { imageVolumes, resolveVolumeMounts } from '../../container/volumes.js';
import { mountRootfs, removeContainer, unmountRootfs } from '../../container/rootfs.js';
import { planContainer } from '../../container/plan.js';
import { netJoinOf, prepareNetwork } from '../../container/network.js';
import { linkedEnv, resolveLinks, withLinkHosts } from './links.js';
import { networkStartError } from './network.js';
import { currentState, isRunning } from '../../container/state.js';
import { HxError } from '../../errors.js';
import { FD_NULL } from '../../runtime/plan.js';
import { NETWORK_HOOK_FAILED } from '../../runtime/exit.js';
import type { Claim } from '../../store/owners.js';
import type { ContainerRecord } from '../../store/store.js';
import { launcherPath } from '../../sys/install.js';
import type { EngineContext } from '../context.js';
import { containerActor } from '../events.js';
import { connectAttach, type Attachment, type AttachOptions, type AttachStreams } from './attach.js';
import { containerSpecOf } from './spec.js';
import type { ContainerSpec } from './spec.js';
import { claimStopped } from './control.js';
import { findContainer } from './lookup.js';
import { containerRunDir } from './paths.js';

export interface StartOptions {
  /** `start -a`: attach these streams before its command runs (the result's attachment). */
  attach?: { streams: AttachStreams; options?: AttachOptions };
  /** A claim this command already holds (create + start in one `run -d`). */
  claim?: Claim;
}

export interface StartResult {
  record: ContainerRecord;
  /** false: it was running already (docker's start is then a no-op). */
  started: boolean;
  pid: number;
  /** With opts.attach (and started). */
  attachment?: Attachment;
}

/** The command the monitor runs at the end: this hx, on this store. */
function cleanupCommand(ctx: EngineContext, id: string): string[] {
  return [
    launcherPath(),
    '--root', ctx.storageRoot,
    '--runroot', ctx.runtimeDir,
    ...(ctx.storageDriver ? ['--storage-driver', ctx.storageDriver] : []),
    'container', '__cleanup', id,
  ];
}

/** Own the container to start it: at once, or (a container that just exited) once its
 * monitor has finished cleaning up. Undefined: it is running, or busy. */
async function claimFor(ctx: EngineContext, rec: ContainerRecord): Promise<Claim | undefined> {
  try {
    return ctx.store.owners.claim(rec.id);
  } catch {
    if (isRunning(currentState(ctx.store, rec))) return undefined;
    // a monitor's cleanup after a stop (unmount, a user network's veth and DNS names) can
    // take seconds on a loaded machine: a restart waits for it as long as rm and cp do
    return claimStopped(ctx, rec);
  }
}

const MS = 1_000_000; // HealthConfig durations are nanoseconds

/** The monitor's health settings, with moby's defaults (30 s, 30 s, 0, 5 s, 3 retries). */
function healthSettings(spec: ContainerSpec): MonitorOptions['health'] | undefined {
  const h = spec.health;
  if (!h?.Test?.length || h.Test[0] === 'NONE') return undefined;
  return {
    intervalMs: (h.Interval || 30_000 * MS) / MS,
    timeoutMs: (h.Timeout || 30_000 * MS) / MS,
    startPeriodMs: (h.StartPeriod || 0) / MS,
    startIntervalMs: (h.StartInterval || 5_000 * MS) / MS,
    retries: h.Retries || 3,
  };
}

export async function startContainer(ctx: EngineContext, ref: string, opts: StartOptions = {}): Promise<StartResult> {
  const store = ctx.store;
  const rec = findContainer(store, ref);
  const claim = opts.claim ?? (await claimFor(ctx, rec));
  if (!claim) {
    const st = currentState(store, rec);
    if (isRunning(st)) return { record: rec, started: false, pid: st.pid };
    throw new HxError(`container ${rec.name} is busy: another hx command is starting or removing it`, { kind: 'conflict', hint: 'try again in a moment' });
  }
  const spec = containerSpecOf(rec.spec, rec.id);
  const before = store.containers.state(rec.id);
  const attach = opts.attach;
  let attachment: Attachment | undefined;
  let mounted = false;
  let cgroup: ContainerCgroup | undefined;
  try {
    const rootfs = mountRootfs(ctx, rec);
    mounted = true;
    cgroup = makeContainerCgroup(ctx.mode, spec.cgroup, rec.id, store.containerDir(rec.id));
    const userMounts = resolveVolumeMounts(store, rootfs, spec.options.mounts ?? []);
    const volumes = imageVolumes(store.containerDir(rec.id), rootfs, spec.imageVolumes, new Set(userMounts.map((m) => m.target)));
    const runDir = containerRunDir(ctx, rec.id);
    const links = resolveLinks(store, rec);
    const network = spec.network
      ? await prepareNetwork({ dir: store.containerDir(rec.id), runDir, hostname: spec.options.hostname ?? '', name: rec.name, mode: ctx.mode }, withLinkHosts(spec.network, links), userMounts)
      : { mounts: [] };
    const { plan } = await planContainer({ ...spec.options, ...linkedEnv(spec.options.env, links), rootfs, mounts: [...volumes, ...network.mounts, ...userMounts], ...netJoinOf(network) }, ctx, [FD_NULL, FD_NULL, FD_NULL]);
    const started = await startMonitor(plan, {
      ...(network.plan ? { networkHook: true } : {}),
      id: rec.id,
      dir: store.containerDir(rec.id),
      runDir,
      tty: spec.tty,
      openStdin: spec.openStdin,
      restart: { name: spec.restart.Name || 'no', max: spec.restart.MaximumRetryCount },
      log: { maxSize: spec.log.maxSize, maxFiles: spec.log.maxFiles },
      noLog: spec.log.driver === 'none',
      exitCommand: cleanupCommand(ctx, rec.id),
      lockFd: claim.fd,
      env: ctx.env,
      ...(healthSettings(spec) ? { health: healthSettings(spec)! } : {}),
      ...(cgroup ? { cgroup: { procs: cgroup.procs, ...(cgroup.tasks ? { tasks: cgroup.tasks } : {}), ...(cgroup.oomFile ? { oomFile: cgroup.oomFile } : {}) } } : {}),
      ...(spec.cgroup?.oomScoreAdj ? { oomScoreAdj: spec.cgroup.oomScoreAdj } : {}),
      ...(attach ? { attach: async () => void (attachment = await connectAttach(ctx, rec, attach.streams, attach.options)) } : {}),
      events: { path: store.events.path, from: rec.imageRef || rec.image, attributes: containerActor(rec).Attributes },
    });
    claim.handOver();
    return { record: rec, started: true, pid: started.pid, ...(attachment ? { attachment } : {}) };
  } catch (caught) {
    // the monitor's network hook left its reason (and hint) beside the record
    const netError = networkStartError(store.containerDir(rec.id));
    const e = (caught as Error).message === NETWORK_HOOK_FAILED && netError ? netError : caught;
    if (cgroup) {
      try {
        removeContainerCgroup(store.containerDir(rec.id));
      } catch {
        /* the sweep retries */
      }
    }
    if (mounted) {
      try {
        unmountRootfs(ctx, rec);
      } catch {
        /* the sweep retries */
      }
    }
    const code = (e as { exitCode?: number }).exitCode ?? 125;
    if (rec.autoRemove) {
      claim.release();
      await removeContainer(ctx, rec.id, { anonymousVolumes: true });
      throw e;
    }
    store.containers.putState(rec.id, {
      ...before,
      status: before.startedAt ? 'exited' : 'created',
      pid: 0,
      pidStart: '',
      exitCode: code,
      error: (e as Error).message,
    });
    claim.release();
    throw e;
  }
}
