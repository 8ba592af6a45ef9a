// A tar stream of files on disk: what commit (a layer from a container's changes), export
// (a container's whole tree) and cp (a path of a container, to stdout) write. Entries come
// in the caller's order (sorted, for a layer whose diff_id must not depend on readdir);
// each is read with lstat at the moment it is written, as moby's pkg/archive does:
// - headers as moby's FileInfoHeaderNoLookups: whole-second mtimes, no atime/ctime, no
//   user or group names, owners as this process sees them (inside hx's user namespace:
//   the container's ids);
// - a file met again by (dev, ino) is written as a hardlink to its first name;
// - xattrs as pax SCHILY.xattr records, without overlay's and fuse-overlayfs' own
//   bookkeeping; security.capability always in the v2 form (a v3 one names a root uid of
//   some other namespace);
// - sockets are skipped (tar cannot hold them);
// - a file that shrinks while it is read is padded with zeros to the size in its header, so
//   the archive stays well formed (a running container may be writing it).
import { closeSync, lstatSync, openSync, readdirSync, readSync, readlinkSync, constants as C, type Stats } from 'node:fs';
import { HxError } from '../errors.js';
import { llistxattr, lgetxattr } from '../sys/libc.js';
import { isForbiddenXattr, remapCapability } from './apply.js';
import { encodeTarHeader, tarPadding, TAR_END, type TarHeaderInput } from './tar/write.js';
import type { TarEntryType } from './tar/types.js';
import { RootDirs } from './root-dirs.js';

export type TreeItem =
  /** NAME (archive path, no leading "/") with what is at HOSTPATH now. */
  | { kind: 'path'; name: string; hostPath: string }
  /** NAME with what is at NAME under the tree's root (TreeTarOptions.root), resolved there
   * so that no symlink in the tree is followed: for trees that may change while read. */
  | { kind: 'entry'; name: string }
  /** NAME was deleted: `.wh.BASENAME` beside it. */
  | { kind: 'whiteout'; name: string }
  /** Directory NAME hides what the layers below have in it: `NAME/.wh..wh..opq`. */
  | { kind: 'opaque'; name: string };

export interface TreeTarOptions {
  /** Store xattrs (default true). */
  xattrs?: boolean;
  /** Bytes read from a file at a time (default 1 MiB). */
  chunkSize?: number;
  /** Leave out TAR_END (the caller appends more entries or writes its own). */
  noEnd?: boolean;
  /** The root 'entry' items are resolved in (layer/root-dirs.ts). */
  root?: string;
}

export interface TreeTarStats {
  entries: number;
  files: number;
  bytes: number;
  hardlinks: number;
  skipped: string[];
}

const CAPABILITY = 'security.capability';

function typeOf(st: Stats): TarEntryType | null {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return null;
}

/** Linux's dev_t split (glibc's gnu_dev_major/minor). */
function devParts(rdev: number): { devmajor: number; devminor: number } {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  return { devmajor: ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0), devminor: (lo & 0xff) | ((lo >>> 12) & 0xfff00) };
}

function readXattrs(path: string): Map<string, Buffer> | undefined {
  let names: string[];
  try {
    names = llistxattr(path);
  } catch {
    return undefined; // a filesystem without xattrs
  }
  const out = new Map<string, Buffer>();
  for (const n of names.sort()) {
    if (isForbiddenXattr(n)) continue;
    const v = lgetxattr(path, n);
    if (v === null) continue;
    out.set(n, n === CAPABILITY ? remapCapability(v) : v);
  }
  return out.size ? out : undefined;
}

function unreadable(path: string, e: unknown): HxError {
  return new HxError(`cannot read ${path}: ${(e as Error).message}`, { kind: 'unavailable', hint: 'check that the file is still there and readable, then try again' });
}

function parentAndBase(name: string): [string, string] {
  const trimmed = name.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i < 0 ? ['', trimmed] : [trimmed.slice(0, i + 1), trimmed.slice(i + 1)];
}

