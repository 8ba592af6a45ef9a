// Directories of a tree that something else may be changing (a running container's root
// or upper dir), opened so that no symlink swapped in can lead outside it: each directory
// by openat2 from the root's fd with RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS (a symlink on
// the way fails with ELOOP instead of being followed), then used as /proc/self/fd/N/NAME,
// where only NAME is looked up (lstat, O_NOFOLLOW opens, readdir of the pinned directory).
import { closeSync, constants as C, lchownSync, mkdirSync, openSync } from 'node:fs';
import { openat2, RESOLVE } from '../sys/libc.js';

const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | 0o2000000; /* O_CLOEXEC */
const KEEP = 64;

export class RootDirs {
  private readonly rootFd: number;
  private readonly open = new Map<string, number>(); // relative dir -> fd, least recent first

  constructor(root: string) {
    this.rootFd = openSync(root, DIR_FLAGS);
  }

  /** /proc/self/fd/N for directory DIR (relative, '' for the root); undefined when it is not a
   * directory any more or a symlink is on the way (the tree changed since it was listed). */
  dir(dir: string): string | undefined {
    if (dir === '') return `/proc/self/fd/${this.rootFd}`;
    let fd = this.open.get(dir);
    if (fd !== undefined) {
      this.open.delete(dir);
      this.open.set(dir, fd);
      return `/proc/self/fd/${fd}`;
    }
    try {
      fd = openat2(this.rootFd, dir, DIR_FLAGS, 0, RESOLVE.IN_ROOT | RESOLVE.NO_SYMLINKS | RESOLVE.NO_MAGICLINKS);
    } catch {
      return undefined;
    }
    this.open.set(dir, fd);
    if (this.open.size > KEEP) {
      const [oldest, oldFd] = this.open.entries().next().value as [string, number];
      this.open.delete(oldest);
      closeSync(oldFd);
    }
    return `/proc/self/fd/${fd}`;
  }

  /** NAME (relative path) as a path whose every directory is pinned: /proc/self/fd/N/BASE. */
  entry(name: string): string | undefined {
    const trimmed = name.replace(/\/+$/, '');
    const i = trimmed.lastIndexOf('/');
    const parent = this.dir(i < 0 ? '' : trimmed.slice(0, i));
    return parent === undefined ? undefined : `${parent}/${trimmed.slice(i + 1)}`;
  }

  close(): void {
    for (const fd of this.open.values()) closeSync(fd);
    this.open.clear();
    closeSync(this.rootFd);
  }
}

/** mkdir -p of DIR (absolute inside ROOT) with every component resolved inside ROOT: a
 * directory that is there is kept, a missing one made (mode 0755, OWNER's), anything else
 * on the way (a file, a symlink) is an error, never followed. */
export function mkdirInRoot(root: string, dir: string, owner?: { uid: number; gid: number }): void {
  const dirs = new RootDirs(root);
  try {
    let at = '';
    for (const part of dir.split('/').filter((p) => p !== '' && p !== '.')) {
      if (part === '..') throw new Error(`"${dir}" leaves the root`);
      const next = at ? `${at}/${part}` : part;
      if (dirs.dir(next) === undefined) {
        const parent = dirs.dir(at);
        if (parent === undefined) throw new Error(`cannot make ${dir}: ${at} is not a directory`);
        try {
          mkdirSync(`${parent}/${part}`, 0o755);
        } catch (e) {
          throw new Error(`cannot make ${dir}: ${(e as NodeJS.ErrnoException).code === 'EEXIST' ? `${next} exists and is not a directory` : (e as Error).message}`);
        }
        if (owner) lchownSync(`${parent}/${part}`, owner.uid, owner.gid);
      }
      at = next;
    }
  } finally {
    dirs.close();
  }
}
