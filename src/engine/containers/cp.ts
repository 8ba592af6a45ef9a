// `hx cp`: files between a container (running, created or exited) and the host, with
// docker's rules (container/copy-rules.ts) and messages, on the root container/rootfs-access.ts withRootFd gives: a
// running container's as its mount namespace has it, a stopped one's mounted for the copy.
// Every container path is resolved inside its root (container/copy.ts).
import { posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { planCopy, normalizeCopyPath, specifiesCurrentDir, hasTrailingSeparator, stripEnding, splitPath, type DestInfo } from '../../container/copy-rules.js';
import { isDirMode, isRegularMode, isSymlinkMode, runCopy, statPath, type CopyOwner } from '../../container/copy.js';
import { unpackTar, writeTreeTar } from '../../container/copy-tar.js';
import { HxError } from '../../errors.js';
import { SysError } from '../../sys/errors.js';
import type { CopyStats, EntryStat } from '../../sys/spawn.js';
import type { EngineContext } from '../context.js';
import { withRootFd } from '../../container/rootfs-access.js';
import { findContainer } from './lookup.js';

export interface CopyOptions {
  /** -a: keep uid/gid (else: the container's root going in, the caller coming out). */
  archive?: boolean;
  /** -L: follow a symlink at the source path. */
  followLink?: boolean;
  /** Where relative host paths start (default: process.cwd()). */
  cwd?: string;
}

export interface CopyReport extends CopyStats {
  /** Where it went, as docker's "Successfully copied ... to DEST" names it. */
  dest: string;
}

const MAX_SYMLINKS = 10;

function fileNotFound(path: string, ref: string): HxError {
  return new HxError(`Could not find the file ${path} in container ${ref}`, { kind: 'not-found', hint: `paths are resolved inside the container's root (hx cp ${ref}:${posix.dirname(path)} - | tar -t lists what is there)` });
}

/** A trailing "/" on a path that is a file: docker/cli's words are "stat PATH: not a
 * directory" for the host destination (ValidateOutputPath), "not a directory" for a host
 * source; for a container source hx says "lstat PATH: ...". */
function notDirectory(err: unknown, path: string, syscall: 'stat' | 'lstat' | ''): HxError {
  return new HxError(`${syscall ? `${syscall} ${path}: ` : ''}not a directory`, { kind: 'invalid-argument', cause: err, hint: `${stripEnding(path)} is a file: drop the trailing "/"` });
}

/** Stat a source: a trailing "/" or "/." follows (the OS would), as does -L. */
function statSource(root: string, path: string, follow: boolean): EntryStat | undefined {
  // '' root: a host source
  const ending = specifiesCurrentDir(path) || hasTrailingSeparator(path);
  try {
    return statPath(root, ending ? path : stripEnding(path), follow || ending);
  } catch (e) {
    if (e instanceof SysError && e.code === 'ENOTDIR') throw notDirectory(e, path, root === '' ? '' : 'lstat');
    throw e;
  }
}

/** docker's CopyInfoDestinationPath on the host: symlinks at the destination are followed. */
function hostDestination(path: string): DestInfo {
  let p = path;
  for (let n = 0; ; n++) {
    let st;
    try {
      st = lstatSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') throw notDirectory(e, path, 'stat');
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return { path: p, exists: false, isDir: false };
    }
    if (!st.isSymbolicLink()) return { path: p, exists: true, isDir: st.isDirectory() };
    if (n >= MAX_SYMLINKS) throw new HxError(`too many symlinks in ${path}`, { kind: 'invalid-argument' });
    const target = readlinkSync(p);
    p = normalizeCopyPath(target, splitPath(p).dir);
  }
}

/** docker/cli's ValidateOutputPath: the parent must exist; an existing path is a file or directory. */
function validateOutputPath(path: string): void {
  const dir = posix.dirname(stripEnding(path));
  try {
    statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new HxError(`invalid output path: directory "${dir}" does not exist`, { kind: 'not-found', hint: `create it first (mkdir -p ${dir})` });
    }
  }
  try {
    const st = statSync(path);
    if (!st.isDirectory() && !st.isFile()) throw new HxError(`invalid output path: "${path}" must be a directory or a regular file`, { kind: 'invalid-argument' });
  } catch (e) {
    if (e instanceof HxError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw notDirectory(e, path, 'stat');
    if (code !== 'ENOENT') throw e;
  }
}

function ownerOut(o: CopyOptions): CopyOwner {
  return o.archive ? undefined : { uid: process.getuid!(), gid: process.getgid!() };
}

function ignoreChown(ctx: EngineContext): boolean {
  return ctx.mode.rootless && ctx.mode.singleId;
}

/** `hx cp CTR:SRC DEST|-`: DEST a host path, or a Writable for a tar stream (docker's `-`). */
export async function copyFromContainer(ctx: EngineContext, ref: string, src: string, dest: string | Writable, o: CopyOptions = {}): Promise<CopyReport> {
  const rec = findContainer(ctx.store, ref);
  const srcPath = normalizeCopyPath(src, '/');
  const destPath = typeof dest === 'string' ? normalizeCopyPath(dest, o.cwd ?? process.cwd()) : '-';
  if (typeof dest === 'string') validateOutputPath(destPath);
  return withRootFd(ctx, rec, async (rootfs) => {
    const st = statSource(rootfs, srcPath, Boolean(o.followLink));
    if (!st) throw fileNotFound(src, ref);
    const from = { root: rootfs, path: stripEnding(srcPath), follow: Boolean(o.followLink) || specifiesCurrentDir(srcPath) || hasTrailingSeparator(srcPath) };
    const srcInfo = { path: srcPath, isDir: isDirMode(st.mode) };
    if (typeof dest !== 'string') {
      // docker's archive of SRC: one entry named as SRC (or "." for SRC/.), owners as in the container
      const temp = ctx.store.tempDir('cp');
      try {
        const name = specifiesCurrentDir(srcPath) || stripEnding(srcPath) === '/' ? '.' : splitPath(srcPath).base;
        const stats = name === '.'
          ? runCopy({ from, toRoot: '', plan: { kind: 'contents', dir: temp.path }, owner: undefined, ignoreChown: ignoreChown(ctx), rootAttrs: true })
          : runCopy({ from, toRoot: '', plan: { kind: 'entry', dir: temp.path, name }, owner: undefined, ignoreChown: ignoreChown(ctx) });
        await writeTreeTar(temp.path, name, dest);
        return { ...stats, dest: '-' };
      } finally {
        temp.release();
      }
    }
    const plan = planCopy(srcInfo, hostDestination(destPath));
    return { ...runCopy({ from, toRoot: '', plan, owner: ownerOut(o), ignoreChown: ignoreChown(ctx) }), dest: destPath };
  });
}

/** The destination in the container, docker's way: a symlink at it is followed once
 * (inside the root), then it is a directory, a file, or nothing yet. */
function containerDestination(rootfs: string, ref: string, path: string): DestInfo {
  let p = path;
  let st: EntryStat | undefined;
  try {
    st = statPath(rootfs, stripEnding(p), false);
    if (st && isSymlinkMode(st.mode)) {
      p = normalizeCopyPath(st.linkTarget, splitPath(p).dir);
      st = statPath(rootfs, stripEnding(p), true);
    }
  } catch (e) {
    if (e instanceof SysError && e.code === 'ENOTDIR') return { path: p, exists: false, isDir: false }; // the extraction finds the real error
    throw e;
  }
  if (st && !isDirMode(st.mode) && !isRegularMode(st.mode)) {
    throw new HxError(`destination "${ref}:${path}" must be a directory or a regular file`, { kind: 'invalid-argument' });
  }
  return { path: p, exists: Boolean(st), isDir: Boolean(st && isDirMode(st.mode)) };
}

/** The directory docker's daemon extracts into: it must exist and be a directory. */
function requireExtractionPoint(rootfs: string, ref: string, dir: string): void {
  let st: EntryStat | undefined;
  try {
    st = statPath(rootfs, dir, true);
  } catch (e) {
    if (!(e instanceof SysError && e.code === 'ENOTDIR')) throw e;
  }
  if (!st) throw fileNotFound(dir, ref);
  if (!isDirMode(st.mode)) throw new HxError('extraction point is not a directory', { kind: 'invalid-argument', hint: `${dir} in container ${ref} is a file` });
}

/** moby's ErrRootFSReadOnly. A stopped container's rootfs is mounted writable for the copy,
 * so --read-only is checked here; a running one's root is as it mounts it (read-only, with
 * its volumes writable), so there the kernel decides and EROFS is said in docker's words. */
function guardReadOnly(readOnly: boolean, live: boolean, ref: string): void {
  if (readOnly && !live) throw new HxError('container rootfs is marked read-only', { kind: 'invalid-argument', hint: `${ref} has --read-only: recreate it without, or copy while it runs into one of its volumes` });
}

function writeError(e: unknown, ref: string): unknown {
  if (!(e instanceof SysError && e.code === 'EROFS')) return e;
  return new HxError(`container rootfs is marked read-only, or the volume there is: ${e.message}`, { kind: 'invalid-argument', cause: e, hint: `${ref} mounts that path read-only` });
}

/** `hx cp SRC|- CTR:DEST`: SRC a host path, or a Readable tar stream (docker's `-`). */
export async function copyToContainer(ctx: EngineContext, ref: string, src: string | Readable, dest: string, o: CopyOptions = {}): Promise<CopyReport> {
  const rec = findContainer(ctx.store, ref);
  const readOnly = rec.hostConfig?.ReadonlyRootfs === true;
  const dstPath = normalizeCopyPath(dest, '/');
  const owner: CopyOwner = o.archive ? undefined : { uid: 0, gid: 0 };
  if (typeof src !== 'string') {
    return withRootFd(ctx, rec, async (rootfs, live) => {
      guardReadOnly(readOnly, live, ref);
      const dst = containerDestination(rootfs, ref, dstPath);
      if (!dst.isDir) throw new HxError(`destination "${ref}:${dest}" must be a directory`, { kind: 'invalid-argument', hint: 'a tar stream is unpacked into an existing directory' });
      const temp = ctx.store.tempDir('cp');
      try {
        await unpackTar(src, temp.path, ctx.layerContext());
        let stats;
        try {
          stats = runCopy({ from: { root: '', path: temp.path, follow: false }, toRoot: rootfs, plan: { kind: 'contents', dir: stripEnding(dst.path) }, owner, ignoreChown: true });
        } catch (e) {
          throw writeError(e, ref);
        }
        return { ...stats, dest: `${ref}:${dst.path === dstPath ? dest : dst.path}` };
      } finally {
        temp.release();
      }
    });
  }
  const srcPath = normalizeCopyPath(src, o.cwd ?? process.cwd());
  const st = statSource('', srcPath, Boolean(o.followLink));
  if (!st) throw new HxError(`lstat ${stripEnding(srcPath)}: no such file or directory`, { kind: 'not-found', hint: 'check the source path on this host' });
  const srcInfo = { path: srcPath, isDir: isDirMode(st.mode) };
  const from = { root: '', path: stripEnding(srcPath), follow: Boolean(o.followLink) || specifiesCurrentDir(srcPath) || hasTrailingSeparator(srcPath) };
  return withRootFd(ctx, rec, async (rootfs, live) => {
    guardReadOnly(readOnly, live, ref);
    const dst = containerDestination(rootfs, ref, dstPath);
    const plan = planCopy(srcInfo, dst);
    requireExtractionPoint(rootfs, ref, plan.dir);
    try {
      return { ...runCopy({ from, toRoot: rootfs, plan, owner, ignoreChown: o.archive === true }), dest: `${ref}:${dst.path === dstPath ? dest : dst.path}` };
    } catch (e) {
      throw writeError(e, ref);
    }
  });
}
