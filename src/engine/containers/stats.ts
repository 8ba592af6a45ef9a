// `hx stats`: each container's CPU, memory, network, block I/O and pids, as docker's
// stats API gives them to its CLI. From the container's cgroup where it has one; for one
// without (rootless without delegation, --cgroups disabled), summed over the processes
// of its pid namespace from /proc (CPU time, RSS, I/O bytes: what /proc tells their owner).
// CPU % is CPU time over wall time between two samples (docker: the cgroup's delta over
// the host's, times the CPUs: the same number up to the host's idle accounting).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { containerCgroup } from '../../container/cgroup.js';
import { currentState, isRunning } from '../../container/state.js';
import type { CgroupSample } from '../../runtime/cgroups/index.js';
import type { ContainerRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { findContainer } from './lookup.js';

export interface StatsEntry {
  id: string;
  name: string;
  running: boolean;
  /** Percent of one CPU (200 = two CPUs busy). */
  cpuPercent: number;
  memUsage: number;
  memLimit: number;
  memPercent: number;
  netRx: number;
  netTx: number;
  blkRead: number;
  blkWrite: number;
  pids: number;
  /** Where the numbers come from. */
  source: 'cgroup' | 'proc' | 'none';
}

interface Raw extends CgroupSample {
  at: number;
  netRx: number;
  netTx: number;
  source: StatsEntry['source'];
}

const CLK_TCK = 100; // USER_HZ on every Linux ABI hx runs on

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function nsInode(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Bytes in and out of every interface but lo of PID's network namespace (none for
 * --network host: docker counts a container's own networks only). */
function netIO(pid: number): { rx: number; tx: number } {
  const ns = nsInode(`/proc/${pid}/ns/net`);
  if (ns === undefined || ns === nsInode('/proc/self/ns/net')) return { rx: 0, tx: 0 };
  let rx = 0;
  let tx = 0;
  for (const line of (read(`/proc/${pid}/net/dev`) ?? '').split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() === 'lo') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/);
    rx += Number(f[0]) || 0;
    tx += Number(f[8]) || 0;
  }
  return { rx, tx };
}

const nsOf = (pid: number): string | undefined => nsInode(`/proc/${pid}/ns/pid`);

/** The container's processes summed from /proc (no cgroup to ask). */
function procSample(pid: number): CgroupSample {
  const ns = nsOf(pid);
  const s: CgroupSample = { cpuNs: 0, memUsage: 0, memLimit: 0, pids: 0, blkRead: 0, blkWrite: 0 };
  if (!ns) return s;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || nsOf(Number(name)) !== ns) continue;
    const stat = read(`/proc/${name}/stat`);
    if (!stat) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields from 3 on: utime is 14, stime 15, rss 24 (pages)
    s.cpuNs += ((Number(f[11]) || 0) + (Number(f[12]) || 0)) * (1e9 / CLK_TCK);
    s.memUsage += (Number(f[21]) || 0) * 4096;
    s.pids += 1;
    const io = read(`/proc/${name}/io`) ?? '';
    s.blkRead += Number(/^read_bytes: (\d+)/m.exec(io)?.[1] ?? 0);
    s.blkWrite += Number(/^write_bytes: (\d+)/m.exec(io)?.[1] ?? 0);
  }
  return s;
}

function rawSample(ctx: EngineContext, rec: ContainerRecord, pid: number): Raw {
  const at = Number(process.hrtime.bigint());
  const cg = containerCgroup(ctx.mode, ctx.store.containerDir(rec.id));
  const fromCgroup = cg?.manager.sample(cg.path);
  const net = netIO(pid);
  return { ...(fromCgroup ?? procSample(pid)), at, netRx: net.rx, netTx: net.tx, source: fromCgroup ? 'cgroup' : 'proc' };
}

export interface StatsOptions {
  /** -a: stopped containers too (with zeros). */
  all?: boolean;
}

/**
 * A sampler over REFS (none: every running container, or all with -a). Each call of
 * next() samples them and returns the entries with CPU % since the previous call (the
 * first call's CPU % is since the one made when the sampler was created).
 */
export function statsSampler(ctx: EngineContext, refs: string[], o: StatsOptions = {}): { next(): StatsEntry[] } {
  const store = ctx.store;
  const named = refs.map((r) => findContainer(store, r)); // docker: No such container, at once
  const prev = new Map<string, Raw>();
  const hostMem = totalmem();
  const take = (): StatsEntry[] => {
    const recs = named.length ? named.map((r) => store.getContainer(r.id) ?? r) : store.listContainers().sort((a, b) => b.created.localeCompare(a.created));
    const out: StatsEntry[] = [];
    for (const rec of recs) {
      const st = currentState(store, rec);
      const running = isRunning(st) && st.pid > 0;
      if (!running && !named.length && !o.all) continue;
      const zero: StatsEntry = { id: rec.id, name: rec.name, running: false, cpuPercent: 0, memUsage: 0, memLimit: 0, memPercent: 0, netRx: 0, netTx: 0, blkRead: 0, blkWrite: 0, pids: 0, source: 'none' };
      if (!running) {
        prev.delete(rec.id);
        out.push(zero);
        continue;
      }
      const raw = rawSample(ctx, rec, st.pid);
      const before = prev.get(rec.id);
      prev.set(rec.id, raw);
      const limit = raw.memLimit > 0 && raw.memLimit < hostMem ? raw.memLimit : hostMem;
      const wall = before ? raw.at - before.at : 0;
      out.push({
        ...zero,
        running: true,
        cpuPercent: before && wall > 0 ? (Math.max(0, raw.cpuNs - before.cpuNs) / wall) * 100 : 0,
        memUsage: raw.memUsage,
        memLimit: limit,
        memPercent: limit > 0 ? (raw.memUsage / limit) * 100 : 0,
        netRx: raw.netRx,
        netTx: raw.netTx,
        blkRead: raw.blkRead,
        blkWrite: raw.blkWrite,
        pids: raw.pids,
        source: raw.source,
      });
    }
    return out;
  };
  take(); // the baseline for the first CPU %
  return { next: take };
}
