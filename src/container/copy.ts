// The filesystem half of `hx cp`: what a path in a container (or on the host) is, and the
// copies themselves. Every container path is resolved by libhxns inside the container
// root (openat2 RESOLVE_IN_ROOT for the path given, then fd-relative with no symlink
// followed below it: native/lib/tree.c), so no symlink the container has, or swaps in
// while the copy runs, makes hx read or write outside it. Host paths are the user's own
// and resolved as the OS does (root '').
import { HxError } from '../errors.js';
import { copyEntry, copyTree, CopyFlag, statInRoot, type CopySide, type CopyStats, type EntryStat } from '../sys/spawn.js';
import { SysError } from '../sys/errors.js';
import type { CopyPlan } from './copy-rules.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

export const isDirMode = (mode: number): boolean => (mode & S_IFMT) === S_IFDIR;
export const isRegularMode = (mode: number): boolean => (mode & S_IFMT) === S_IFREG;
export const isSymlinkMode = (mode: number): boolean => (mode & S_IFMT) === S_IFLNK;

/** Owner of everything a copy makes (undefined: each file keeps its source's, -a). */
export type CopyOwner = { uid: number; gid: number } | undefined;

export interface CopyRequest {
  /** The source entry: a container root and a path in it, or root '' and a host path. */
  from: CopySide & { follow: boolean };
  /** The destination root ('' for the host). */
  toRoot: string;
  plan: CopyPlan;
  owner: CopyOwner;
  /** Chown failures are counted, not fatal (a single-id namespace). */
  ignoreChown: boolean;
  /** A contents copy also gives the destination directory the source's owner, mode, times. */
  rootAttrs?: boolean;
}

/** lstat (or stat, FOLLOW) of PATH inside ROOT: undefined when it does not exist; other
 * errors (ENOTDIR for "file/", EACCES) are SysErrors. */
export function statPath(root: string, path: string, follow: boolean): EntryStat | undefined {
  return statInRoot({ root, path }, follow);
}

/** Run the copy the plan says: an entry under a (new) name, or a directory's contents
 * merged into an existing directory. Existing files are replaced, directories merged. */
export function runCopy(r: CopyRequest): CopyStats {
  let flags = CopyFlag.XATTRS | CopyFlag.HARDLINKS | CopyFlag.REPLACE;
  if (r.ignoreChown) flags |= CopyFlag.IGNORE_CHOWN;
  if (r.rootAttrs) flags |= CopyFlag.ROOT_ATTRS;
  try {
    if (r.plan.kind === 'contents') return copyTree({ root: r.from.root, path: r.from.path }, { root: r.toRoot, path: r.plan.dir }, flags, r.owner);
    return copyEntry(r.from, { root: r.toRoot, path: r.plan.dir, name: r.plan.name }, flags, r.owner);
  } catch (e) {
    // docker's NoOverwriteDirNonDir: a directory and a non-directory never replace each other
    const clash = e instanceof SysError ? /cannot overwrite (non-)?directory (.*) with (non-)?directory/.exec(e.message) : null;
    if (clash) throw new HxError(`cannot overwrite ${clash[1] ?? ''}directory "${clash[2]}" with ${clash[3] ?? ''}directory`, { kind: 'conflict', cause: e, hint: 'remove it first, or copy to another name' });
    throw e;
  }
}
