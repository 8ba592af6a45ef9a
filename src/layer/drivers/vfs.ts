// vfs: the last resort. The container gets a full copy of the merged layers; whiteouts
// (0/0 char devices) delete, opaque dirs drop what lower layers put in them.
import { constants as C, copyFileSync, existsSync, writeFileSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, chmodSync, linkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr, llistxattr, lsetxattr, mknod, S_IFIFO } from '../../sys/libc.js';
import { treeChanges } from './changes.js';
import type { StorageDriver } from './driver.js';
import { opaqueXattrOf, type RootfsDirs } from './types.js';

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function copyXattrs(src: string, dst: string): void {
  let names: string[];
  try {
    names = llistxattr(src);
  } catch {
    return;
  }
  for (const n of names) {
    if (/^[^.]+\.overlay\./.test(n)) continue;
    const v = lgetxattr(src, n);
    if (!v) continue;
    try {
      lsetxattr(dst, n, v);
    } catch {
      /* not settable here: skipped like the layer writer does */
    }
  }
}

/** Apply layer dir SRC onto DST (both absolute), in overlay semantics. */
export function applyLayerCopy(src: string, dst: string, opaqueXattr: string, inodes: Map<string, string>): void {
  for (const name of readdirSync(src)) {
    const s = join(src, name);
    const d = join(dst, name);
    const st = lstatSync(s);
    let existing: Stats | null = null;
    try {
      existing = lstatSync(d);
    } catch {
      existing = null;
    }
    if (isWhiteout(st)) {
      if (existing) rmSync(d, { recursive: true, force: true });
      continue;
    }
    if (st.isDirectory()) {
      if (existing && !existing.isDirectory()) {
        rmSync(d, { force: true });
        existing = null;
      }
      if (existing && lgetxattr(s, opaqueXattr)) {
        rmSync(d, { recursive: true, force: true });
        existing = null;
      }
      if (!existing) mkdirSync(d);
      applyLayerCopy(s, d, opaqueXattr, inodes);
      lchownSync(d, st.uid, st.gid);
      chmodSync(d, st.mode & 0o7777);
      copyXattrs(s, d);
      lutimesSync(d, st.atime, st.mtime);
      continue;
    }
    if (existing) rmSync(d, { recursive: true, force: true });
    // Keep hardlinks of one layer together as hardlinks in the copy.
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? inodes.get(key) : undefined;
    if (first) {
      linkSync(first, d);
      continue;
    }
    if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(s), d);
      lchownSync(d, st.uid, st.gid);
    } else if (st.isFile()) {
      copyFileSync(s, d, C.COPYFILE_EXCL);
      lchownSync(d, st.uid, st.gid);
      chmodSync(d, st.mode & 0o7777);
      copyXattrs(s, d);
    } else if (st.isFIFO()) {
      mknod(d, S_IFIFO | (st.mode & 0o7777), 0);
      lchownSync(d, st.uid, st.gid);
      chmodSync(d, st.mode & 0o7777);
    } else {
      continue; // sockets; devices (a user namespace cannot make them, and layers rarely hold them)
    }
    if (st.nlink > 1) inodes.set(key, d);
    lutimesSync(d, st.atime, st.mtime);
  }
}

export function materializeVfs(d: RootfsDirs, opaqueXattr: string): string {
  const rootfs = join(d.containerDir, 'rootfs');
  mkdirSync(rootfs, { recursive: true, mode: 0o755 });
  // A marker written last: a copy interrupted midway is not taken for a whole one.
  rmSync(join(d.containerDir, 'rootfs.done'), { force: true });
  const inodes = new Map<string, string>();
  for (const lower of [...d.lowerDirs].reverse()) applyLayerCopy(lower, rootfs, opaqueXattr, inodes);
  writeFileSync(join(d.containerDir, 'rootfs.done'), '');
  return rootfs;
}

export const vfsDriver: StorageDriver = {
  name: 'vfs',
  rootfsPath: (d) => join(d.containerDir, 'rootfs'),
  isMounted: (d) => existsSync(join(d.containerDir, 'rootfs.done')),
  mount: (d) => {
    if (existsSync(join(d.containerDir, 'rootfs.done'))) return join(d.containerDir, 'rootfs');
    rmSync(join(d.containerDir, 'rootfs'), { recursive: true, force: true });
    return materializeVfs(d, opaqueXattrOf(d));
  },
  unmount: () => {
    /* a copy is always there */
  },
  remove: (d) => {
    rmSync(join(d.containerDir, 'rootfs.done'), { force: true });
    rmSync(join(d.containerDir, 'rootfs'), { recursive: true, force: true });
  },
  // A copy never made (a created container not yet started) has changed nothing.
  changes: (d) => (existsSync(join(d.containerDir, 'rootfs.done')) ? treeChanges(join(d.containerDir, 'rootfs'), d.lowerDirs, opaqueXattrOf(d)) : []),
  changesRoot: (d) => join(d.containerDir, 'rootfs'),
};
