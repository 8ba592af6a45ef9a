// Private temp dirs under <store>/tmp that stay safe with any number of commands at once
// and with commands killed at any point (the protocol and its proof: docs/STORAGE.md,
// "Temp dirs and their locks"). Every temp entry NAME has a sibling NAME.lock, and
//
//   whoever holds flock on the inode that the path NAME.lock names owns NAME.
//
// Only an owner creates NAME or removes NAME and NAME.lock. Ownership is proven by taking
// the flock and then checking that the path still names the locked inode; an open, a
// readdir or a free lock alone proves nothing, because another command may have unlinked
// (and a creator re-created) the file in between.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { HxError, wrap } from '../errors.js';
import { flock, LOCK } from '../sys/libc.js';

export interface TempDir {
  path: string;
  /** Remove the dir (unless REMOVE is false: the next cleaner does it) and give up the name. Never throws. */
  release(remove?: boolean): void;
}

export interface CleanResult {
  /** Entries (dirs, files, lone lock files) of dead owners that were removed. */
  removed: number;
  /** Entries of dead owners that could not be removed (e.g. EBUSY): left with their lock file for a later try. */
  failed: { name: string; error: string }[];
}

/** What a temp entry is, from its lock, checked live. */
export type TempState = 'live' | 'dead' | 'no-lock';

export const LOCK_SUFFIX = '.lock';
const CREATE_ATTEMPTS = 64;
/** How long a creator waits for a cleaner that is probing its brand-new lock file. */
const CREATOR_PATIENCE_MS = 20;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** Does PATH still name the inode FD has open? */
function namesInode(path: string, fd: number): boolean {
  let onDisk;
  try {
    onDisk = lstatSync(path, { bigint: true });
  } catch (e) {
    if (code(e) === 'ENOENT') return false;
    throw e;
  }
  const held = fstatSync(fd, { bigint: true });
  return onDisk.ino === held.ino && onDisk.dev === held.dev;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (e) {
    if (code(e) === 'ENOENT') return false;
    throw e;
  }
}

function unlinkIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if (code(e) !== 'ENOENT') throw e;
  }
}

/**
 * Take ownership of LOCKPATH: open it (creating it only with O_EXCL when CREATE, never
 * otherwise), flock it without blocking, and prove the path still names that inode.
 * Returns the fd that holds the lock, or undefined when someone else owns the name or
 * the file is gone.
 */
