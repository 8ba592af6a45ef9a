// docker's resource flags (run, create, update) to HostConfig's resource fields, with the
// CLI's value parsing (opts.MemBytes, NanoCPUs, pflag Int64) and the daemon's checks
// (moby daemon_unix.go verifyPlatformContainerResources, adaptContainerSettings). Host
// facts (CPU count, the cpusets on offer) come in as arguments: this module reads nothing.
import { UsageError } from '../../errors.js';
import type { Resources } from '../../moby/resources.js';
import { validateCpuset } from './cpuset.js';
import { invalidFlagArgument } from './flag-error.js';
import {
  adjustCpuShares,
  parseThrottleBpsDevice,
  parseThrottleIOpsDevice,
  type ThrottleDevice,
  defaultMemorySwap,
  parseBlkioWeight,
  parseCpuShares,
  parseMemorySwap,
  parseNanoCpus,
  ramInBytes,
  validateBlkioWeight,
  validateMemory,
  validateNanoCpus,
} from './units.js';

/** The flags as typed (strings where docker parses a unit; numbers from pflag ints). */
export interface ResourceFlags {
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  memorySwappiness?: number;
  kernelMemory?: string;
  oomKillDisable?: boolean;
  cpus?: string;
  cpuShares?: string;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number;
  blkioWeight?: string;
  /** --device-read-bps /dev/sda:1mb ... (each repeatable) */
  deviceReadBps?: string[];
  deviceWriteBps?: string[];
  deviceReadIOps?: string[];
  deviceWriteIOps?: string[];
}

export type { Resources } from '../../moby/resources.js';

export const NO_RESOURCES: Resources = {
  Memory: 0,
  MemoryReservation: 0,
  MemorySwap: 0,
  MemorySwappiness: null,
  KernelMemory: 0,
  OomKillDisable: false,
  NanoCpus: 0,
  CpuShares: 0,
  CpuPeriod: 0,
  CpuQuota: 0,
  CpusetCpus: '',
  CpusetMems: '',
  PidsLimit: null,
  BlkioWeight: 0,
  BlkioDeviceReadBps: null,
  BlkioDeviceWriteBps: null,
  BlkioDeviceReadIOps: null,
  BlkioDeviceWriteIOps: null,
};

/** The throttle fields and their flags. */
export const THROTTLE_FLAGS = [
  ['BlkioDeviceReadBps', '--device-read-bps'],
  ['BlkioDeviceWriteBps', '--device-write-bps'],
  ['BlkioDeviceReadIOps', '--device-read-iops'],
  ['BlkioDeviceWriteIOps', '--device-write-iops'],
] as const;

/** What the host offers, for the daemon's checks. */
export interface ResourceHost {
  /** Online CPUs (runtime.NumCPU). */
  cpus: number;
  /** cpuset.cpus / cpuset.mems the container's parent offers ("0-1"). */
  cpusetCpus: string;
  cpusetMems: string;
}

/** The limit fields a user set: what needs a cgroup (KernelMemory is ignored, as docker does). */
export function limitFlagsSet(r: Resources): string[] {
  const set: string[] = [];
  if (r.Memory) set.push('--memory');
  if (r.MemoryReservation) set.push('--memory-reservation');
  if (r.MemorySwap && !r.Memory) set.push('--memory-swap'); // with --memory it adds no controller
  if (r.MemorySwappiness !== null) set.push('--memory-swappiness');
  if (r.OomKillDisable) set.push('--oom-kill-disable');
  if (r.NanoCpus) set.push('--cpus');
  if (r.CpuShares) set.push('--cpu-shares');
  if (r.CpuPeriod) set.push('--cpu-period');
  if (r.CpuQuota) set.push('--cpu-quota');
  if (r.CpusetCpus) set.push('--cpuset-cpus');
  if (r.CpusetMems) set.push('--cpuset-mems');
  if (r.PidsLimit !== null && r.PidsLimit > 0) set.push('--pids-limit');
  if (r.BlkioWeight) set.push('--blkio-weight');
  for (const [field, flag] of THROTTLE_FLAGS) if (r[field]?.length) set.push(flag);
  return set;
}

