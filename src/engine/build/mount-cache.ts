// RUN --mount=type=cache directories: kept in the store between builds
// (build-cache/mounts/<sha256 of the id>/, so `hx system reset` takes them with the step
// cache), keyed by id= or, without one, the target (buildkit's default). sharing=shared
// (the default) lets every build use the one directory at once; locked makes a second
// user wait; private gives a second user a directory of its own (instance 1, 2...). An
// flock on a .lock file beside each instance says who uses it; prune skips those in use.
import { closeSync, lchownSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HxError } from '../../errors.js';
import { sha256Hex } from '../../store/digest.js';
import type { Store } from '../../store/store.js';
import { flock, LOCK } from '../../sys/libc.js';
import type { CacheSharing } from '../../build/dockerfile/index.js';

export interface CacheMountRequest {
  id: string;
  sharing: CacheSharing;
  /** The directory's owner and mode when it is made (buildkit: 0:0, 0755). */
  uid: number;
  gid: number;
  mode: number;
}

/** A cache directory in use by one RUN: release() when it has exited. */
export interface CacheMountLease {
  dir: string;
  release(): void;
}

export function cacheMountsDir(store: Store): string {
  return join(store.root, 'build-cache', 'mounts');
}

function lockFd(path: string, op: number): number | undefined {
  const fd = openSync(path, 'a', 0o600);
  if (flock(fd, op | LOCK.NB)) return fd;
  closeSync(fd);
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The cache directory for REQ, made (owner and mode as asked) on first use, locked as its
 * sharing says for as long as the lease is held. */
export async function leaseCacheMount(store: Store, req: CacheMountRequest): Promise<CacheMountLease> {
  const base = cacheMountsDir(store);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const key = sha256Hex(req.id);
  let fd: number | undefined;
  let instance = key;
  if (req.sharing === 'private') {
    for (let i = 0; fd === undefined; i++) {
      instance = i === 0 ? key : `${key}-${i}`;
      fd = lockFd(join(base, `${instance}.lock`), LOCK.EX);
    }
  } else {
    const op = req.sharing === 'locked' ? LOCK.EX : LOCK.SH;
    for (let wait = 2; (fd = lockFd(join(base, `${instance}.lock`), op)) === undefined; wait = Math.min(wait * 2, 100)) await sleep(wait);
  }
  const dir = join(base, instance);
  try {
    mkdirSync(dir, { mode: req.mode });
    lchownSync(dir, req.uid, req.gid);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      closeSync(fd);
      throw new HxError(`cannot make the cache mount directory for id ${JSON.stringify(req.id)}: ${(e as Error).message}`, { kind: 'unavailable', cause: e, hint: 'check the store directory' });
    }
  }
  const held = fd;
  return { dir, release: () => closeSync(held) };
}

/** Remove every cache directory no build uses now; what was freed, in bytes (du-like). */
export function pruneCacheMounts(store: Store): { removed: number; bytes: number } {
  const base = cacheMountsDir(store);
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return { removed: 0, bytes: 0 };
  }
  let removed = 0;
  let bytes = 0;
  for (const name of names) {
    if (name.endsWith('.lock')) continue;
    const fd = lockFd(join(base, `${name}.lock`), LOCK.EX);
    if (fd === undefined) continue; // in use by a build now
    try {
      bytes += treeSize(join(base, name));
      rmSync(join(base, name), { recursive: true, force: true });
      rmSync(join(base, `${name}.lock`), { force: true });
      removed++;
    } finally {
      closeSync(fd);
    }
  }
  return { removed, bytes };
}

function treeSize(path: string): number {
  let total = 0;
  const walk = (p: string): void => {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) return;
    total += st.isDirectory() ? 0 : st.size;
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(path);
  return total;
}
