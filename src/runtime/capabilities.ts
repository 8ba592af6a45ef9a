// Linux capabilities: names, docker's default set, and --cap-add/--cap-drop/--privileged.
import { readFileSync } from 'node:fs';
import { ContainerConfigError } from './run-errors.js';

/** Capability names by number (linux/capability.h). */
export const CAPABILITY_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** Docker's default set (moby oci/caps/defaults.go): 14 capabilities. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** The highest capability this kernel knows (names above it cannot be granted). */
export function hostLastCap(): number {
  try {
    const n = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    if (Number.isInteger(n) && n > 0 && n < 64) return n;
  } catch {
    /* old kernel or no /proc: assume the table's size */
  }
  return CAPABILITY_NAMES.length - 1;
}

/** "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" all name CAP_NET_ADMIN; "ALL" stays "ALL". */
export function normalizeCapName(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!(CAPABILITY_NAMES as readonly string[]).includes(full)) {
    throw new ContainerConfigError(`unknown capability: ${JSON.stringify(name)}`, 'capability names look like NET_ADMIN or CAP_NET_ADMIN; see capabilities(7)');
  }
  return full;
}

export interface CapabilityRequest {
  add?: string[];
  drop?: string[];
  privileged?: boolean;
}

/** The container's capability set, docker's way: start from the defaults (or all with
 * --privileged), add, then drop; "ALL" works on either side. Sorted by number. */
export function resolveCapabilities(req: CapabilityRequest, lastCap = hostLastCap()): string[] {
  const known = CAPABILITY_NAMES.slice(0, lastCap + 1) as readonly string[];
  const add = (req.add ?? []).map(normalizeCapName);
  const drop = (req.drop ?? []).map(normalizeCapName);
  let set = new Set<string>(req.privileged ? known : DEFAULT_CAPABILITIES);
  if (!req.privileged) {
    if (drop.includes('ALL')) set.clear();
    if (add.includes('ALL')) set = new Set(known);
    for (const c of add) if (c !== 'ALL') set.add(c);
    for (const c of drop) if (c !== 'ALL') set.delete(c);
  }
  for (const c of set) {
    if (!known.includes(c)) throw new ContainerConfigError(`capability ${c} is not supported by this kernel`, 'drop it from --cap-add');
  }
  return known.filter((c) => set.has(c));
}

export function capabilityMask(names: string[]): bigint {
  let mask = 0n;
  for (const n of names) {
    const i = (CAPABILITY_NAMES as readonly string[]).indexOf(n);
    if (i >= 0) mask |= 1n << BigInt(i);
  }
  return mask;
}
