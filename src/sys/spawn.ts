// libhxns's container spawn (native/lib/spawn.c), loaded as a Node-API module.
// libhxns.so is both a koffi library and a Node-API addon (native/lib/napi.c): the run
// path loads it with process.dlopen, which costs well under a millisecond where koffi's
// own start costs ~8 ms.
import { join } from 'node:path';
import { buildDir } from './install.js';
import { SysError } from './errors.js';

interface HxnsAddon {
  spawn(plan: Uint8Array): number[] | number;
  relayStart(inSrc: number, inDst: number, outSrc: number, outDst: number, errSrc: number, errDst: number): number;
  relayFinish(id: number): number[] | number;
  collect(id: number, waitMs: number): Buffer | number;
  signal(id: number, sig: number): number;
  signalVerified(pid: number, startTime: string, sig: number): number;
  setWinsize(fd: number, rows: number, cols: number): number;
  getWinsize(fd: number): number;
  openInRoot(root: string, path: string): number;
  copyTree(srcRoot: string, srcPath: string, dstRoot: string, dstPath: string, flags: number, uid: number, gid: number): (number | string)[];
  copyEntry(srcRoot: string, srcPath: string, follow: number, dstRoot: string, dstDir: string, dstName: string, flags: number, uid: number, gid: number): (number | string)[];
  statInRoot(root: string, path: string, follow: number): (number | string)[];
}

let addon: HxnsAddon | undefined;

function native(): HxnsAddon {
  if (!addon) {
    const mod = { exports: {} as HxnsAddon };
    const path = join(buildDir(), 'libhxns.so');
    try {
      process.dlopen(mod, path);
    } catch (e) {
      throw new Error(`cannot load ${path} (${(e as Error).message}): run \`npm install\` (or \`npm run build\`) in the hx directory`);
    }
    addon = mod.exports;
  }
  return addon;
}

function check(call: string, r: number, detail?: string): number {
  if (r < 0) throw new SysError(call, -r, detail);
  return r;
}

export interface SpawnedChild {
  /** libhxns's id for the child (events carry it). */
  id: number;
  /** pid in hx's pid namespace. */
  pid: number;
  /** Write one byte to let the child exec; close without writing to abort it. */
  startFd: number;
  /** hx's ends of the pipes the plan asked for (FD_PIPE slots), else -1: the container's
   * stdin (write end), stdout and stderr (read ends). */
  stdio: [number, number, number];
}

/** Clone a container child from an encoded plan (src/runtime/plan.ts). */
export function spawnChild(plan: Uint8Array): SpawnedChild {
  const r = native().spawn(plan);
  if (typeof r === 'number') check('hx_spawn', r);
  const [id, pid, startFd, i, o, e] = r as number[];
  return { id: id!, pid: pid!, startFd: startFd!, stdio: [i!, o!, e!] };
}

/** What child ID reported and, once it has exited, its exit (then it is forgotten).
 * WAIT_MS > 0 blocks up to that long for a first report (used only while setting up a
 * terminal, before the command runs). Empty when the child is unknown or collected. */
export function collectChild(id: number, waitMs = 0): ChildEvent[] {
  const r = native().collect(id, waitMs);
  if (typeof r === 'number') {
    if (r === -3 /* ESRCH */) return [];
    check('hx_spawn_collect', r);
    return [];
  }
  const events: ChildEvent[] = [];
  for (let off = 0; off + EVENT_SIZE <= r.length; off += EVENT_SIZE) events.push(decodeEvent(r, off));
  return events;
}

/** Signal the child; false when it is already gone (reaped). */
export function signalChild(id: number, signal: number): boolean {
  const r = native().signal(id, signal);
  if (r === -3 /* ESRCH */) return false;
  check('pidfd_send_signal', r);
  return true;
}

/** Signal process PID only if it is still the one that started at START TIME (pidfd);
 * false when it is gone (or the pid now names another process). */
export function signalPid(pid: number, startTime: string, signal: number): boolean {
  const r = native().signalVerified(pid, startTime, signal);
  if (r === -3 /* ESRCH */) return false;
  check('pidfd_send_signal', r, String(pid));
  return true;
}

export function setWinsize(fd: number, rows: number, cols: number): void {
  check('ioctl TIOCSWINSZ', native().setWinsize(fd, rows, cols));
}

/** The window size of the terminal FD (undefined when it is none, or has no size). */
export function getWinsize(fd: number): { rows: number; cols: number } | undefined {
  const r = native().getWinsize(fd);
  if (r <= 0) return undefined;
  return { rows: r >>> 16, cols: r & 0xffff };
}

/** Open PATH for reading as if ROOT were "/": symlinks cannot leave ROOT. */
export function openInRoot(root: string, path: string): number {
  return check('openat2', native().openInRoot(root, path), path);
}