function size(value: string | undefined, flag: string, parse: (s: string) => number): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parse(value);
  } catch (e) {
    throw invalidFlagArgument(value, flag, e);
  }
}

/** The CLI half: each flag's value parsed as docker's pflag types do. Only the fields given. */
export function parseResourceFlags(f: ResourceFlags): Partial<Resources> {
  const r: Partial<Resources> = {};
  const memory = size(f.memory, '-m, --memory', ramInBytes);
  if (memory !== undefined) r.Memory = memory;
  const reservation = size(f.memoryReservation, '--memory-reservation', ramInBytes);
  if (reservation !== undefined) r.MemoryReservation = reservation;
  const swap = size(f.memorySwap, '--memory-swap', parseMemorySwap);
  if (swap !== undefined) r.MemorySwap = swap;
  const kernel = size(f.kernelMemory, '--kernel-memory', ramInBytes);
  if (kernel !== undefined) r.KernelMemory = kernel;
  // docker's default for --memory-swappiness is -1: "use the host's"
  if (f.memorySwappiness !== undefined && f.memorySwappiness !== -1) r.MemorySwappiness = f.memorySwappiness;
  if (f.oomKillDisable) r.OomKillDisable = true;
  if (f.cpus !== undefined) {
    try {
      r.NanoCpus = Number(parseNanoCpus(f.cpus));
    } catch (e) {
      throw invalidFlagArgument(f.cpus, '--cpus', e);
    }
  }
  if (f.cpuShares !== undefined) {
    try {
      r.CpuShares = Number(parseCpuShares(f.cpuShares));
    } catch (e) {
      throw invalidFlagArgument(f.cpuShares, '-c, --cpu-shares', e);
    }
  }
  if (f.cpuQuota !== undefined) r.CpuQuota = f.cpuQuota;
  if (f.cpuPeriod !== undefined) r.CpuPeriod = f.cpuPeriod;
  if (f.cpusetCpus !== undefined) r.CpusetCpus = f.cpusetCpus;
  if (f.cpusetMems !== undefined) r.CpusetMems = f.cpusetMems;
  if (f.pidsLimit !== undefined) r.PidsLimit = f.pidsLimit;
  if (f.blkioWeight !== undefined) {
    try {
      r.BlkioWeight = parseBlkioWeight(f.blkioWeight);
    } catch (e) {
      throw invalidFlagArgument(f.blkioWeight, '--blkio-weight', e);
    }
  }
  const throttles = (values: string[] | undefined, flag: string, parse: (v: string) => ThrottleDevice): ThrottleDevice[] | undefined => {
    if (!values?.length) return undefined;
    return values.map((v) => {
      try {
        return parse(v);
      } catch (e) {
        throw invalidFlagArgument(v, flag, e);
      }
    });
  };
  const rbps = throttles(f.deviceReadBps, '--device-read-bps', parseThrottleBpsDevice);
  if (rbps) r.BlkioDeviceReadBps = rbps;
  const wbps = throttles(f.deviceWriteBps, '--device-write-bps', parseThrottleBpsDevice);
  if (wbps) r.BlkioDeviceWriteBps = wbps;
  const riops = throttles(f.deviceReadIOps, '--device-read-iops', parseThrottleIOpsDevice);
  if (riops) r.BlkioDeviceReadIOps = riops;
  const wiops = throttles(f.deviceWriteIOps, '--device-write-iops', parseThrottleIOpsDevice);
  if (wiops) r.BlkioDeviceWriteIOps = wiops;
  return r;
}

/**
 * The daemon half: moby's checks in its order, then its adjustments (swap defaults to
 * twice the memory, shares moved into range, pids <= 0 unlimited). Returns the resources
 * to record and docker's warnings. UPDATE: `docker update`'s rules (swap alone allowed).
 */
