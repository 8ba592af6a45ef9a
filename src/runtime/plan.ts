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
/** A new pipe: the container gets one end, hx the other (spawnChild's stdio). */
export const FD_PIPE = -3;
/** stderr only: the same pipe as stdout, so one destination keeps the order of both. */
export const FD_PIPE_STDOUT = -4;

const TAG = {
  ROOTFS: 1, OPTIONS: 2, HOSTNAME: 3, MOUNT: 4, CWD: 5, USER: 6, CAPS: 7, RLIMIT: 8, SECCOMP: 9, ARG: 10, ENV: 11,
  STDIO: 12, INIT: 13, TTYGID: 14, JOIN: 15, CGROUP: 16, NETJOIN: 17,
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
  /** exec: run in the namespaces of this running container's pid 1 (pid and start time). */
  join?: { pid: number; startTime: bigint } | undefined;
  /** --network container:CTR: enter only the network namespace of CTR's pid 1. */
  netJoin?: { pid: number; startTime: bigint } | undefined;
  /** Open cgroup v1 `tasks` files the child writes "0" to after the go-ahead (it joins itself). */
  cgroupFds?: number[] | undefined;
}

/** Appends records to one growing buffer (a plan has ~60 records; one allocation each
 * would cost more than the spawn itself). */
class Writer {
  private buf = Buffer.allocUnsafe(16384);
  private off = 8;
  private start = 0;

  private room(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(bigger, 0, 0, this.off);
    this.buf = bigger;
  }
  begin(tag: number): this {
    this.room(8);
    this.start = this.off;
    this.buf.writeUInt32LE(tag, this.off); // u16 tag + u16 zero
    this.off += 8;
    return this;
  }
  end(): void {
    this.buf.writeUInt32LE(this.off - this.start - 8, this.start + 4);
  }
  u32(...values: number[]): this {
    this.room(4 * values.length);
    for (const v of values) this.off = this.buf.writeUInt32LE(v >>> 0, this.off);
    return this;
  }
  i32(...values: number[]): this {
    this.room(4 * values.length);
    for (const v of values) this.off = this.buf.writeInt32LE(v, this.off);
    return this;
  }
  u64(...values: bigint[]): this {
    this.room(8 * values.length);
    for (const v of values) this.off = this.buf.writeBigUInt64LE(v, this.off);
    return this;
  }
  str(...values: string[]): this {
    for (const s of values) {
      if (s.includes('\0')) throw new Error(`a NUL byte in ${JSON.stringify(s)}`);
      this.room(3 * s.length + 1); // UTF-8 needs at most 3 bytes per UTF-16 unit
      const buf = this.buf;
      let off = this.off;
      let ascii = true;
      // Plain JS for ASCII (nearly every path, argument and variable): a call into
      // Buffer#write per string cost more than the rest of the plan together.
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) {
          ascii = false;
          break;
        }
        buf[off++] = c;
      }
      if (!ascii) off = this.off + buf.write(s, this.off);
      buf[off++] = 0;
      this.off = off;
    }
    return this;
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
    return this;
  }
  done(): Buffer {
    this.buf.writeUInt32LE(MAGIC, 0);
    this.buf.writeUInt32LE(0, 4);
    return this.buf.subarray(0, this.off);
  }
}

export function encodePlan(p: SpawnPlan): Buffer {
  const w = new Writer();
  w.begin(TAG.ROOTFS).str(p.rootfs).end();
  w.begin(TAG.OPTIONS).u32(p.namespaces, p.options).end();
  if (p.hostname !== undefined) w.begin(TAG.HOSTNAME).str(p.hostname).end();
  for (const m of p.mounts) w.begin(TAG.MOUNT).u32(m.kind, m.flags, m.bits, 0).str(m.source, m.target, m.fstype, m.data).end();
  w.begin(TAG.CWD).str(p.cwd).end();
  if (p.user) w.begin(TAG.USER).u32(p.user.uid, p.user.gid, p.user.groups.length, ...p.user.groups).end();
  if (p.caps) {
    const c = p.caps;
    w.begin(TAG.CAPS).u64(c.bounding, c.effective, c.permitted, c.inheritable, c.ambient).u32(c.lastCap).end();
  }
  for (const l of p.rlimits) w.begin(TAG.RLIMIT).u32(l.resource, 0).u64(l.soft, l.hard).end();
  if (p.seccomp) w.begin(TAG.SECCOMP).bytes(p.seccomp).end();
  for (const a of p.args) w.begin(TAG.ARG).str(a).end();
  for (const e of p.env) w.begin(TAG.ENV).str(e).end();
  w.begin(TAG.STDIO).i32(...p.stdio).end();
  if (p.init) w.begin(TAG.INIT).str(p.init).end();
  w.begin(TAG.TTYGID).u32(p.ttyGid).end();
  if (p.join) w.begin(TAG.JOIN).u32(p.join.pid, 0).u64(p.join.startTime).end();
  if (p.netJoin) w.begin(TAG.NETJOIN).u32(p.netJoin.pid, 0).u64(p.netJoin.startTime).end();
  if (p.cgroupFds?.length) w.begin(TAG.CGROUP).u32(p.cgroupFds.length).i32(...p.cgroupFds).end();
  return w.done();
}