/** Event records of hx_spawn_collect (struct hx_event, 256 bytes). */
export const EVENT_SIZE = 256;
export const EventType = { ERROR: 1, EXEC: 2, EXIT: 3, TTY: 4 } as const;

export interface ChildEvent {
  id: number;
  type: number;
  pid: number;
  a: number;
  b: number;
  detail: string;
}

export function decodeEvent(buf: Buffer, offset = 0): ChildEvent {
  const end = buf.indexOf(0, offset + 24);
  const detailEnd = end < 0 || end > offset + EVENT_SIZE ? offset + EVENT_SIZE : end;
  return {
    id: buf.readUInt32LE(offset),
    type: buf.readUInt32LE(offset + 4),
    pid: buf.readInt32LE(offset + 8),
    a: buf.readInt32LE(offset + 12),
    b: buf.readInt32LE(offset + 16),
    detail: buf.toString('utf8', offset + 24, detailEnd),
  };
}

/** Flags of copyTree (native/lib/tree.h). */
export const CopyFlag = { XATTRS: 1, HARDLINKS: 2, REPLACE: 4, ROOT_ATTRS: 8, IGNORE_CHOWN: 16 } as const;

export interface CopySide {
  /** Resolve PATH as if this were "/" (symlinks cannot leave it); '' for a host path. */
  root: string;
  path: string;
}

export interface CopyStats {
  files: number;
  dirs: number;
  bytes: number;
  chownSkipped: number;
  xattrsSkipped: number;
  specialSkipped: number;
}

/**
 * Copy the contents of directory FROM into directory TO, fd-relative on both sides: no
 * symlink is followed out of either root, also when one is swapped in during the copy.
 * OWNER undefined keeps each file's owner.
 */
export function copyTree(from: CopySide, to: CopySide, flags: number, owner?: { uid: number; gid: number }): CopyStats {
  return copyStats(native().copyTree(from.root, from.path, to.root, to.path, flags, owner?.uid ?? -1, owner?.gid ?? -1));
}

/**
 * Copy one entry (file, directory with its tree, symlink...) FROM.path as NAME into the
 * directory TO.path, each side resolved inside its root. FOLLOW: a symlink at FROM.path
 * is followed (inside its root), else copied as a symlink. OWNER as for copyTree.
 */
export function copyEntry(from: CopySide & { follow?: boolean }, to: CopySide & { name: string }, flags: number, owner?: { uid: number; gid: number }): CopyStats {
  return copyStats(native().copyEntry(from.root, from.path, from.follow ? 1 : 0, to.root, to.path, to.name, flags, owner?.uid ?? -1, owner?.gid ?? -1));
}

export interface EntryStat {
  /** st_mode: type and permission bits. */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  mtimeSec: number;
  /** A symlink's target ('' for anything else). */
  linkTarget: string;
}

/** What SIDE.path is, resolved inside SIDE.root (lstat unless FOLLOW); undefined when it
 * does not exist (ENOENT). Other errors (ENOTDIR, EACCES...) throw. */
export function statInRoot(side: CopySide, follow: boolean): EntryStat | undefined {
  const r = native().statInRoot(side.root, side.path, follow ? 1 : 0);
  const code = r[0] as number;
  if (code === -2 /* ENOENT */) return undefined;
  if (code < 0) throw new SysError('stat', -code, side.path);
  const n = r as number[];
  return { mode: n[1]!, size: n[2]!, uid: n[3]!, gid: n[4]!, mtimeSec: n[5]!, linkTarget: String(r[6]) };
}

function copyStats(r: (number | string)[]): CopyStats {
  const code = r[0] as number;
  if (code < 0) throw new SysError('copy', -code, String(r[1]));
  const n = r.slice(1) as number[];
  return { files: n[0]!, dirs: n[1]!, bytes: n[2]!, chownSkipped: n[3]!, xattrsSkipped: n[4]!, specialSkipped: n[5]! };
}

/**
 * Relay between a container's stdio pipes and hx's own fds on a thread of libhxns
 * (native/lib/relay.c): IN = [hx fd, container stdin pipe], OUT/ERR = [container pipe, hx fd];
 * -1 pairs are skipped. The pipe ends become the relay's; hx's fds stay the caller's.
 */
export function startRelay(stdin: [number, number], stdout: [number, number], stderr: [number, number]): number {
  return check('hx_relay_start', native().relayStart(stdin[0], stdin[1], stdout[0], stdout[1], stderr[0], stderr[1]));
}

/** After the container exited: move what is still buffered, stop. Bytes moved per slot. */
export function finishRelay(id: number): [number, number, number] {
  const r = native().relayFinish(id);
  if (typeof r === 'number') {
    check('hx_relay_finish', r);
    return [0, 0, 0];
  }
  return [r[0]!, r[1]!, r[2]!];
}