export function checkResources(given: Partial<Resources>, host: ResourceHost, update = false): { resources: Resources; warnings: string[] } {
  const r: Resources = { ...NO_RESOURCES, ...given };
  const warnings: string[] = [];
  validateMemory({ memory: r.Memory, memorySwap: r.MemorySwap, memoryReservation: r.MemoryReservation }, update);
  if (r.MemorySwappiness !== null && (r.MemorySwappiness < 0 || r.MemorySwappiness > 100)) {
    throw new UsageError(`Invalid value: ${r.MemorySwappiness}, valid memory swappiness range is 0-100`, 'use --memory-swappiness from 0 to 100');
  }
  if (r.KernelMemory) {
    warnings.push('Specifying a kernel memory limit is deprecated and will be removed in a future release.');
    warnings.push('Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
    r.KernelMemory = 0;
  }
  if (r.OomKillDisable && r.Memory === 0) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  if (r.NanoCpus && r.CpuPeriod) throw new UsageError('Conflicting options: Nano CPUs and CPU Period cannot both be set', 'use --cpus, or --cpu-period with --cpu-quota');
  if (r.NanoCpus && r.CpuQuota) throw new UsageError('Conflicting options: Nano CPUs and CPU Quota cannot both be set', 'use --cpus, or --cpu-period with --cpu-quota');
  validateNanoCpus(BigInt(r.NanoCpus), host.cpus);
  if (r.CpuPeriod !== 0 && (r.CpuPeriod < 1000 || r.CpuPeriod > 1000000)) {
    throw new UsageError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)', 'use --cpu-period from 1000 to 1000000 (microseconds)');
  }
  if (r.CpuQuota > 0 && r.CpuQuota < 1000) throw new UsageError('CPU cfs quota can not be less than 1ms (i.e. 1000)', 'use --cpu-quota 1000 or more (microseconds)');
  if (r.CpusetCpus) validateCpuset(r.CpusetCpus, host.cpusetCpus, 'cpus');
  if (r.CpusetMems) validateCpuset(r.CpusetMems, host.cpusetMems, 'mems');
  validateBlkioWeight(r.BlkioWeight);
  const shares = adjustCpuShares(r.CpuShares);
  r.CpuShares = shares.shares;
  if (shares.warning) warnings.push(shares.warning);
  if (r.PidsLimit !== null && r.PidsLimit <= 0) r.PidsLimit = update ? -1 : null;
  if (!update) r.MemorySwap = defaultMemorySwap(r.Memory, r.MemorySwap);
  return { resources: r, warnings };
}

/** moby: --oom-score-adj within [-1000, 1000]. */
export function validateOomScoreAdj(adj: number): void {
  if (adj < -1000 || adj > 1000) throw new UsageError(`Invalid value ${adj}, range for oom score adj is [-1000, 1000]`, 'use a value from -1000 to 1000');
}

/**
 * --cgroup-parent: a cgroup path (docker's cgroupfs driver: absolute or relative to each
 * hierarchy's root). Normalised to "a/b"; ".." is refused so it cannot climb out.
 */
export function parseCgroupParent(value: string): string {
  const parts = value.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new UsageError(`invalid --cgroup-parent ${value}: ".." is not allowed`, 'name a cgroup path such as /hx or my.slice');
  return parts.join('/');
}

/** podman's --cgroups: enabled (default) or disabled (no cgroup of the container's own). */
export function parseCgroupsMode(value: string | undefined): 'enabled' | 'disabled' {
  if (value === undefined || value === 'enabled') return 'enabled';
  if (value === 'disabled') return 'disabled';
  if (value === 'no-conmon' || value === 'split') throw new UsageError(`--cgroups ${value} is podman's and not supported by hx`, 'use --cgroups enabled or disabled');
  throw new UsageError(`invalid cgroup mode "${value}"`, 'use --cgroups enabled or --cgroups disabled');
}
