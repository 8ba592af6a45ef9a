// Writing one layer's entries under an empty directory, in the overlay form that every
// driver reads (DESIGN.md "Layer safety", "Whiteouts"). Synchronous on purpose: it runs
// on a worker thread where sync fs calls are 6x cheaper than promise ones.
//
// Safety: the directory starts empty, so every symlink in it was made by this layer.
// Parents of each entry are checked with lstat (cached per directory) and must be real
// directories: nothing is ever written through a symlink. Files are created with
// O_EXCL|O_NOFOLLOW after unlinking whatever was there, so an inode that is hardlinked
// elsewhere is never modified in place.
import { HxError } from '../errors.js';
import {
  chmodSync,
  closeSync,
  constants as C,
  copyFileSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { lgetxattr, llistxattr, lsetxattr, mknod, S_IFCHR, S_IFIFO } from '../sys/libc.js';
import type { TarEntry } from './tar/types.js';
import { classifyWhiteout, cleanPath, type ClassifiedName } from './tar/paths.js';

export interface ApplyOptions {
  /** The empty directory to fill. */
  root: string;
  /** user.overlay.opaque (rootless, mounted with userxattr) or trusted.overlay.opaque (rootful). */
  opaqueXattr: string;
  /** Diff dirs of the layers below, nearest first: hardlinks to their files become copies. */
  lowers: string[];
  maxEntries: number;
  /** Device nodes can be made only when rootful. */
  createDevices: boolean;
  /** In a single-id namespace chown to other ids fails: keep root ownership and count it. */
  ignoreChownErrors: boolean;
  /** The process umask (workers cannot read it). */
  umask: number;
}

export interface ApplyStats {
  entries: number;
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  whiteouts: number;
  opaques: number;
  devicesSkipped: number;
  chownSkipped: number;
  xattrsSkipped: number;
  bytes: number;
  notes: string[];
}

/** A layer that cannot be applied safely; the caller removes the whole layer dir. */
export class LayerError extends HxError {
  constructor(message: string) {
    super(message, { kind: 'data' });
    this.name = 'LayerError';
  }
}

const O_FILE = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW;
const CAP_V3 = 0x03000000;
const CAP_V2 = 0x02000000;

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    throw e;
  }
}

