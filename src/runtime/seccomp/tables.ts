// Per-architecture facts the compiler needs: the audit arch value the kernel puts in
// seccomp_data.arch, the syscall table, and which names exist anywhere (to tell a typo from a
// syscall of another architecture).
import { AARCH64_SYSCALLS } from './table-aarch64.js';
import { X86_64_SYSCALLS } from './table-x86_64.js';
import { OTHER_ARCH_SYSCALL_NAMES } from './other-arch-names.js';

export type SeccompArch = 'x86_64' | 'aarch64';

export interface ArchInfo {
  name: SeccompArch;
  /** AUDIT_ARCH_* from <linux/audit.h>: EM_* | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
  auditArch: number;
  /** The Go GOARCH name docker matches `includes.arches` / `excludes.arches` against. */
  goArch: string;
  /** The libseccomp name that selects this arch in `architectures` / `archMap`. */
  scmpArch: string;
  syscalls: Readonly<Record<string, number>>;
  /** Numbers at or above this belong to another ABI on the same arch (x86_64: x32). */
  foreignAbiFrom?: number;
}

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
export const AUDIT_ARCH_I386 = 0x40000003;
export const AUDIT_ARCH_ARM = 0x40000028;
/** __X32_SYSCALL_BIT: x32 syscalls are x86_64 numbers with this bit set. */
export const X32_SYSCALL_BIT = 0x40000000;

export const ARCHES: Readonly<Record<SeccompArch, ArchInfo>> = {
  x86_64: {
    name: 'x86_64',
    auditArch: AUDIT_ARCH_X86_64,
    goArch: 'amd64',
    scmpArch: 'SCMP_ARCH_X86_64',
    syscalls: X86_64_SYSCALLS,
    foreignAbiFrom: X32_SYSCALL_BIT,
  },
  aarch64: {
    name: 'aarch64',
    auditArch: AUDIT_ARCH_AARCH64,
    goArch: 'arm64',
    scmpArch: 'SCMP_ARCH_AARCH64',
    syscalls: AARCH64_SYSCALLS,
  },
};

export function hostArch(): SeccompArch | undefined {
  if (process.arch === 'x64') return 'x86_64';
  if (process.arch === 'arm64') return 'aarch64';
  return undefined;
}

export function isKnownSyscallName(name: string): boolean {
  return Object.hasOwn(X86_64_SYSCALLS, name) || Object.hasOwn(AARCH64_SYSCALLS, name) || OTHER_ARCH_SYSCALL_NAMES.has(name);
}

export function syscallNumber(arch: SeccompArch, name: string): number | undefined {
  const table = ARCHES[arch].syscalls;
  return Object.hasOwn(table, name) ? table[name] : undefined;
}
