// cgroup v2: one tree. The container's cgroup is ROOT/<path>; every level above it gets
// the controllers it needs in cgroup.subtree_control (allowed because hx never puts a
// process in those intermediate levels: the no-internal-processes rule). Rootful, ROOT is
// /sys/fs/cgroup and the default parent hx.slice; rootless, ROOT is the subtree delegated
// to the user (systemd's user@UID.service), found by the caller. File names and
// conversions as runc's libcontainer/cgroups/fs2. Not exercised on the development host
// (cgroup v1): the unit tests run it against a directory laid out like cgroupfs.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deviceNumber, keyedValue, readNumber, readText, sleepMs, type CgroupManager, type CgroupSample, type Controller, type Resources } from './types.js';
import { removeDir } from './v1.js';

const V2_NAME: Record<Controller, string> = { memory: 'memory', cpu: 'cpu', cpuset: 'cpuset', pids: 'pids', blkio: 'io' };

function write(path: string, value: string | number): void {
  writeFileSync(path, String(value));
}

/** runc's shares -> weight: [2, 262144] onto [1, 10000]. */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** cpu.max: "QUOTA PERIOD" in microseconds, "max" for no quota. */
export function cpuMax(r: Partial<Resources>): string | undefined {
  if (r.NanoCpus) return `${Math.round((r.NanoCpus * 100000) / 1e9)} 100000`;
  if (r.CpuQuota || r.CpuPeriod) return `${r.CpuQuota && r.CpuQuota > 0 ? r.CpuQuota : 'max'} ${r.CpuPeriod || 100000}`;
  return undefined;
}

/** io.max lines, one per device: "MAJ:MIN rbps=N wbps=N riops=N wiops=N" (0 is "max"). */
export function ioMax(r: Partial<Resources>, number = deviceNumber): string[] {
  const byDevice = new Map<string, string[]>();
  const keys = [
    [r.BlkioDeviceReadBps, 'rbps'],
    [r.BlkioDeviceWriteBps, 'wbps'],
    [r.BlkioDeviceReadIOps, 'riops'],
    [r.BlkioDeviceWriteIOps, 'wiops'],
  ] as const;
  for (const [devices, key] of keys) {
    for (const d of devices ?? []) {
      const dev = number(d.Path);
      byDevice.set(dev, [...(byDevice.get(dev) ?? []), `${key}=${d.Rate > 0 ? d.Rate : 'max'}`]);
    }
  }
  return [...byDevice].map(([dev, kv]) => `${dev} ${kv.join(' ')}`);
}

export class CgroupV2 implements CgroupManager {
  readonly version = 'v2';

  /** ROOT: the top of the tree hx may write; AVAILABLE: controllers enabled for ROOT's children. */
  constructor(
    private readonly root: string,
    private readonly available: Set<string>,
    readonly defaultParent: string,
    private readonly why = 'not enabled in the cgroup hx may use',
  ) {}

  missing(c: Controller): string | undefined {
    return this.available.has(V2_NAME[c]) ? undefined : `the ${V2_NAME[c]} controller is ${this.why}`;
  }

  hasBlkioWeight(): boolean {
    return this.available.has('io');
  }

  private dir(path: string): string {
    return join(this.root, path);
  }

  create(path: string, r: Resources): void {
    const wanted = [...this.available].filter((c) => ['memory', 'cpu', 'cpuset', 'pids', 'io'].includes(c));
    let d = this.root;
    for (const part of path.split('/')) {
      // enable in the parent before making the child, so the child has the files
      const have = new Set((readText(join(d, 'cgroup.subtree_control')) ?? '').split(/\s+/).filter(Boolean));
      const add = wanted.filter((c) => !have.has(c));
      if (add.length) write(join(d, 'cgroup.subtree_control'), add.map((c) => `+${c}`).join(' '));
      d = join(d, part);
      mkdirSync(d, { recursive: true });
    }
    this.apply(path, r);
  }

