// Profile -> classic BPF. Layout:
//   1. load seccomp_data.arch; anything but this arch's AUDIT_ARCH gets the bad-arch action;
//   2. load nr and walk a binary search tree (JGE on interval starts) over the whole 32-bit number
//      space cut into intervals of equal decision, so ~350 allowed syscalls cost ~2 instructions
//      per interval and a lookup ~log2(intervals) jumps;
//   3. leaves are a `ret` or, for syscalls with argument rules, the rules' comparisons inline.
// Argument values are u64 in seccomp_data but BPF words are 32 bits: every comparison checks the
// high word first and only looks at the low word when the high words are equal.
import {
  Assembler, argHighOffset, argLowOffset, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_MAXINSNS, type BpfInstruction, type Label,
  SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_LOG,
} from './bpf.js';
import { SeccompProfileError } from './errors.js';
import type { SeccompArg, SeccompProfile } from './profile.js';
import { type KernelVersion, type ResolvedRule, resolveProfile } from './resolve.js';
import { ARCHES, type ArchInfo, type SeccompArch } from './tables.js';

const ENOSYS = 38;
const U32_MAX = 0xffffffff;

export interface CompileOptions {
  /** The container's effective capabilities, e.g. ['CAP_CHOWN', ...] ("CHOWN" works too). */
  capabilities: Iterable<string>;
  arch: SeccompArch;
  /** For `minKernel`; defaults to the running kernel. */
  kernel?: KernelVersion;
}

export interface CompiledFilter {
  program: BpfInstruction[];
  /** Profile names this arch has no syscall number for (skipped, as libseccomp does). */
  skippedNames: string[];
}

/** What happens to a syscall number: a fixed return value, or argument rules then a fallback. */
type Decision = { ret: number } | { rules: ResolvedRule[]; fallback: number };

interface Interval {
  lo: number;
  hi: number;
  decision: Decision;
}

export function compileProfile(profile: SeccompProfile, options: CompileOptions): CompiledFilter {
  const arch = ARCHES[options.arch];
  const resolved = resolveProfile(profile, { capabilities: options.capabilities, arch, ...(options.kernel ? { kernel: options.kernel } : {}) });
  const intervals = buildIntervals(arch, resolved.rules, resolved.defaultAction);

  const asm = new Assembler();
  const archOk = asm.newLabel('arch_ok');
  const badArch = asm.newLabel('bad_arch');
  asm.loadWord(SECCOMP_DATA_ARCH);
  asm.jump(BPF_JEQ, arch.auditArch, archOk, badArch);
  asm.place(badArch);
  // Another ABI on this CPU (i386 via int 0x80, arm32 compat): its numbers mean other syscalls,
  // and no table for it is compiled in. libseccomp's default bad-arch action is a kill too.
  asm.ret(SECCOMP_RET_KILL_PROCESS);
  asm.place(archOk);
  asm.loadWord(SECCOMP_DATA_NR);
  emitTree(asm, intervals, 0, intervals.length - 1);
  const program = asm.assemble();
  if (program.length > BPF_MAXINSNS) {
    throw new SeccompProfileError(
      `seccomp profile ${profile.source} compiles to ${program.length} BPF instructions, more than the kernel's limit of ${BPF_MAXINSNS}`,
      'use fewer argument rules',
    );
  }
  return { program, skippedNames: resolved.skippedNames };
}

function decide(rules: ResolvedRule[] | undefined, otherwise: number): Decision {
  if (!rules) return { ret: otherwise };
  // Rules with conditions are tried first, in profile order (the first that matches decides);
  // an unconditional rule for the syscall is the fallback, else the default action.
  const conditional = rules.filter((r) => r.conditions.length > 0);
  const fallback = rules.find((r) => r.conditions.length === 0)?.action ?? otherwise;
  // Trailing rules that would give the fallback anyway change nothing.
  while (conditional.length > 0 && conditional[conditional.length - 1]!.action === fallback) conditional.pop();
  return conditional.length === 0 ? { ret: fallback } : { rules: conditional, fallback };
}

function buildIntervals(arch: ArchInfo, rules: Map<number, ResolvedRule[]>, defaultAction: number): Interval[] {
  const known = new Set(Object.values(arch.syscalls));
  const maxKnown = Math.max(...known);
  // Numbers the kernel table does not have answer ENOSYS, as the kernel itself would, so that
  // libc probing a syscall newer than this table falls back instead of failing with EPERM. A
  // profile whose default allows (or only logs) leaves them to the kernel.
  const permissive = defaultAction === SECCOMP_RET_ALLOW || defaultAction === SECCOMP_RET_LOG;
  const unknown = permissive ? defaultAction : (SECCOMP_RET_ERRNO | ENOSYS) >>> 0;
  // x32 calls on x86_64 (__X32_SYSCALL_BIT) are refused as a kernel without x32 support does:
  // their numbers are not checked by the rules above, so letting them through would bypass them.
  const foreign = (SECCOMP_RET_ERRNO | ENOSYS) >>> 0;

  const out: Interval[] = [];
  const push = (lo: number, hi: number, decision: Decision): void => {
    const last = out[out.length - 1];
    if (last && 'ret' in last.decision && 'ret' in decision && last.decision.ret === decision.ret && last.hi + 1 === lo) {
      last.hi = hi;
    } else {
      out.push({ lo, hi, decision });
    }
  };
  for (let nr = 0; nr <= maxKnown; nr++) push(nr, nr, decide(rules.get(nr), known.has(nr) ? defaultAction : unknown));
  const foreignFrom = arch.foreignAbiFrom ?? U32_MAX + 1;
  if (maxKnown + 1 < foreignFrom) push(maxKnown + 1, foreignFrom - 1, { ret: unknown });
  if (foreignFrom <= U32_MAX) push(foreignFrom, U32_MAX, { ret: foreign });
  return out;
}

