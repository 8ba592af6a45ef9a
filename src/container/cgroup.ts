// A container's own cgroup: decided when it is created (limits asked for, and whether
// this host lets hx have them), made with its limits before its first process execs,
// recorded in containers/<id>/cgroup.json while it exists (so stats, pause, update and
// the sweep find it without knowing how it was chosen), and removed when the container
// is gone for good.
//
// Where: docker's cgroupfs naming, <hierarchy>/<parent>/hx-<id>, parent `hx` (v1) or
// `hx.slice` (v2) unless --cgroup-parent says otherwise. Not beneath the cgroup of the
// hx command that starts it: a detached container outlives that command and its
// session, whose cgroup systemd (or whatever started it) may tear down; a fixed place
// is found by every later command from any session, as docker's is.
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HxError } from '../errors.js';
import type { HostMode } from '../host/mode.js';
import { cgroupHost, type CgroupManager, type Controller, type Resources } from '../runtime/cgroups/index.js';
import { removeDir } from '../runtime/cgroups/v1.js';

/** What the record keeps (ContainerSpec.cgroup). */
export interface CgroupSettings {
  /** --cgroups: disabled gives the container no cgroup of its own. */
  mode: 'enabled' | 'disabled';
  /** --cgroup-parent, normalised ("a/b"); '' for the default. */
  parent: string;
  resources: Resources;
  /** --oom-score-adj (0: leave the inherited value). */
  oomScoreAdj: number;
}

/** containers/<id>/cgroup.json: the cgroup as made. */
export interface CgroupPlace {
  version: 'v1' | 'v2';
  /** Beneath each hierarchy's root: "hx/hx-<id>". */
  path: string;
  /** The cgroup.procs files the first process is written to. */
  procs: string[];
  /** memory.oom_control (v1) or memory.events (v2): the oom_kill counter. */
  oomFile?: string;
  /** v1 `tasks` files: the first process joins through them itself (selfJoinFiles). */
  tasks?: string[];
}

/** A made cgroup with the manager that can act on it. */
export interface ContainerCgroup extends CgroupPlace {
  manager: CgroupManager;
}

const FLAG_CONTROLLER: Record<string, Controller> = {
  '--memory': 'memory',
  '--memory-reservation': 'memory',
  '--memory-swap': 'memory',
  '--memory-swappiness': 'memory',
  '--oom-kill-disable': 'memory',
  '--cpus': 'cpu',
  '--cpu-shares': 'cpu',
  '--cpu-period': 'cpu',
  '--cpu-quota': 'cpu',
  '--cpuset-cpus': 'cpuset',
  '--cpuset-mems': 'cpuset',
  '--pids-limit': 'pids',
  '--blkio-weight': 'blkio',
  '--device-read-bps': 'blkio',
  '--device-write-bps': 'blkio',
  '--device-read-iops': 'blkio',
  '--device-write-iops': 'blkio',
};

const DELEGATE_HINT =
  'to have limits rootless, boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1 where it is not the default) and delegate controllers to users: ' +
  'a drop-in /etc/systemd/system/user@.service.d/delegate.conf with "[Service]" and "Delegate=cpu cpuset io memory pids", then `systemctl daemon-reload` and log in again; ' +
  'or run as root; or run without limits: drop the limit flags (--cgroups disabled says so)';

/**
 * The create-time check: may a container with these settings be made here? LIMITS are the
 * flags that set one (docker-syntax's limitFlagsSet). Throws docker-style errors.
 */
export function checkCgroupSettings(mode: HostMode, s: CgroupSettings, limits: string[]): void {
  if (s.mode === 'disabled') {
    if (limits.length) {
      throw new HxError(`--cgroups disabled conflicts with ${limits.join(', ')}: a limit needs a cgroup`, {
        kind: 'invalid-argument',
        hint: `drop ${limits.length > 1 ? 'the limit flags' : limits[0]} or --cgroups disabled`,
      });
    }
    if (s.parent) throw new HxError('--cgroups disabled conflicts with --cgroup-parent', { kind: 'invalid-argument', hint: 'drop one of them' });
    return;
  }
  const host = cgroupHost(mode.rootless);
  for (const flag of limits) {
    const controller = FLAG_CONTROLLER[flag]!;
    const why = host.manager ? host.manager.missing(controller) : host.why;
    if (why === undefined) continue;
    const who = mode.rootless ? ` to user ${mode.uid}` : '';
    throw new HxError(`${flag} needs the cgroup ${controller === 'blkio' && host.version === 'v2' ? 'io' : controller} controller, which is not available${who}: ${why}`, {
      kind: 'host-setup',
      hint: mode.rootless ? DELEGATE_HINT : `mount the ${controller} cgroup controller, or drop ${flag}`,
    });
  }
  if (s.parent && !host.manager) {
    throw new HxError(`--cgroup-parent needs a cgroup hx can write, and there is none${mode.rootless ? ` for user ${mode.uid}` : ''}: ${host.why}`, { kind: 'host-setup', hint: DELEGATE_HINT });
  }
}

/** Does this host give the container a cgroup (rootful, or rootless with delegation)? */
export function cgroupManagerFor(mode: HostMode, s: CgroupSettings | undefined): CgroupManager | undefined {
  if (!s || s.mode === 'disabled') return undefined;
  return cgroupHost(mode.rootless).manager;
}

export function cgroupPath(manager: CgroupManager, s: CgroupSettings, id: string): string {
  return `${s.parent || manager.defaultParent}/hx-${id}`;
}

