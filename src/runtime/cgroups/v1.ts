// cgroup v1: one hierarchy per controller (or a few co-mounted), each with its own
// directory for the container: <mount>/<path> in memory, cpu, cpuacct, cpuset, pids,
// blkio and freezer. File names and semantics as runc's libcontainer/cgroups/fs.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deviceNumber, keyedValue, readNumber, readText, sleepMs, V1_UNLIMITED, type CgroupManager, type CgroupSample, type Controller, type Resources } from './types.js';

/** The controllers hx makes a directory in (devices is left alone: /dev is hx's own tmpfs). */
const USED = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'blkio', 'freezer'] as const;
type Used = (typeof USED)[number];

/** controller -> mount point, from /proc/self/mounts (fstype cgroup, controllers in the options). */
export function v1Mounts(mounts = readFileSync('/proc/self/mounts', 'utf8')): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of mounts.split('\n')) {
    const f = line.split(' ');
    if (f[2] !== 'cgroup' || !f[1] || !f[3]) continue;
    for (const opt of f[3].split(',')) if ((USED as readonly string[]).includes(opt)) out.set(opt, f[1].replace(/\\040/g, ' '));
  }
  return out;
}

function write(path: string, value: string | number): void {
  writeFileSync(path, String(value));
}

export class CgroupV1 implements CgroupManager {
  readonly version = 'v1';
  readonly defaultParent = 'hx';

  constructor(private readonly mounts: Map<string, string>) {}

  missing(c: Controller): string | undefined {
    return this.mounts.has(c) ? undefined : `the ${c} hierarchy is not mounted`;
  }

  hasBlkioWeight(): boolean {
    const m = this.mounts.get('blkio');
    return m !== undefined && (existsSync(join(m, 'blkio.weight')) || existsSync(join(m, 'blkio.bfq.weight')));
  }

  private dir(c: Used, path: string): string | undefined {
    const m = this.mounts.get(c);
    return m === undefined ? undefined : join(m, path);
  }

  /** One directory per mount (co-mounted controllers share one). */
  private dirs(path: string): string[] {
    return [...new Set([...this.mounts.values()])].map((m) => join(m, path));
  }

