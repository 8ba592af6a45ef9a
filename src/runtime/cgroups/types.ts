// One container cgroup, whatever the hierarchy: the interface the v1 and v2
// implementations share, and the file parsers both use. Paths given to a manager are
// relative to each hierarchy's root ("hx/hx-<id>"), as docker's cgroupfs driver names them.
import { readFileSync, statSync } from 'node:fs';
import type { Resources } from '../../moby/resources.js';

export type { Resources, ThrottleDevice } from '../../moby/resources.js';

/** "MAJOR:MINOR" of a device node (the kernel's dev_t encoding), for blkio/io files. */
export function deviceNumber(path: string): string {
  const st = statSync(path);
  if (!st.isBlockDevice()) throw new Error(`${path} is not a block device`);
  const dev = BigInt(st.rdev);
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** What `stats` shows of a cgroup, read at one instant. */
export interface CgroupSample {
  /** CPU time used by its processes, nanoseconds. */
  cpuNs: number;
  /** Memory used, without the inactive page cache (docker CLI's "usage - inactive_file"). */
  memUsage: number;
  /** Its memory limit; 0: none. */
  memLimit: number;
  pids: number;
  blkRead: number;
  blkWrite: number;
}

/** The controllers a limit needs, by their v1 names (v2 calls blkio io). */
export type Controller = 'memory' | 'cpu' | 'cpuset' | 'pids' | 'blkio';

export interface CgroupManager {
  readonly version: 'v1' | 'v2';
  /** The parent a container's cgroup goes under when --cgroup-parent is not given. */
  readonly defaultParent: string;
  /** Why CONTROLLER cannot be used, or undefined when it can. */
  missing(controller: Controller): string | undefined;
  /** Can a blkio/io weight be set (the kernel's I/O scheduler has weights)? */
  hasBlkioWeight(): boolean;
  /** Make PATH (and its parents) and write the limits. Idempotent: a restart reuses it. */
  create(path: string, r: Resources): void;
  /** Write the limits of R to an existing cgroup (`hx update`: only the fields given). */
  apply(path: string, r: Partial<Resources>): void;
  /** The files a pid is written to, to put a process in the cgroup (the monitor does it). */
  procsFiles(path: string): string[];
  /** Put PID in the cgroup (before it execs). */
  add(path: string, pid: number): void;
  /** The file with the OOM kill counter (v1 memory.oom_control, v2 memory.events). */
  oomFile(path: string): string | undefined;
  /** How many processes the OOM killer killed in it so far. */
  oomKills(path: string): number;
  exists(path: string): boolean;
  /** undefined: it has no freezer (v1 without the freezer hierarchy). */
  frozen(path: string): boolean | undefined;
  setFrozen(path: string, frozen: boolean): void;
  sample(path: string): CgroupSample | undefined;
  /** Remove it (its processes are gone; zombies still being reaped are waited for). */
  remove(path: string): void;
  /** Files the container's first process writes "0" to, to join the cgroup itself (v1
   * `tasks`; see v1.ts); undefined: the parent places it with add(). */
  selfJoinFiles?(path: string): string[];
}

/** The number after KEY in a "key value" file (memory.stat, memory.events, oom_control). */
export function keyedValue(text: string, key: string): number | undefined {
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0 && line.slice(0, sp) === key) return Number(line.slice(sp + 1));
  }
  return undefined;
}

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function readNumber(path: string): number | undefined {
  const t = readText(path)?.trim();
  if (t === undefined || t === '') return undefined;
  if (t === 'max') return Infinity;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** The kernel's "unlimited" for v1 byte limits (LONG_MAX rounded down to a page). */
export const V1_UNLIMITED = 9223372036854771712;

/** Wait for a rmdir to succeed: a cgroup stays busy until its zombies are reaped. */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