/** Binary search on nr (in the accumulator) over intervals[from..to], which cover a contiguous range. */
function emitTree(asm: Assembler, intervals: Interval[], from: number, to: number): void {
  if (from === to) {
    emitDecision(asm, intervals[from]!.decision);
    return;
  }
  const mid = (from + to + 1) >> 1;
  const left = asm.newLabel('lt');
  const right = asm.newLabel('ge');
  asm.jump(BPF_JGE, intervals[mid]!.lo, right, left);
  asm.place(left);
  emitTree(asm, intervals, from, mid - 1);
  asm.place(right);
  emitTree(asm, intervals, mid, to);
}

function emitDecision(asm: Assembler, decision: Decision): void {
  if ('ret' in decision) {
    asm.ret(decision.ret);
    return;
  }
  for (const rule of decision.rules) {
    const next = asm.newLabel('next_rule');
    for (const condition of rule.conditions) emitCondition(asm, condition, next);
    asm.ret(rule.action);
    asm.place(next);
  }
  asm.ret(decision.fallback);
}

function split(v: bigint): { hi: number; lo: number } {
  return { hi: Number((v >> 32n) & 0xffffffffn), lo: Number(v & 0xffffffffn) };
}

/** Falls through when `arg <op> value` holds (64-bit, unsigned), jumps to `fail` otherwise. */
function emitCondition(asm: Assembler, c: SeccompArg, fail: Label): void {
  const pass = asm.newLabel('pass');
  const cont = (): Label => asm.newLabel('c');
  const loadHi = (): void => asm.loadWord(argHighOffset(c.index));
  const loadLo = (): void => asm.loadWord(argLowOffset(c.index));
  const v = split(c.value);
  switch (c.op) {
    case 'SCMP_CMP_EQ': {
      const l = cont();
      loadHi();
      asm.jump(BPF_JEQ, v.hi, l, fail);
      asm.place(l);
      loadLo();
      asm.jump(BPF_JEQ, v.lo, pass, fail);
      break;
    }
    case 'SCMP_CMP_NE': {
      const l = cont();
      loadHi();
      asm.jump(BPF_JEQ, v.hi, l, pass);
      asm.place(l);
      loadLo();
      asm.jump(BPF_JEQ, v.lo, fail, pass);
      break;
    }
    case 'SCMP_CMP_MASKED_EQ': {
      // (arg & value) == valueTwo, as docker/libseccomp define it.
      const mask = v;
      const want = split(c.valueTwo);
      if (((c.valueTwo & ~c.value) & 0xffffffffffffffffn) !== 0n) {
        asm.goto(fail); // bits wanted outside the mask: can never match
        break;
      }
      if (mask.hi !== 0) {
        const l = cont();
        loadHi();
        if (mask.hi !== U32_MAX) asm.andK(mask.hi);
        asm.jump(BPF_JEQ, want.hi, l, fail);
        asm.place(l);
      }
      loadLo();
      if (mask.lo !== U32_MAX) asm.andK(mask.lo);
      asm.jump(BPF_JEQ, want.lo, pass, fail);
      break;
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE': {
      // hi > vhi: holds; hi < vhi: fails; equal: decided by the low words.
      const eq = cont();
      loadHi();
      if (v.hi !== U32_MAX) {
        const l = cont();
        asm.jump(BPF_JGT, v.hi, pass, l);
        asm.place(l);
      }
      asm.jump(BPF_JEQ, v.hi, eq, fail);
      asm.place(eq);
      loadLo();
      asm.jump(c.op === 'SCMP_CMP_GT' ? BPF_JGT : BPF_JGE, v.lo, pass, fail);
      break;
    }
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      // hi < vhi: holds; hi > vhi: fails; equal: decided by the low words.
      const eq = cont();
      loadHi();
      if (v.hi !== 0) {
        const l = cont();
        asm.jump(BPF_JGE, v.hi, l, pass);
        asm.place(l);
      }
      asm.jump(BPF_JEQ, v.hi, eq, fail);
      asm.place(eq);
      loadLo();
      asm.jump(c.op === 'SCMP_CMP_LT' ? BPF_JGE : BPF_JGT, v.lo, fail, pass);
      break;
    }
  }
  asm.place(pass);
}
