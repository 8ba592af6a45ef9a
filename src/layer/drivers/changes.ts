// What a container changed against its image, for every driver: overlay and
// fuse-overlayfs from their upper dir, vfs by comparing its copy with the layers. Rules
// follow moby's pkg/archive/changes.go: whiteouts are deletions, an entry the image does
// not have is an addition, one it has with other content or metadata is a change, a
// directory that only holds a changed entry (a copy-up parent) is not reported by itself,
// and the parents of every added or deleted entry are listed as changed.
import { existsSync, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { sortChanges, type Change, type ChangeKind } from './driver.js';
import { isOpaque, isWhiteout, LowerView } from './lower-view.js';

const OPAQUE_FILE = '.wh..wh..opq';

function sameMeta(a: Stats, b: Stats): boolean {
  return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.mtimeMs === b.mtimeMs;
}

/** Same entry as far as a diff is concerned (moby compares mode, ids, size, mtime, link target). */
function sameEntry(a: Stats, b: Stats, aPath: string, bPath: string): boolean {
  if ((a.mode & 0o170000) !== (b.mode & 0o170000)) return false;
  if (a.isDirectory()) return sameMeta(a, b);
  if (a.isSymbolicLink()) {
    try {
      return readlinkSync(aPath) === readlinkSync(bPath) && a.uid === b.uid && a.gid === b.gid;
    } catch {
      return false;
    }
  }
  return sameMeta(a, b) && a.size === b.size && a.rdev === b.rdev;
}

class ChangeList {
  private readonly byPath = new Map<string, Change>();
  add(path: string, kind: ChangeKind, opaque = false): void {
    if (!this.byPath.has(path)) this.byPath.set(path, opaque ? { path, kind, opaque } : { path, kind });
  }
  /** moby: the parents of an added or deleted entry show as changed. */
  done(): Change[] {
    for (const c of [...this.byPath.values()]) {
      if (c.kind === 'C') continue;
      for (let p = c.path.slice(0, c.path.lastIndexOf('/')); p.length > 0; p = p.slice(0, p.lastIndexOf('/'))) this.add(p, 'C');
    }
    return sortChanges([...this.byPath.values()]);
  }
}

/** Changes recorded in an overlay upper dir over LOWERS (top first). */
export function upperChanges(upper: string, lowers: string[], opaqueXattr: string): Change[] {
  // No upper dir yet: a created container never mounted has changed nothing.
  if (!existsSync(upper)) return [];
  const lower = new LowerView(lowers, opaqueXattr);
  const out = new ChangeList();
  const walk = (dir: string, path: string, hidden: boolean): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      // fuse-overlayfs marks a directory opaque with this file when it cannot set the xattr
      if (name === OPAQUE_FILE) continue;
      const st = lstatSync(full);
      // a whiteout: a 0/0 device, or (fuse-overlayfs without mknod) an empty .wh.NAME file
      const fileWhiteout = name.startsWith('.wh.') && st.isFile() && st.size === 0;
      const p = `${path}/${fileWhiteout ? name.slice(4) : name}`;
      if (isWhiteout(st) || fileWhiteout) {
        if (!hidden && lower.lookup(p)) out.add(p, 'D');
        continue;
      }
      const old = hidden ? null : lower.lookup(p);
      if (st.isDirectory()) {
        const opaque = isOpaque(full, opaqueXattr) || existsSync(join(full, OPAQUE_FILE));
        if (!old) out.add(p, 'A');
        else if (opaque || !old.isDirectory()) out.add(p, 'C', opaque);
        else if (!sameMeta(st, old)) out.add(p, 'C');
        // A directory removed and made again: what the image had in it and it lacks now is
        // deleted, as vfs's comparison says (the layer needs only the opaque marker).
        if (opaque && old && old.isDirectory()) {
          const now = new Set(readdirSync(full));
          for (const n of lower.list(p)) if (!now.has(n)) out.add(`${p}/${n}`, 'D');
        }
        walk(full, p, hidden || opaque || !old || !old.isDirectory());
        continue;
      }
      out.add(p, old ? 'C' : 'A');
    }
  };
  walk(upper, '', false);
  return out.done();
}

/** Changes of a full copy ROOTFS against LOWERS (top first). */
export function treeChanges(rootfs: string, lowers: string[], opaqueXattr: string): Change[] {
  const lower = new LowerView(lowers, opaqueXattr);
  const out = new ChangeList();
  const walk = (dir: string, path: string, lowerHasDir: boolean): void => {
    const names = readdirSync(dir).sort();
    const here = new Set(names);
    for (const name of names) {
      const full = join(dir, name);
      const p = `${path}/${name}`;
      const st = lstatSync(full);
      const old = lowerHasDir ? lower.lookup(p) : null;
      if (!old) out.add(p, 'A');
      else if (!sameEntry(st, old, full, lowerPath(lowers, p, lower))) out.add(p, 'C');
      if (st.isDirectory()) walk(full, p, old !== null && old.isDirectory());
    }
    if (!lowerHasDir) return;
    for (const name of lower.list(path || '/')) if (!here.has(name)) out.add(`${path}/${name}`, 'D');
  };
  walk(rootfs, '', true);
  return out.done();
}

/** The host path of P in the top-most layer that shows it (for reading a link's target). */
function lowerPath(lowers: string[], p: string, view: LowerView): string {
  const want = view.lookup(p);
  for (const l of lowers) {
    try {
      const st = lstatSync(join(l, p));
      if (want && st.ino === want.ino && st.dev === want.dev) return join(l, p);
    } catch {
      /* not in this layer */
    }
  }
  return join(lowers[0] ?? '/', p);
}
