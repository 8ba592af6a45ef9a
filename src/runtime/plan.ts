// The spawn plan: everything the C child needs, resolved in TypeScript and serialized to
// the record format native/lib/spawn.h describes (u16 tag, u16 0, u32 length, payload).
import type { MountOp } from './mounts.js';
import type { Rlimit } from './rlimits.js';

export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

export const PlanOption = {
  READONLY_ROOT: 1 << 0,
  LOOPBACK_UP: 1 << 1,
  TTY: 1 << 2,
  NO_NEW_PRIVS: 1 << 3,
  PDEATHSIG: 1 << 4,
  SETGROUPS: 1 << 5,
} as const;

/** Values of a stdio slot that are not a parent fd. */
export const FD_NULL = -1;
export const FD_TTY = -2;

const TAG = {
  ROOTFS: 1, OPTIONS: 2, HOSTNAME: 3, MOUNT: 4, CWD: 5, USER: 6, CAPS: 7, RLIMIT: 8, SECCOMP: 9, ARG: 10, ENV: 11,
  STDIO: 12, INIT: 13, TTYGID: 14,
} as const;

const MAGIC = 0x31505848; // "HXP1"

export interface CapabilitySets {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
  lastCap: number;
}

export interface SpawnPlan {
  rootfs: string;
  namespaces: number;
  options: number;
  hostname?: string | undefined;
  mounts: MountOp[];
  cwd: string;
  /** null: keep the current identity (root of the namespace). */
  user: { uid: number; gid: number; groups: number[] } | null;
  caps: CapabilitySets | null;
  rlimits: Rlimit[];
  seccomp: Buffer | null;
  args: string[];
  env: string[];
  stdio: [number, number, number];
  /** Path inside the container of the init to run as pid 1 (it runs args). */
  init?: string | undefined;
  ttyGid: number;
}

class Writer {
  private chunks: Buffer[] = [];
  record(tag: number, payload: Buffer): void {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(tag, 0);
    head.writeUInt32LE(payload.length, 4);
    this.chunks.push(head, payload);
  }
  string(tag: number, s: string): void {
    if (s.includes('\0')) throw new Error(`a NUL byte in ${JSON.stringify(s)}`);
    this.record(tag, Buffer.from(`${s}\0`, 'utf8'));
  }
  done(): Buffer {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(MAGIC, 0);
    return Buffer.concat([head, ...this.chunks]);
  }
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, i * 4));
  return b;
}

function i32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
}

function strings(...values: string[]): Buffer {
  for (const s of values) if (s.includes('\0')) throw new Error(`a NUL byte in ${JSON.stringify(s)}`);
  return Buffer.from(values.map((s) => `${s}\0`).join(''), 'utf8');
}

export function encodePlan(p: SpawnPlan): Buffer {
  const w = new Writer();
  w.string(TAG.ROOTFS, p.rootfs);
  w.record(TAG.OPTIONS, u32s(p.namespaces, p.options));
  if (p.hostname !== undefined) w.string(TAG.HOSTNAME, p.hostname);
  for (const m of p.mounts) {
    w.record(TAG.MOUNT, Buffer.concat([u32s(m.kind, m.flags, m.bits, 0), strings(m.source, m.target, m.fstype, m.data)]));
  }
  w.string(TAG.CWD, p.cwd);
  if (p.user) w.record(TAG.USER, u32s(p.user.uid, p.user.gid, p.user.groups.length, ...p.user.groups));
  if (p.caps) {
    const b = Buffer.alloc(44);
    [p.caps.bounding, p.caps.effective, p.caps.permitted, p.caps.inheritable, p.caps.ambient].forEach((v, i) => b.writeBigUInt64LE(v, i * 8));
    b.writeUInt32LE(p.caps.lastCap, 40);
    w.record(TAG.CAPS, b);
  }
  for (const l of p.rlimits) {
    const b = Buffer.alloc(24);
    b.writeUInt32LE(l.resource, 0);
    b.writeBigUInt64LE(l.soft, 8);
    b.writeBigUInt64LE(l.hard, 16);
    w.record(TAG.RLIMIT, b);
  }
  if (p.seccomp) w.record(TAG.SECCOMP, p.seccomp);
  for (const a of p.args) w.string(TAG.ARG, a);
  for (const e of p.env) w.string(TAG.ENV, e);
  w.record(TAG.STDIO, i32s(...p.stdio));
  if (p.init) w.string(TAG.INIT, p.init);
  w.record(TAG.TTYGID, u32s(p.ttyGid));
  return w.done();
}