function isWhiteoutDevice(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** A v3 security.capability names a root uid of some other namespace: write it as v2, which
 * the kernel then binds to the root of the namespace we run in. */
export function remapCapability(value: Buffer): Buffer {
  if (value.length >= 24 && (value.readUInt32LE(0) & 0xff000000) === CAP_V3) {
    const v2 = Buffer.from(value.subarray(0, 20));
    v2.writeUInt32LE((value.readUInt32LE(0) & 0x00ffffff) | CAP_V2, 0);
    return v2;
  }
  return value;
}

/** xattrs never taken from a tar: overlay's own bookkeeping, which would forge whiteouts. */
export function isForbiddenXattr(name: string): boolean {
  return /^[^.]+\.overlay\./.test(name) || name.startsWith('user.fuseoverlayfs.');
}

export class LayerWriter {
  readonly stats: ApplyStats = {
    entries: 0, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, whiteouts: 0, opaques: 0,
    devicesSkipped: 0, chownSkipped: 0, xattrsSkipped: 0, bytes: 0, notes: [],
  };
  /** Directories known to be real dirs (not symlinks), with whether they are setgid. */
  private dirs = new Map<string, boolean>([['', false]]);
  /** mtimes to set on directories once all their children exist. */
  private dirTimes = new Map<string, number>();
  private fd: number | undefined;
  private current = '';
  private remaining = 0;
  private pendingAttrs: (() => void) | undefined;
  private readonly euid = process.geteuid!();
  private readonly egid = process.getegid!();

  constructor(private readonly o: ApplyOptions) {}

  private abs(rel: string): string {
    return rel === '' ? this.o.root : `${this.o.root}/${rel}`;
  }

  private fail(name: string, why: string): never {
    throw new LayerError(`entry "${name}" ${why}`);
  }

  /** Start an entry. File data follows through data(); call end() after it. */
  begin(e: TarEntry): void {
    if (this.fd !== undefined || this.remaining > 0) throw new LayerError(`entry "${e.name}" starts before "${this.current}" ended`);
    if (++this.stats.entries > this.o.maxEntries) {
      throw new LayerError(`more than ${this.o.maxEntries} entries in one layer (set HX_MAX_LAYER_ENTRIES to allow more)`);
    }
    this.current = e.name;
    // Docker clamps "/abs" to "abs"; a layer producer never writes one, so hx refuses it.
    if (e.name.startsWith('/')) this.fail(e.name, 'is an absolute path');
    let c: ClassifiedName;
    try {
      c = classifyWhiteout(e.name);
    } catch (err) {
      throw new LayerError((err as Error).message);
    }
    const rel = c.path === '.' ? '' : c.path;
    if (rel.length > 4096) this.fail(e.name, 'is longer than PATH_MAX');
    const slash = rel.lastIndexOf('/');
    const parent = slash < 0 ? '' : rel.slice(0, slash);

    if (c.kind === 'internal') return;
    if (c.kind === 'opaque') {
      this.ensureDir(parent, e.name);
      this.setOpaque(parent);
      this.stats.opaques++;
      return;
    }
    if (c.kind === 'whiteout') {
      this.whiteout(parent, rel.slice(slash + 1 + 4), e.name);
      return;
    }

    if (rel === '') {
      if (e.type !== 'dir') this.fail(e.name, 'names the layer root but is not a directory');
      this.setOwnerAndMode(this.o.root, e, true);
      this.applyXattrs(this.o.root, e);
      this.dirTimes.set('', e.mtime);
      return;
    }

    this.ensureDir(parent, e.name);
    const path = this.abs(rel);
    switch (e.type) {
      case 'dir':
        this.makeDir(rel, path, e);
        return;
      case 'file':
        this.makeFile(rel, parent, path, e);
        return;
      case 'symlink':
        this.clear(rel, path);
        symlinkSync(e.linkname, path);
        this.chown(path, e.uid, e.gid, true);
        this.applyXattrs(path, e);
        lutimesSync(path, e.mtime, e.mtime);
        this.stats.symlinks++;
        return;
      case 'hardlink':
        this.makeHardlink(rel, path, e);
        return;
      case 'fifo':
        this.clear(rel, path);
        mknod(path, S_IFIFO | (e.mode & 0o777), 0);
        this.setOwnerAndMode(path, e, false);
        this.applyXattrs(path, e);
        lutimesSync(path, e.mtime, e.mtime);
        return;
      case 'char':
      case 'block':
        if (!this.o.createDevices) {
          this.stats.devicesSkipped++;
          return;
        }
        this.clear(rel, path);
        mknod(path, (e.type === 'char' ? S_IFCHR : 0o060000) | (e.mode & 0o7777), makedev(e.devmajor, e.devminor));
        this.setOwnerAndMode(path, e, false);
        lutimesSync(path, e.mtime, e.mtime);
        return;
      default:
        this.fail(e.name, `has an unsupported type ${String(e.type)}`);
    }
  }

  data(chunk: Uint8Array): void {
    if (chunk.length > this.remaining) throw new LayerError(`entry "${this.current}": more data than its size`);
    this.remaining -= chunk.length;
    if (this.fd === undefined) return;
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
    this.stats.bytes += chunk.length;
  }

  end(): void {
    if (this.remaining !== 0) throw new LayerError(`entry "${this.current}": data ended ${this.remaining} bytes early`);
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      try {
        this.pendingAttrs?.();
      } finally {
        this.pendingAttrs = undefined;
        closeSync(fd);
      }
    }
  }

  /** After the last entry: directory mtimes (children are all written now). */
  finish(): ApplyStats {
    if (this.fd !== undefined) closeSync(this.fd);
    for (const [rel, mtime] of this.dirTimes) lutimesSync(this.abs(rel), mtime, mtime);
    const s = this.stats;
    if (s.devicesSkipped) s.notes.push(`${s.devicesSkipped} device node(s) skipped: they cannot be created rootless (containers get /dev from hx)`);
    if (s.chownSkipped) s.notes.push(`${s.chownSkipped} file(s) kept root ownership: only one id is mapped (add a subuid range for full ownership)`);
    if (s.xattrsSkipped) s.notes.push(`${s.xattrsSkipped} extended attribute(s) could not be set and were skipped`);
    return s;
  }

  /** Abort: close what is open (the caller deletes the directory). */
  abort(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        /* ignore */
      }
      this.fd = undefined;
    }
  }

  // ---- entry kinds ----

  private makeDir(rel: string, path: string, e: TarEntry): void {
    const st = lstatOrNull(path);
    let opaque = false;
    if (st && !st.isDirectory()) {
      opaque = isWhiteoutDevice(st); // whited out below, recreated here: hide the lower dir's children
      this.clear(rel, path, st);
    }
    const existed = Boolean(st && st.isDirectory());
    if (!existed) mkdirSync(path, { mode: e.mode & 0o777 });
    // A new dir inherits setgid from a setgid parent: then its mode must be set too.
    const slash = rel.lastIndexOf('/');
    const parentSetgid = this.dirs.get(slash < 0 ? '' : rel.slice(0, slash)) === true;
    this.setOwnerAndMode(path, e, existed || parentSetgid);
    this.applyXattrs(path, e);
    if (opaque) this.setOpaque(rel);
    this.dirs.set(rel, (e.mode & 0o2000) !== 0);
    this.dirTimes.set(rel, e.mtime);
    this.stats.dirs++;
  }

  private makeFile(rel: string, parent: string, path: string, e: TarEntry): void {
    let fd: number;
    try {
      fd = openSync(path, O_FILE, e.mode & 0o777);
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw err;
      this.clear(rel, path);
      fd = openSync(path, O_FILE, e.mode & 0o777);
    }
    this.fd = fd;
    this.remaining = e.size;
    this.stats.files++;
    const parentSetgid = this.dirs.get(parent) === true;
    this.pendingAttrs = () => {
      const mode = e.mode & 0o7777;
      let chowned = false;
      if (e.uid !== this.euid || e.gid !== this.egid || parentSetgid) chowned = this.fchown(fd, path, e.uid, e.gid);
      // chown clears setuid/setgid; umask may have dropped bits at open.
      if (chowned || mode !== (mode & 0o777 & ~this.o.umask)) fchmodSync(fd, mode);
      this.applyXattrs(path, e);
      futimesSync(fd, e.mtime, e.mtime);
    };
  }

  private makeHardlink(rel: string, path: string, e: TarEntry): void {
    if (e.linkname.startsWith('/')) this.fail(e.name, `is a hardlink to the absolute path "${e.linkname}"`);
    let target: string;
    try {
      target = cleanPath(e.linkname);
    } catch {
      this.fail(e.name, `is a hardlink to "${e.linkname}", which is outside the layer`);
    }
    if (target === '.') this.fail(e.name, 'is a hardlink to the layer root');
    if (target === rel) this.fail(e.name, 'is a hardlink to itself');
    const slash = target.lastIndexOf('/');
    const tparent = slash < 0 ? '' : target.slice(0, slash);
    const inLayer = this.existingDir(tparent, e.name, `hardlink target "${e.linkname}"`);
    const tpath = this.abs(target);
    const tst = inLayer ? lstatOrNull(tpath) : null;
    if (tst && !isWhiteoutDevice(tst)) {
      if (tst.isDirectory()) this.fail(e.name, `is a hardlink to directory "${e.linkname}"`);
      this.clear(rel, path);
      linkSync(tpath, path);
      this.stats.hardlinks++;
      return;
    }
    // Not in this layer: a link to a file of a lower layer becomes a copy (layers cannot share inodes).
    const lower = this.findInLowers(target);
    if (!lower) this.fail(e.name, `is a hardlink to "${e.linkname}", which is neither in this layer nor below it`);
    this.clear(rel, path);
    if (lower.st.isSymbolicLink()) symlinkSync(readlinkSync(lower.path), path);
    else copyFileSync(lower.path, path, C.COPYFILE_EXCL);
    this.chown(path, lower.st.uid, lower.st.gid, true);
    if (!lower.st.isSymbolicLink()) {
      fchmodPath(path, lower.st.mode & 0o7777);
      for (const name of safeList(lower.path)) {
        const v = lgetxattr(lower.path, name);
        if (v && !isForbiddenXattr(name)) this.setXattr(path, name, v);
      }
    }
    lutimesSync(path, lower.st.mtime, lower.st.mtime);
    this.stats.hardlinks++;
  }

  private whiteout(parent: string, target: string, name: string): void {
    this.ensureDir(parent, name);
    const rel = parent === '' ? target : `${parent}/${target}`;
    const path = this.abs(rel);
    const st = lstatOrNull(path);
    this.stats.whiteouts++;
    if (st) {
      // Whiteouts hide lower layers only. A dir of this layer stays, made opaque; a file stays.
      if (st.isDirectory()) this.setOpaque(rel);
      return;
    }
    mknod(path, S_IFCHR, 0);
  }

  // ---- helpers ----

  /** Make sure REL is a real directory of this layer, creating missing ones (0755 root). */
  private ensureDir(rel: string, name: string): void {
    if (this.dirs.has(rel)) return;
    const slash = rel.lastIndexOf('/');
    this.ensureDir(slash < 0 ? '' : rel.slice(0, slash), name);
    const path = this.abs(rel);
    const st = lstatOrNull(path);
    if (!st) {
      mkdirSync(path, { mode: 0o755 });
      this.dirs.set(rel, false);
      return;
    }
    if (st.isSymbolicLink()) this.fail(name, `goes through the symlink "${rel}" (nothing is written through symlinks)`);
    if (isWhiteoutDevice(st)) {
      // ".wh.d" then "d/x" in one layer: d is deleted below and recreated here.
      unlinkSync(path);
      mkdirSync(path, { mode: 0o755 });
      this.setOpaque(rel);
      this.dirs.set(rel, false);
      return;
    }
    if (!st.isDirectory()) this.fail(name, `needs "${rel}" to be a directory, but this layer made it a file`);
    this.dirs.set(rel, (st.mode & 0o2000) !== 0);
  }

  /** Like ensureDir but never creates: false when REL does not exist in this layer. */
  private existingDir(rel: string, name: string, what: string): boolean {
    if (this.dirs.has(rel)) return true;
    const slash = rel.lastIndexOf('/');
    if (!this.existingDir(slash < 0 ? '' : rel.slice(0, slash), name, what)) return false;
    const st = lstatOrNull(this.abs(rel));
    if (!st) return false;
    if (st.isSymbolicLink()) this.fail(name, `has a ${what} that goes through the symlink "${rel}"`);
    if (!st.isDirectory()) return false;
    this.dirs.set(rel, (st.mode & 0o2000) !== 0);
    return true;
  }

  /** Remove whatever is at REL (a directory with its subtree) before a non-dir replaces it. */
  private clear(rel: string, path: string, known?: Stats): void {
    const st = known ?? lstatOrNull(path);
    if (!st) return;
    if (st.isDirectory()) {
      rmSync(path, { recursive: true, force: true });
      const prefix = `${rel}/`;
      for (const k of this.dirs.keys()) if (k === rel || k.startsWith(prefix)) this.dirs.delete(k);
      for (const k of this.dirTimes.keys()) if (k === rel || k.startsWith(prefix)) this.dirTimes.delete(k);
    } else {
      unlinkSync(path);
    }
  }

  private setOpaque(rel: string): void {
    lsetxattr(this.abs(rel), this.o.opaqueXattr, Buffer.from('y'));
  }

  /** EXISTED: the inode was there before this entry (its mode must be set whatever it is). */
  private setOwnerAndMode(path: string, e: TarEntry, existed: boolean): void {
    const chowned = this.chown(path, e.uid, e.gid, false);
    const mode = e.mode & 0o7777;
    if (chowned || existed || mode !== (mode & 0o777 & ~this.o.umask)) fchmodPath(path, mode);
  }

  /** lchown; true when ownership changed. */
  private chown(path: string, uid: number, gid: number, link: boolean): boolean {
    if (uid === this.euid && gid === this.egid && !link) return false;
    try {
      lchownSync(path, uid, gid);
      return true;
    } catch (e) {
      return this.chownFailed(e, path, uid, gid);
    }
  }

  private fchown(fd: number, path: string, uid: number, gid: number): boolean {
    try {
      fchownSync(fd, uid, gid);
      return true;
    } catch (e) {
      return this.chownFailed(e, path, uid, gid);
    }
  }

  private chownFailed(e: unknown, path: string, uid: number, gid: number): boolean {
    if (errno(e) !== 'EINVAL') throw e;
    if (this.o.ignoreChownErrors) {
      this.stats.chownSkipped++;
      return false;
    }
    const rel = path.slice(this.o.root.length + 1) || '/';
    throw new LayerError(`entry "${rel}" is owned by ${uid}:${gid}, outside the ids mapped into hx's user namespace`);
  }

  private applyXattrs(path: string, e: TarEntry): void {
    if (e.xattrs.size === 0) return;
    for (const [name, value] of e.xattrs) {
      if (isForbiddenXattr(name)) continue;
      this.setXattr(path, name, name === 'security.capability' ? remapCapability(value) : value);
    }
  }

  private setXattr(path: string, name: string, value: Buffer): void {
    try {
      lsetxattr(path, name, value);
    } catch (err) {
      const code = errno(err);
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EACCES') {
        this.stats.xattrsSkipped++;
        return;
      }
      throw err;
    }
  }

  /** The file a merged view of the lower layers shows at REL, honouring whiteouts. */
  private findInLowers(rel: string): { path: string; st: Stats } | undefined {
    const parts = rel.split('/');
    for (const lower of this.o.lowers) {
      let dir = lower;
      let opaqueHere = false;
      let i = 0;
      for (; i < parts.length; i++) {
        const p = `${dir}/${parts[i]}`;
        const st = lstatOrNull(p);
        if (!st) break;
        if (isWhiteoutDevice(st)) return undefined;
        if (i === parts.length - 1) {
          if (st.isDirectory()) return undefined;
          return { path: p, st };
        }
        if (!st.isDirectory()) return undefined;
        if (lgetxattr(p, this.o.opaqueXattr)) opaqueHere = true;
        dir = p;
      }
      if (opaqueHere) return undefined;
    }
    return undefined;
  }
}

function fchmodPath(path: string, mode: number): void {
  // chmod follows a final symlink; callers pass only paths they just made as non-symlinks
  // under verified parents.
  chmodSync(path, mode);
}

function safeList(path: string): string[] {
  try {
    return llistxattr(path);
  } catch {
    return [];
  }
}

function makedev(major: number, minor: number): number {
  return ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);
}
