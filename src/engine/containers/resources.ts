// The cgroup half of create and update: a request's resource fields checked as docker's
// daemon checks them (engine/docker-syntax/resources.ts) against this host, and against
// what cgroups this user may have (container/cgroup.ts), before anything is recorded.
import { availableParallelism } from 'node:os';
import { cgroupManagerFor, checkCgroupSettings, resourceHostFacts, type CgroupSettings } from '../../container/cgroup.js';
import type { HostMode } from '../../host/mode.js';
import { HxError } from '../../errors.js';
import { deviceNumber } from '../../runtime/cgroups/index.js';
import { checkResources, limitFlagsSet, NO_RESOURCES, parseCgroupParent, parseCgroupsMode, THROTTLE_FLAGS, validateOomScoreAdj, type Resources } from '../docker-syntax/resources.js';

/** The cgroup part of a create request (the Engine API's HostConfig fields). */
export interface CgroupRequest {
  resources?: Partial<Resources>;
  oomScoreAdj?: number;
  /** --cgroup-parent */
  parent?: string;
  /** --cgroups enabled|disabled */
  mode?: string;
}

/** Anything asked for at all (a --rootfs run has no record to keep it in). */
export function cgroupRequested(req: CgroupRequest | undefined): boolean {
  return req !== undefined && (Object.keys(req.resources ?? {}).length > 0 || !!req.oomScoreAdj || !!req.parent || (req.mode !== undefined && req.mode !== 'enabled'));
}

export function hostResourceFacts(): ReturnType<typeof resourceHostFacts> {
  return resourceHostFacts(availableParallelism());
}

/** moby getBlkioThrottleDevices: each throttled device must be a block device here. */
export function checkThrottleDevices(r: Partial<Resources>): void {
  for (const [field, flag] of THROTTLE_FLAGS) {
    for (const d of r[field] ?? []) {
      try {
        deviceNumber(d.Path);
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message;
        throw new HxError(`${flag} ${d.Path}: ${why}`, { kind: 'invalid-argument', hint: 'name a block device of this host, e.g. /dev/sda (lsblk lists them)' });
      }
    }
  }
}

/** The settings to record, and docker's warnings; throws docker's errors (exit 125). */
export function cgroupSettingsOf(mode: HostMode, req: CgroupRequest | undefined): { settings: CgroupSettings; warnings: string[] } {
  const { resources, warnings } = checkResources(req?.resources ?? {}, hostResourceFacts());
  checkThrottleDevices(resources);
  const oomScoreAdj = req?.oomScoreAdj ?? 0;
  validateOomScoreAdj(oomScoreAdj);
  const settings: CgroupSettings = {
    mode: parseCgroupsMode(req?.mode),
    parent: req?.parent ? parseCgroupParent(req.parent) : '',
    resources,
    oomScoreAdj,
  };
  const manager = cgroupManagerFor(mode, settings);
  if (resources.BlkioWeight && manager && !manager.hasBlkioWeight()) {
    // moby: a kernel without I/O weights (no CFQ/BFQ) discards it with this warning
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    resources.BlkioWeight = 0;
  }
  checkCgroupSettings(mode, settings, limitFlagsSet(resources));
  return { settings, warnings };
}

/** HostConfig's fields for inspect (docker's names; its defaults when unset). */
export function hostConfigResources(s: CgroupSettings | undefined): Record<string, unknown> {
  const r = s?.resources ?? NO_RESOURCES;
  return {
    ...r,
    PidsLimit: r.PidsLimit !== null && r.PidsLimit > 0 ? r.PidsLimit : null,
    OomScoreAdj: s?.oomScoreAdj ?? 0,
    CgroupParent: s?.parent ? `/${s.parent}` : '',
    Cgroups: s?.mode ?? 'enabled',
  };
}
