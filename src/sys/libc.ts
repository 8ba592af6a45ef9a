// koffi bindings for the libc calls Node lacks. Every wrapper throws SysError on failure.
import { koffi, libcHandle } from './ffi.js';
import { SysError } from './errors.js';

type Fn = (...args: unknown[]) => number;
const cache = new Map<string, Fn>();

function fn(signature: string): Fn {
  let f = cache.get(signature);
  if (!f) {
    f = libcHandle().func(signature) as unknown as Fn;
    cache.set(signature, f);
  }
  return f;
}

function check(syscall: string, result: number, detail?: string): number {
  if (result < 0) throw new SysError(syscall, koffi().errno(), detail);
  return result;
}

export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  REMOUNT: 32,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
} as const;

export const MNT_DETACH = 2;
export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
const SYS_pidfd_open = 434;
const SYS_openat2 = 437;

export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  check('mount', fn('int mount(const char *, const char *, const char *, unsigned long, const char *)')(source, target, fstype, flags, data), target);
}

export function umount2(target: string, flags: number): void {
  check('umount2', fn('int umount2(const char *, int)')(target, flags), target);
}

export function mknod(path: string, mode: number, dev: number): void {
  check('mknod', fn('int mknod(const char *, uint32_t, uint64_t)')(path, mode, BigInt(dev)), path);
}

export function lsetxattr(path: string, name: string, value: Buffer, flags = 0): void {
  check('lsetxattr', fn('int lsetxattr(const char *, const char *, const void *, size_t, int)')(path, name, value, value.length, flags), `${path} ${name}`);
}

export function lgetxattr(path: string, name: string): Buffer | null {
  const size = fn('long lgetxattr(const char *, const char *, void *, size_t)');
  const n = size(path, name, null, 0);
  if (n < 0) {
    const errno = koffi().errno();
    if (errno === 61 /* ENODATA */) return null;
    throw new SysError('lgetxattr', errno, `${path} ${name}`);
  }
  const buf = Buffer.alloc(n);
  const got = check('lgetxattr', size(path, name, buf, n), `${path} ${name}`);
  return buf.subarray(0, got);
}

export function llistxattr(path: string): string[] {
  const list = fn('long llistxattr(const char *, void *, size_t)');
  const n = check('llistxattr', list(path, null, 0), path);
  if (n === 0) return [];
  const buf = Buffer.alloc(n);
  const got = check('llistxattr', list(path, buf, n), path);
  return buf.subarray(0, got).toString('latin1').split('\0').filter((s) => s.length > 0);
}

export function flock(fd: number, operation: number): boolean {
  const r = fn('int flock(int, int)')(fd, operation);
  if (r < 0) {
    const errno = koffi().errno();
    if (errno === 11 /* EWOULDBLOCK */ && operation & LOCK.NB) return false;
    throw new SysError('flock', errno);
  }
  return true;
}

export function pidfdOpen(pid: number): number {
  return check('pidfd_open', fn('long syscall(long, int, unsigned int)')(SYS_pidfd_open, pid, 0), String(pid));
}

export const RESOLVE = { NO_XDEV: 1, NO_MAGICLINKS: 2, NO_SYMLINKS: 4, BENEATH: 8, IN_ROOT: 16 } as const;

/** openat2(2): open PATH relative to DIRFD with RESOLVE_* rules; returns the fd. */
export function openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(flags), 0);
  how.writeBigUInt64LE(BigInt(mode), 8);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  return check('openat2', fn('long syscall(long, int, const char *, void *, size_t)')(SYS_openat2, dirfd, path, how, 24), path);
}

export function prctl(option: number, arg2: number): number {
  return check('prctl', fn('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)')(option, arg2, 0, 0, 0));
}

export function kill(pid: number, signal: number): void {
  check('kill', fn('int kill(int, int)')(pid, signal), String(pid));
}