function takeLock(lockPath: string, create: boolean, patienceMs = 0): number | undefined {
  let fd: number;
  try {
    fd = create
      ? openSync(lockPath, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
      : openSync(lockPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const c = code(e);
    if (c === (create ? 'EEXIST' : 'ENOENT') || c === 'ELOOP') return undefined;
    throw e;
  }
  try {
    let locked = flock(fd, LOCK.EX | LOCK.NB);
    // A cleaner may be probing our brand-new file: it holds it for microseconds.
    for (let waited = 0; !locked && waited < patienceMs; waited++) {
      Atomics.wait(sleeper, 0, 0, 1);
      locked = flock(fd, LOCK.EX | LOCK.NB);
    }
    if (locked && namesInode(lockPath, fd)) return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  // Held by its owner, or unlinked between our open and our flock: not ours. Never
  // unlink here: the path may already name someone else's file.
  closeSync(fd);
  return undefined;
}

/** Remove NAME and then its lock file, holding the lock (FD). Keeps both if NAME cannot be removed. */
function removeOwned(tmpRoot: string, name: string, fd: number): string | undefined {
  try {
    rmSync(join(tmpRoot, name), { recursive: true, force: true });
    unlinkIfThere(join(tmpRoot, name + LOCK_SUFFIX));
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    closeSync(fd);
  }
}

/** A new temp dir TMPROOT/PREFIX-PID-RANDOM, owned by this process until release(). */
export function createTempDir(tmpRoot: string, prefix: string): TempDir {
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const name = `${prefix}-${process.pid}-${randomBytes(6).toString('hex')}`;
    const lockPath = join(tmpRoot, name + LOCK_SUFFIX);
    let fd: number | undefined;
    try {
      fd = takeLock(lockPath, true, CREATOR_PATIENCE_MS);
    } catch (e) {
      throw wrap(e, `create a temp dir in ${tmpRoot}`, { hint: 'check that the storage root is writable and has free space' });
    }
    if (fd === undefined) continue; // a name clash, or a cleaner removed the file first: another name
    const path = join(tmpRoot, name);
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (e) {
      if (code(e) !== 'EEXIST') {
        removeOwned(tmpRoot, name, fd);
        throw wrap(e, `create temp dir ${path}`, { hint: 'check that the storage root is writable and has free space' });
      }
      // We own the name, so whatever is there is an earlier owner's leftover.
      rmSync(path, { recursive: true, force: true });
      mkdirSync(path, { mode: 0o700 });
    }
    const held = fd;
    let released = false;
    return {
      path,
      release: (remove = true) => {
        if (released) return;
        released = true;
        if (!remove) {
          try {
            unlinkIfThere(lockPath); // the dir becomes debris for the next cleaner
          } finally {
            closeSync(held);
          }
          return;
        }
        removeOwned(tmpRoot, name, held);
      },
    };
  }
  throw new HxError(`could not create a temp dir in ${tmpRoot} after ${CREATE_ATTEMPTS} attempts`, {
    kind: 'unavailable',
    hint: 'other hx commands kept cleaning it at the same moment; run the command again',
  });
}

/**
 * Remove what dead owners left in TMPROOT: entries whose lock we can take (the owner is
 * gone), and entries whose lock file is gone (debris, claimed by creating the lock with
 * O_EXCL first). Creates no lock file that may belong to a live command, removes nothing
 * a live command owns, and tolerates every entry vanishing under it.
 */
export function cleanTempDirs(tmpRoot: string): CleanResult {
  const result: CleanResult = { removed: 0, failed: [] };
  let names: string[];
  try {
    names = readdirSync(tmpRoot);
  } catch (e) {
    if (code(e) === 'ENOENT') return result;
    throw e;
  }
  for (const entry of names) {
    const isLock = entry.endsWith(LOCK_SUFFIX);
    const name = isLock ? entry.slice(0, -LOCK_SUFFIX.length) : entry;
    const lockPath = join(tmpRoot, name + LOCK_SUFFIX);
    let fd: number | undefined;
    try {
      if (isLock) {
        fd = takeLock(lockPath, false);
      } else {
        // readdir is no snapshot: check now that the lock is gone and the entry still there.
        if (exists(lockPath) || !exists(join(tmpRoot, name))) continue;
        fd = takeLock(lockPath, true);
      }
    } catch (e) {
      // Cleaning is a courtesy to dead commands: it never fails the command doing it.
      result.failed.push({ name, error: (e as Error).message });
      continue;
    }
    if (fd === undefined) continue;
    const error = removeOwned(tmpRoot, name, fd);
    if (error === undefined) result.removed++;
    else result.failed.push({ name, error });
  }
  return result;
}

/** Is the owner of LOCKPATH alive? Opens without creating, locks only for a moment, removes nothing. */
export function ownerAlive(lockPath: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if (code(e) === 'ENOENT' || code(e) === 'ELOOP') return false;
    throw e;
  }
  try {
    // A free lock means no owner; closing the fd drops the probe's own lock.
    return !flock(fd, LOCK.EX | LOCK.NB);
  } finally {
    closeSync(fd);
  }
}

/** Names (without .lock) of the temp dirs with PREFIX whose owner is alive. Creates nothing. */
export function liveTempNames(tmpRoot: string, prefix: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(tmpRoot)) {
    if (!entry.startsWith(`${prefix}-`) || !entry.endsWith(LOCK_SUFFIX)) continue;
    if (ownerAlive(join(tmpRoot, entry))) out.push(entry.slice(0, -LOCK_SUFFIX.length));
  }
  return out;
}

/**
 * The state of temp entry NAME (not a lock file), checked live: 'no-lock' when its lock
 * file is gone (debris), 'dead' when the lock is free, else 'live'. Creates nothing.
 */
export function tempEntryState(tmpRoot: string, name: string): TempState | undefined {
  const lockPath = join(tmpRoot, name + LOCK_SUFFIX);
  if (!exists(join(tmpRoot, name))) return undefined;
  if (!exists(lockPath)) return exists(join(tmpRoot, name)) ? 'no-lock' : undefined;
  if (ownerAlive(lockPath)) return 'live';
  // Between our two looks the owner may have released it (lock file and entry gone).
  return exists(join(tmpRoot, name)) && exists(lockPath) ? 'dead' : undefined;
}