  apply(path: string, r: Partial<Resources>): void {
    const d = this.dir(path);
    const set = (file: string, v: string | number | undefined): void => {
      if (v !== undefined) write(join(d, file), v);
    };
    if (r.Memory !== undefined) set('memory.max', r.Memory > 0 ? r.Memory : 'max');
    if (r.MemoryReservation) set('memory.low', r.MemoryReservation);
    // v2 swap is on top of memory: docker's MemorySwap is memory + swap
    if (r.MemorySwap !== undefined && r.MemorySwap !== 0 && existsSync(join(d, 'memory.swap.max'))) {
      set('memory.swap.max', r.MemorySwap < 0 ? 'max' : Math.max(0, r.MemorySwap - (r.Memory ?? 0)));
    }
    if (r.OomKillDisable) set('memory.oom.group', 0);
    if (r.CpuShares) set('cpu.weight', sharesToWeight(r.CpuShares));
    set('cpu.max', cpuMax(r));
    if (r.CpusetCpus) set('cpuset.cpus', r.CpusetCpus);
    if (r.CpusetMems) set('cpuset.mems', r.CpusetMems);
    if (r.PidsLimit !== undefined && r.PidsLimit !== null) set('pids.max', r.PidsLimit > 0 ? r.PidsLimit : 'max');
    if (r.BlkioWeight) set(existsSync(join(d, 'io.bfq.weight')) ? 'io.bfq.weight' : 'io.weight', r.BlkioWeight);
    for (const line of ioMax(r)) set('io.max', line);
  }

  procsFiles(path: string): string[] {
    return [join(this.dir(path), 'cgroup.procs')];
  }

  add(path: string, pid: number): void {
    write(join(this.dir(path), 'cgroup.procs'), pid);
  }

  oomFile(path: string): string {
    return join(this.dir(path), 'memory.events');
  }

  oomKills(path: string): number {
    return keyedValue(readText(this.oomFile(path)) ?? '', 'oom_kill') ?? 0;
  }

  exists(path: string): boolean {
    return existsSync(this.dir(path));
  }

  frozen(path: string): boolean | undefined {
    const v = readText(join(this.dir(path), 'cgroup.freeze'))?.trim();
    return v === undefined ? undefined : v === '1';
  }

  setFrozen(path: string, frozen: boolean): void {
    const d = this.dir(path);
    write(join(d, 'cgroup.freeze'), frozen ? 1 : 0);
    // cgroup.events says "frozen 1" once every task has stopped
    for (let i = 0; i < 1000; i++) {
      if (keyedValue(readText(join(d, 'cgroup.events')) ?? '', 'frozen') === (frozen ? 1 : 0)) return;
      sleepMs(1);
    }
    throw new Error(`the cgroup ${path} did not ${frozen ? 'freeze' : 'thaw'}`);
  }

  sample(path: string): CgroupSample | undefined {
    const d = this.dir(path);
    if (!existsSync(d)) return undefined;
    const usage = readNumber(join(d, 'memory.current')) ?? 0;
    const inactive = keyedValue(readText(join(d, 'memory.stat')) ?? '', 'inactive_file') ?? 0;
    const limit = readNumber(join(d, 'memory.max')) ?? 0;
    const io = { read: 0, write: 0 };
    for (const line of (readText(join(d, 'io.stat')) ?? '').split('\n')) {
      for (const kv of line.split(' ').slice(1)) {
        const [k, v] = kv.split('=');
        if (k === 'rbytes') io.read += Number(v) || 0;
        if (k === 'wbytes') io.write += Number(v) || 0;
      }
    }
    return {
      cpuNs: (keyedValue(readText(join(d, 'cpu.stat')) ?? '', 'usage_usec') ?? 0) * 1000,
      memUsage: usage > inactive ? usage - inactive : usage,
      memLimit: Number.isFinite(limit) ? limit : 0,
      pids: readNumber(join(d, 'pids.current')) ?? 0,
      blkRead: io.read,
      blkWrite: io.write,
    };
  }

  remove(path: string): void {
    removeDir(this.dir(path));
  }
}