const placeFile = (containerDir: string): string => join(containerDir, 'cgroup.json');

/** The files a container's first process joins its cgroup through by itself (v1), open
 * for writing: pass them in the plan, close them once it runs. [] for the parent to place it. */
export function openSelfJoin(cg: ContainerCgroup | undefined): number[] {
  const files = cg?.manager.selfJoinFiles?.(cg.path) ?? [];
  const fds: number[] = [];
  try {
    for (const f of files) fds.push(openSync(f, 'w'));
  } catch (e) {
    closeAll(fds);
    throw new HxError(`cannot open the container's cgroup: ${(e as Error).message}`, { kind: 'host-setup', cause: e });
  }
  return fds;
}

export function closeAll(fds: number[]): void {
  for (const fd of fds.splice(0)) closeSync(fd);
}

/**
 * Make the container's cgroup with its limits (before its first process is cloned) and
 * record where it is. Undefined: it gets none (disabled, or rootless without delegation
 * and no limits asked for).
 */
export function makeContainerCgroup(mode: HostMode, s: CgroupSettings | undefined, id: string, containerDir: string): ContainerCgroup | undefined {
  const manager = cgroupManagerFor(mode, s);
  if (!manager || !s) return undefined;
  const path = cgroupPath(manager, s, id);
  try {
    manager.create(path, s.resources);
  } catch (e) {
    try {
      manager.remove(path);
    } catch {
      /* the sweep retries */
    }
    throw new HxError(`cannot set up the container's cgroup ${path}: ${(e as Error).message}`, { kind: 'host-setup', cause: e, hint: 'check the limits against the host (cat /proc/self/cgroup, ls /sys/fs/cgroup)' });
  }
  const oomFile = manager.oomFile(path);
  const tasks = manager.selfJoinFiles?.(path);
  const place: CgroupPlace = { version: manager.version, path, procs: manager.procsFiles(path), ...(oomFile ? { oomFile } : {}), ...(tasks ? { tasks } : {}) };
  writeFileSync(placeFile(containerDir), JSON.stringify(place));
  return { ...place, manager };
}

/** The container's cgroup as recorded, with a manager for this host. */
export function containerCgroup(mode: HostMode, containerDir: string): ContainerCgroup | undefined {
  const place = readPlace(containerDir);
  const manager = place && cgroupHost(mode.rootless).manager;
  return place && manager && manager.version === place.version ? { ...place, manager } : undefined;
}

function readPlace(containerDir: string): CgroupPlace | undefined {
  try {
    return JSON.parse(readFileSync(placeFile(containerDir), 'utf8')) as CgroupPlace;
  } catch {
    return undefined;
  }
}

/** Is the container frozen (`hx pause`)? Read from its freezer, the only truth there is. */
export function cgroupFrozen(mode: HostMode, containerDir: string): boolean {
  const cg = containerCgroup(mode, containerDir);
  return cg?.manager.frozen(cg.path) === true;
}

/** Is it frozen, from the recorded directories alone (the state reader has no manager)? */
export function recordedFrozen(containerDir: string): boolean {
  const place = readPlace(containerDir);
  for (const procs of place?.procs ?? []) {
    const v = readTrim(join(dirname(procs), place!.version === 'v1' ? 'freezer.state' : 'cgroup.freeze'));
    if (v !== undefined) return place!.version === 'v1' ? v !== 'THAWED' : v === '1';
  }
  return false;
}

/** The OOM kill counter now (0 without a memory cgroup). */
export function oomKills(cg: ContainerCgroup | undefined): number {
  return cg ? cg.manager.oomKills(cg.path) : 0;
}

/** Remove the container's cgroup (its processes are gone) and its record of it. Works
 * from the recorded directories alone, so the sweep needs no manager. */
export function removeContainerCgroup(containerDir: string): void {
  const place = readPlace(containerDir);
  if (!place) return;
  for (const procs of place.procs) {
    const dir = procs.slice(0, -'/cgroup.procs'.length);
    try {
      removeDir(dir);
    } catch (e) {
      throw new HxError(`cannot remove the container's cgroup ${dir}: ${(e as Error).message}`, {
        kind: 'conflict',
        cause: e,
        hint: `processes are still in it (cat ${procs}); try again once they have exited`,
      });
    }
  }
  rmSync(placeFile(containerDir), { force: true });
}

/** Write --oom-score-adj for PID (before it execs; children inherit it). */
export function setOomScoreAdj(pid: number, adj: number): void {
  if (adj !== 0) writeFileSync(`/proc/${pid}/oom_score_adj`, String(adj));
}

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** What the daemon's checks compare against: online CPUs, and the CPUs and memory nodes on offer. */
export function resourceHostFacts(cpuCount: number): { cpus: number; cpusetCpus: string; cpusetMems: string } {
  const cpusetCpus = readTrim('/sys/fs/cgroup/cpuset/cpuset.effective_cpus') || readTrim('/sys/fs/cgroup/cpuset.cpus.effective') || readTrim('/sys/devices/system/cpu/online') || `0-${cpuCount - 1}`;
  const cpusetMems = readTrim('/sys/fs/cgroup/cpuset/cpuset.effective_mems') || readTrim('/sys/fs/cgroup/cpuset.mems.effective') || readTrim('/sys/devices/system/node/online') || '0';
  return { cpus: cpuCount, cpusetCpus, cpusetMems };
}
