// From a profile to per-syscall rules for one container: docker's includes/excludes (caps, arches,
// minKernel) decide which entries apply, names become this arch's numbers (names the arch lacks are
// skipped, as libseccomp does), and actions become SECCOMP_RET_* values.
import { release } from 'node:os';
import {
  SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE, SECCOMP_RET_TRAP,
} from './bpf.js';
import type { SeccompActionName, SeccompArg, SeccompFilter, SeccompProfile } from './profile.js';
import { normalizeCapability } from './profile.js';
import type { ArchInfo } from './tables.js';

const EPERM = 1;

export interface KernelVersion {
  major: number;
  minor: number;
}

/** One rule for one syscall: all conditions must hold (AND) for `action` to apply. */
export interface ResolvedRule {
  action: number;
  conditions: SeccompArg[];
}

export interface ResolvedProfile {
  defaultAction: number;
  /** By syscall number, in profile order. */
  rules: Map<number, ResolvedRule[]>;
  /** Names the profile uses that this arch has no number for (skipped). */
  skippedNames: string[];
}

export interface ResolveOptions {
  capabilities: Iterable<string>;
  arch: ArchInfo;
  kernel?: KernelVersion;
}

export function actionValue(action: SeccompActionName, errnoRet: number | undefined): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET_ALLOW;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET_ERRNO | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET_KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET_KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET_TRAP;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET_TRACE | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET_LOG;
  }
}

export function runningKernel(): KernelVersion {
  const m = /^(\d+)\.(\d+)/.exec(release());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : { major: 0, minor: 0 };
}

function atLeast(kernel: KernelVersion, min: KernelVersion): boolean {
  return kernel.major !== min.major ? kernel.major > min.major : kernel.minor >= min.minor;
}

/** docker's rule: includes need every listed cap, the arch among the arches, a new enough kernel. */
function included(f: SeccompFilter, caps: Set<string>, goArch: string, kernel: KernelVersion): boolean {
  if (f.caps.some((c) => !caps.has(c))) return false;
  if (f.arches.length > 0 && !f.arches.includes(goArch)) return false;
  if (f.minKernel && !atLeast(kernel, f.minKernel)) return false;
  return true;
}

/** ... and excludes drop the entry if any listed cap is held, the arch is listed, or the kernel is new enough. */
function excluded(f: SeccompFilter, caps: Set<string>, goArch: string, kernel: KernelVersion): boolean {
  if (f.caps.some((c) => caps.has(c))) return true;
  if (f.arches.includes(goArch)) return true;
  if (f.minKernel && atLeast(kernel, f.minKernel)) return true;
  return false;
}

export function resolveProfile(profile: SeccompProfile, options: ResolveOptions): ResolvedProfile {
  const caps = new Set([...options.capabilities].map(normalizeCapability));
  const kernel = options.kernel ?? runningKernel();
  const { goArch, syscalls } = options.arch;
  const rules = new Map<number, ResolvedRule[]>();
  const skipped = new Set<string>();
  for (const entry of profile.syscalls) {
    if (!included(entry.includes, caps, goArch, kernel) || excluded(entry.excludes, caps, goArch, kernel)) continue;
    const action = actionValue(entry.action, entry.errnoRet);
    // runc turns several comparisons of the same argument into separate rules (OR), since
    // libseccomp cannot AND two comparisons of one argument; comparisons of distinct arguments AND.
    const indexes = entry.args.map((a) => a.index);
    const repeated = new Set(indexes).size !== indexes.length;
    const conditionSets = repeated ? entry.args.map((a) => [a]) : [entry.args];
    for (const name of entry.names) {
      if (!Object.hasOwn(syscalls, name)) {
        skipped.add(name);
        continue;
      }
      const nr = syscalls[name]!;
      const list = rules.get(nr) ?? [];
      for (const conditions of conditionSets) list.push({ action, conditions });
      rules.set(nr, list);
    }
  }
  return {
    defaultAction: actionValue(profile.defaultAction, profile.defaultErrnoRet),
    rules,
    skippedNames: [...skipped].sort(),
  };
}