  create(path: string, r: Resources): void {
    for (const d of this.dirs(path)) mkdirSync(d, { recursive: true });
    // a new cpuset starts empty and takes no tasks: each level inherits its parent's
    const cs = this.mounts.get('cpuset');
    if (cs) {
      let d = cs;
      for (const part of path.split('/')) {
        const parent = d;
        d = join(d, part);
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          if ((readText(join(d, f)) ?? '').trim() === '') write(join(d, f), (readText(join(parent, f)) ?? '').trim() || '\n');
        }
      }
    }
    this.apply(path, r);
  }

  apply(path: string, r: Partial<Resources>): void {
    const mem = this.dir('memory', path);
    if (mem) {
      const limit = r.Memory !== undefined ? (r.Memory > 0 ? r.Memory : -1) : undefined;
      const swap = r.MemorySwap !== undefined && r.MemorySwap !== 0 ? r.MemorySwap : r.Memory !== undefined && r.Memory <= 0 ? -1 : undefined;
      const memsw = join(mem, 'memory.memsw.limit_in_bytes');
      const hasSwap = existsSync(memsw);
      const writeLimit = (): void => void (limit !== undefined && write(join(mem, 'memory.limit_in_bytes'), limit));
      const writeSwap = (): void => void (swap !== undefined && hasSwap && write(memsw, swap));
      // memsw must stay >= the memory limit: which goes first depends on the direction
      try {
        writeLimit();
        writeSwap();
      } catch {
        writeSwap();
        writeLimit();
      }
      if (r.MemoryReservation) write(join(mem, 'memory.soft_limit_in_bytes'), r.MemoryReservation);
      if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null) write(join(mem, 'memory.swappiness'), r.MemorySwappiness);
      if (r.OomKillDisable) write(join(mem, 'memory.oom_control'), 1);
    }
    const cpu = this.dir('cpu', path);
    if (cpu) {
      if (r.CpuShares) write(join(cpu, 'cpu.shares'), r.CpuShares);
      if (r.NanoCpus !== undefined && r.NanoCpus !== 0) {
        write(join(cpu, 'cpu.cfs_period_us'), 100000);
        write(join(cpu, 'cpu.cfs_quota_us'), Math.round((r.NanoCpus * 100000) / 1e9));
      } else {
        if (r.CpuPeriod) write(join(cpu, 'cpu.cfs_period_us'), r.CpuPeriod);
        if (r.CpuQuota) write(join(cpu, 'cpu.cfs_quota_us'), r.CpuQuota);
      }
    }
    const cs = this.dir('cpuset', path);
    if (cs) {
      if (r.CpusetCpus) write(join(cs, 'cpuset.cpus'), r.CpusetCpus);
      if (r.CpusetMems) write(join(cs, 'cpuset.mems'), r.CpusetMems);
    }
    const pids = this.dir('pids', path);
    if (pids && r.PidsLimit !== undefined && r.PidsLimit !== null) write(join(pids, 'pids.max'), r.PidsLimit > 0 ? r.PidsLimit : 'max');
    const blk = this.dir('blkio', path);
    if (blk && r.BlkioWeight) write(join(blk, existsSync(join(blk, 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight'), r.BlkioWeight);
    const throttles = [
      [r.BlkioDeviceReadBps, 'blkio.throttle.read_bps_device'],
      [r.BlkioDeviceWriteBps, 'blkio.throttle.write_bps_device'],
      [r.BlkioDeviceReadIOps, 'blkio.throttle.read_iops_device'],
      [r.BlkioDeviceWriteIOps, 'blkio.throttle.write_iops_device'],
    ] as const;
    // one "MAJOR:MINOR RATE" line per write; rate 0 removes the device's rule
    for (const [devices, file] of throttles) for (const d of devices ?? []) if (blk) write(join(blk, file), `${deviceNumber(d.Path)} ${d.Rate}`);
  }

  /**
   * A write of another task's pid to cgroup.procs takes cgroup_threadgroup_rwsem for
   * writing, which first waits for an RCU grace period unless one has just passed (5-12 ms
   * measured on the development host, against 0.05 ms here). A task writing "0" to `tasks`
   * moves itself without that lock, so the child joins by itself, through these files
   * (opened by the parent, written after the go-ahead). cgroup v2 has no such file (its
   * remedy would be CLONE_INTO_CGROUP); exec'd processes are still placed by the parent.
   */
  selfJoinFiles(path: string): string[] {
    return this.dirs(path).map((d) => join(d, 'tasks'));
  }

  procsFiles(path: string): string[] {
    return this.dirs(path).map((d) => join(d, 'cgroup.procs'));
  }

  add(path: string, pid: number): void {
    for (const f of this.procsFiles(path)) write(f, pid);
  }

  oomFile(path: string): string | undefined {
    const mem = this.dir('memory', path);
    return mem && join(mem, 'memory.oom_control');
  }

  oomKills(path: string): number {
    const f = this.oomFile(path);
    return (f && keyedValue(readText(f) ?? '', 'oom_kill')) || 0;
  }

  exists(path: string): boolean {
    const d = this.dirs(path)[0];
    return d !== undefined && existsSync(d);
  }

  frozen(path: string): boolean | undefined {
    const fz = this.dir('freezer', path);
    if (!fz) return undefined;
    const state = readText(join(fz, 'freezer.state'))?.trim();
    return state === undefined ? undefined : state !== 'THAWED';
  }

  setFrozen(path: string, frozen: boolean): void {
    const fz = this.dir('freezer', path);
    if (!fz) throw new Error('the freezer hierarchy is not mounted');
    const want = frozen ? 'FROZEN' : 'THAWED';
    // FREEZING until every task stopped: ask again until the kernel says it is done
    for (let i = 0; i < 1000; i++) {
      write(join(fz, 'freezer.state'), want);
      if (readText(join(fz, 'freezer.state'))?.trim() === want) return;
      sleepMs(1);
    }
    throw new Error(`the freezer of ${path} did not reach ${want}`);
  }

  sample(path: string): CgroupSample | undefined {
    const mem = this.dir('memory', path);
    if (!mem || !existsSync(mem)) return undefined;
    const acct = this.dir('cpuacct', path);
    const usage = readNumber(join(mem, 'memory.usage_in_bytes')) ?? 0;
    const inactive = keyedValue(readText(join(mem, 'memory.stat')) ?? '', 'total_inactive_file') ?? 0;
    const limit = readNumber(join(mem, 'memory.limit_in_bytes')) ?? 0;
    const pidsDir = this.dir('pids', path);
    const io = { read: 0, write: 0 };
    const blk = this.dir('blkio', path);
    for (const line of (blk ? readText(join(blk, 'blkio.throttle.io_service_bytes_recursive')) ?? '' : '').split('\n')) {
      const [, op, v] = line.split(' ');
      if (op === 'Read') io.read += Number(v) || 0;
      if (op === 'Write') io.write += Number(v) || 0;
    }
    return {
      cpuNs: (acct && readNumber(join(acct, 'cpuacct.usage'))) || 0,
      memUsage: usage > inactive ? usage - inactive : usage,
      memLimit: limit >= V1_UNLIMITED ? 0 : limit,
      pids: (pidsDir && readNumber(join(pidsDir, 'pids.current'))) || 0,
      blkRead: io.read,
      blkWrite: io.write,
    };
  }

  remove(path: string): void {
    for (const d of this.dirs(path)) removeDir(d);
  }
}

/** rmdir, retried for a second while the last tasks are reaped (EBUSY). */
export function removeDir(d: string): void {
  for (let i = 0; ; i++) {
    try {
      rmdirSync(d);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || i >= 200) throw e;
      sleepMs(5);
    }
  }
}
