// What the figures were measured on: CPU (from /proc/cpuinfo), kernel, Node, and where the
// bench wrote its files (filesystem, free space, storage driver of the store).
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { filesystemOf } from '../host/filesystem.js';

export interface CpuDescription {
  model: string;
  /** Logical CPUs the kernel lists (what Node can run threads on). */
  logicalCpus: number;
  /** Physical cores ("cpu cores" x sockets), when /proc/cpuinfo says. */
  physicalCores?: number;
  /** SHA extensions (sha_ni / sha2) speed up sha256 several times: say whether they are there. */
  shaExtensions: boolean;
}

export interface SystemDescription {
  cpu: CpuDescription;
  kernel: string;
  node: string;
  mode: 'rootful' | 'rootless';
  storage: { driver: string; reason: string; root: string };
  workDir: { path: string; filesystem: string; freeBytes: number };
}

/** Parse the text of /proc/cpuinfo (x86 and arm64 layouts). */
export function parseCpuinfo(text: string): CpuDescription {
  const blocks = text.split(/\n\s*\n/).filter((b) => /^processor\s*:/m.test(b));
  const field = (block: string, name: string): string | undefined => {
    const m = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(block);
    return m ? m[1]!.trim() : undefined;
  };
  const first = blocks[0] ?? text;
  const model = field(first, 'model name') ?? field(text, 'Model') ?? field(first, 'CPU part') ?? 'unknown CPU';
  const sockets = new Set(blocks.map((b) => field(b, 'physical id')).filter((x) => x !== undefined));
  const coresPer = Number(field(first, 'cpu cores'));
  const flags = `${field(first, 'flags') ?? ''} ${field(first, 'Features') ?? ''}`.split(/\s+/);
  const desc: CpuDescription = {
    model,
    logicalCpus: blocks.length,
    shaExtensions: flags.includes('sha_ni') || flags.includes('sha2'),
  };
  if (Number.isInteger(coresPer) && coresPer > 0) desc.physicalCores = coresPer * Math.max(1, sockets.size);
  return desc;
}

export function describeCpu(): CpuDescription {
  try {
    const d = parseCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
    if (d.logicalCpus > 0) return d;
  } catch {
    /* not Linux procfs: fall back to Node's view */
  }
  const c = cpus();
  return { model: c[0]?.model ?? 'unknown CPU', logicalCpus: c.length, shaExtensions: false };
}

export function describeSystem(o: { mode: 'rootful' | 'rootless'; storage: SystemDescription['storage']; workDir: string }): SystemDescription {
  const fs = filesystemOf(o.workDir);
  return {
    cpu: describeCpu(),
    kernel: release(),
    node: process.version,
    mode: o.mode,
    storage: o.storage,
    workDir: { path: o.workDir, filesystem: fs.type, freeBytes: fs.freeBytes },
  };
}

/** One line for reports: "AMD EPYC (2 logical CPUs, SHA-NI), Linux 6.18, Node v20". */
export function systemLine(s: SystemDescription): string {
  const cores = s.cpu.physicalCores && s.cpu.physicalCores !== s.cpu.logicalCpus ? `${s.cpu.physicalCores} cores, ` : '';
  return `${s.cpu.model} (${cores}${s.cpu.logicalCpus} logical CPUs${s.cpu.shaExtensions ? ', SHA extensions' : ''}), Linux ${s.kernel}, Node ${s.node}`;
}
