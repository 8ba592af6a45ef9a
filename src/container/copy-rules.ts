// docker cp's rules for what a copy makes where (moby/go-archive copy.go: CopyInfo,
// PreserveTrailingDotOrSeparator, PrepareArchiveCopy; docker/cli cp.go), as pure
// functions: paths and what exists come in, a plan or docker's error goes out. The copy
// itself (container/copy.ts) resolves every path inside the container root.
import { posix } from 'node:path';
import { HxError } from '../errors.js';

/** What the source is, as stat found it. */
export interface SourceInfo {
  /** Normalized (normalizeCopyPath): a trailing "/." means "the contents of". */
  path: string;
  isDir: boolean;
  /** -L through a symlink: the copy takes the link's own name, not its target's. */
  rebaseName?: string;
}

/** What the destination is (after following a symlink at it, as docker does). */
export interface DestInfo {
  /** Normalized (normalizeCopyPath); a trailing "/" asserts a directory. */
  path: string;
  exists: boolean;
  isDir: boolean;
}

export type CopyPlan =
  /** Copy the source entry (a directory with its tree) as DIR/NAME. */
  | { kind: 'entry'; dir: string; name: string }
  /** Copy what is in the source directory into the existing directory DIR. */
  | { kind: 'contents'; dir: string };

/** Go's filepath.Base(path) == ".": "dir/.", "dir/./", "." name the contents of a directory. */
export function specifiesCurrentDir(path: string): boolean {
  return posix.basename(path) === '.';
}

export function hasTrailingSeparator(path: string): boolean {
  return path.endsWith('/');
}

/**
 * An absolute, cleaned PATH (relative ones against BASE: the cwd on the host, "/" in a
 * container) that keeps docker's meaningful endings (PreserveTrailingDotOrSeparator):
 * "/." (the contents of a directory) and "/" (it must be a directory).
 */
export function normalizeCopyPath(path: string, base: string): string {
  let clean = posix.resolve(base, path);
  if (!specifiesCurrentDir(clean) && specifiesCurrentDir(path)) clean = `${clean.endsWith('/') ? clean : `${clean}/`}.`;
  if (!hasTrailingSeparator(clean) && hasTrailingSeparator(path)) clean += '/';
  return clean;
}

/** The path without docker's endings: what to open. */
export function stripEnding(path: string): string {
  for (;;) {
    if (path.endsWith('/.')) path = path.slice(0, -2);
    else if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    else break;
  }
  return path === '' ? '/' : path;
}

/** The parent directory and the last component of a normalized path (no ending). */
export function splitPath(path: string): { dir: string; base: string } {
  const p = stripEnding(path);
  return { dir: posix.dirname(p), base: posix.basename(p) };
}

/** moby's ErrCannotCopyDir, ErrDirNotExists, ErrNotDirectory */
export const COPY_ERRORS = {
  cannotCopyDir: 'cannot copy directory',
  dirNotExists: 'no such directory',
  notDirectory: 'not a directory',
} as const;

/** Where the source goes: PrepareArchiveCopy's cases, in its order. */
export function planCopy(src: SourceInfo, dst: DestInfo): CopyPlan {
  const srcBase = src.rebaseName ?? splitPath(src.path).base;
  const contents = src.isDir && (specifiesCurrentDir(src.path) || stripEnding(src.path) === '/');
  if (dst.exists && dst.isDir) {
    const dir = stripEnding(dst.path);
    return contents ? { kind: 'contents', dir } : { kind: 'entry', dir, name: srcBase };
  }
  if (dst.exists && src.isDir) throw new HxError(COPY_ERRORS.cannotCopyDir, { kind: 'invalid-argument', hint: `${dst.path} is a file: give a directory (or a new name) as the destination` });
  if (dst.exists && hasTrailingSeparator(dst.path) && stripEnding(dst.path) !== '/') throw new HxError(COPY_ERRORS.notDirectory, { kind: 'invalid-argument', hint: `${stripEnding(dst.path)} is a file: drop the trailing "/"` });
  if (!dst.exists && !src.isDir && hasTrailingSeparator(dst.path)) {
    throw new HxError(COPY_ERRORS.dirNotExists, { kind: 'not-found', hint: `create the directory ${stripEnding(dst.path)} first, or drop the trailing "/" to copy to a file of that name` });
  }
  // A new name (or an existing file replaced): the entry is made in the parent.
  const { dir, base } = splitPath(dst.path);
  if (base === '' || base === '/' || dst.path === '/') throw new HxError(COPY_ERRORS.notDirectory, { kind: 'invalid-argument' });
  return { kind: 'entry', dir, name: base };
}