/** The tar stream of ITEMS, chunk by chunk (read as the consumer pulls). */
export function* treeTar(items: Iterable<TreeItem>, opts: TreeTarOptions = {}, stats?: TreeTarStats): Generator<Buffer> {
  const chunkSize = opts.chunkSize ?? 1 << 20;
  const seen = new Map<string, string>();
  const s: TreeTarStats = stats ?? { entries: 0, files: 0, bytes: 0, hardlinks: 0, skipped: [] };
  const dirs = opts.root !== undefined ? new RootDirs(opts.root) : undefined;
  try {
    for (const raw of items) {
      let item = raw;
      if (item.kind === 'entry') {
        const hostPath = dirs?.entry(item.name);
        if (hostPath === undefined) {
          s.skipped.push(item.name); // a directory on its way is gone or became a symlink
          continue;
        }
        item = { kind: 'path', name: item.name, hostPath };
      }
      if (item.kind === 'whiteout') {
        const [dir, base] = parentAndBase(item.name);
        s.entries++;
        yield encodeTarHeader({ name: `${dir}.wh.${base}`, type: 'file', mode: 0o644 });
        continue;
      }
      if (item.kind === 'opaque') {
        s.entries++;
        yield encodeTarHeader({ name: `${item.name.replace(/\/+$/, '')}/.wh..wh..opq`, type: 'file', mode: 0o644 });
        continue;
      }
      let st: Stats;
      try {
        st = lstatSync(item.hostPath);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          s.skipped.push(item.name); // removed since the change list was made
          continue;
        }
        throw unreadable(item.hostPath, e);
      }
      const type = typeOf(st);
      if (!type) {
        s.skipped.push(item.name);
        continue;
      }
      const h: TarHeaderInput = {
        name: type === 'dir' && !item.name.endsWith('/') ? `${item.name}/` : item.name,
        type,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        mtime: Math.floor(st.mtimeMs / 1000),
      };
      if (opts.xattrs !== false) {
        const x = readXattrs(item.hostPath);
        if (x) h.xattrs = x;
      }
      if (type === 'symlink') h.linkname = readlinkSync(item.hostPath);
      if (type === 'char' || type === 'block') Object.assign(h, devParts(st.rdev));
      if (type === 'file' && st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = seen.get(key);
        if (first !== undefined) {
          s.entries++;
          s.hardlinks++;
          yield encodeTarHeader({ ...h, type: 'hardlink', linkname: first, size: 0 });
          continue;
        }
        seen.set(key, item.name);
      }
      if (type !== 'file') {
        s.entries++;
        yield encodeTarHeader(h);
        continue;
      }
      let fd: number;
      try {
        fd = openSync(item.hostPath, C.O_RDONLY | C.O_NOFOLLOW);
      } catch (e) {
        throw unreadable(item.hostPath, e);
      }
      try {
        const size = st.size;
        h.size = size;
        s.entries++;
        s.files++;
        yield encodeTarHeader(h);
        let done = 0;
        while (done < size) {
          const buf = Buffer.allocUnsafe(Math.min(chunkSize, size - done));
          let n = 0;
          while (n < buf.length) {
            const got = readSync(fd, buf, n, buf.length - n, done + n);
            if (got === 0) break;
            n += got;
          }
          if (n < buf.length) buf.fill(0, n); // shrank while read: keep the header's size
          done += buf.length;
          s.bytes += buf.length;
          yield buf;
        }
        const pad = tarPadding(size);
        if (pad.length) yield pad;
      } finally {
        closeSync(fd);
      }
    }
    if (!opts.noEnd) yield TAR_END;
  } finally {
    dirs?.close();
  }
}

/** A layer's entries for CHANGES (sorted, as StorageDriver.changes gives them): 'entry'
 * items, read under the root given to treeTar (the driver's changesRoot). */
export function* changeItems(changes: Iterable<{ path: string; kind: 'A' | 'C' | 'D'; opaque?: boolean }>): Generator<TreeItem> {
  let opaqueDir: string | undefined;
  for (const c of changes) {
    const name = c.path.replace(/^\/+/, '');
    if (opaqueDir !== undefined && !name.startsWith(`${opaqueDir}/`)) opaqueDir = undefined;
    if (c.kind === 'D') {
      // inside an opaque directory the marker already hides it
      if (opaqueDir === undefined) yield { kind: 'whiteout', name };
      continue;
    }
    yield { kind: 'entry', name };
    if (c.opaque) {
      yield { kind: 'opaque', name };
      opaqueDir = name;
    }
  }
}

/** Every entry under directory START of ROOT ('' the root itself, which is not an entry),
 * depth first, names sorted in each directory (moby's export walk), as 'entry' items named
 * from ROOT (START/...) for treeTar with the same root. Directories are listed through
 * RootDirs, so a symlink swapped in for one while the walk runs is never followed. */
export function* walkTree(root: string, start = ''): Generator<TreeItem> {
  const dirs = new RootDirs(root);
  try {
    const stack: Array<{ name: string; names: string[]; i: number }> = [];
    const open = (name: string): void => {
      const path = dirs.dir(name);
      if (path === undefined) return; // gone, or a symlink now
      let names: string[];
      try {
        names = readdirSync(path).sort();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw unreadable(name, e);
      }
      stack.push({ name, names, i: 0 });
    };
    open(start.replace(/\/+$/, ''));
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.i >= top.names.length) {
        stack.pop();
        continue;
      }
      const n = top.names[top.i++]!;
      const name = top.name ? `${top.name}/${n}` : n;
      yield { kind: 'entry', name };
      const at = dirs.entry(name);
      let st: Stats | undefined;
      try {
        st = at === undefined ? undefined : lstatSync(at);
      } catch {
        st = undefined;
      }
      if (st?.isDirectory()) open(name);
    }
  } finally {
    dirs.close();
  }
}
