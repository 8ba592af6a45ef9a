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

export type TreeItem =
  /** NAME (archive path, no leading "/") with what is at HOSTPATH now. */
  | { kind: 'path'; name: string; hostPath: string }
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
  for (const item of items) {
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
}

/** A layer's entries for CHANGES (sorted, as StorageDriver.changes gives them), the content
 * of each added or changed path read under ROOT (the driver's changesRoot). */
export function* changeItems(changes: Iterable<{ path: string; kind: 'A' | 'C' | 'D'; opaque?: boolean }>, root: string): Generator<TreeItem> {
  let opaqueDir: string | undefined;
  for (const c of changes) {
    const name = c.path.replace(/^\/+/, '');
    if (opaqueDir !== undefined && !name.startsWith(`${opaqueDir}/`)) opaqueDir = undefined;
    if (c.kind === 'D') {
      // inside an opaque directory the marker already hides it
      if (opaqueDir === undefined) yield { kind: 'whiteout', name };
      continue;
    }
    yield { kind: 'path', name, hostPath: `${root}/${name}` };
    if (c.opaque) {
      yield { kind: 'opaque', name };
      opaqueDir = name;
    }
  }
}

/** Every entry under ROOT, depth first, names sorted in each directory (moby's export
 * walk); ROOT itself is not an entry. PREFIX is prepended to every name. */
export function* walkTree(root: string, prefix = ''): Generator<TreeItem> {
  const stack: Array<{ dir: string; name: string; names: string[]; i: number }> = [];
  const open = (dir: string, name: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // removed while we walk
      throw unreadable(dir, e);
    }
    stack.push({ dir, name, names, i: 0 });
  };
  open(root, prefix.replace(/\/+$/, ''));
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.names.length) {
      stack.pop();
      continue;
    }
    const n = top.names[top.i++]!;
    const hostPath = `${top.dir}/${n}`;
    const name = top.name ? `${top.name}/${n}` : n;
    yield { kind: 'path', name, hostPath };
    let st: Stats;
    try {
      st = lstatSync(hostPath);
    } catch {
      continue;
    }
    if (st.isDirectory()) open(hostPath, name);
  }
}
