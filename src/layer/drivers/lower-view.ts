// An image's filesystem as its layer dirs give it (overlay semantics: a 0/0 character
// device deletes, an opaque directory hides what the layers below it hold there), looked
// up path by path without copying anything. The drivers' changes() compare a container
// against it.
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr } from '../../sys/libc.js';

export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

export function isOpaque(path: string, xattr: string): boolean {
  try {
    const v = lgetxattr(path, xattr);
    return v !== null && v.toString() === 'y';
  } catch {
    return false;
  }
}

export class LowerView {
  private readonly cache = new Map<string, Stats | null>();

  /** LOWERS: the layers' diff dirs, top first. */
  constructor(
    private readonly lowers: string[],
    private readonly opaqueXattr: string,
  ) {}

  /** The entry at PATH (absolute, inside the container) as the layers show it, or null. */
  lookup(path: string): Stats | null {
    const hit = this.cache.get(path);
    if (hit !== undefined) return hit;
    const found = this.find(path);
    this.cache.set(path, found);
    return found;
  }

  private find(path: string): Stats | null {
    const parts = path.split('/').filter(Boolean);
    if (parts.length === 0) return lstatOrNull(this.lowers[this.lowers.length - 1] ?? '/');
    for (const layer of this.lowers) {
      let dir = layer;
      let stopBelow = false; // this layer hides the lower ones from here on
      let missing = false;
      for (let k = 0; k < parts.length; k++) {
        const p = join(dir, parts[k]!);
        const st = lstatOrNull(p);
        if (!st) {
          missing = true;
          break;
        }
        if (isWhiteout(st)) return null; // deleted at this layer
        if (k === parts.length - 1) return st;
        if (!st.isDirectory()) return null; // a file here hides everything below it
        if (isOpaque(p, this.opaqueXattr)) stopBelow = true;
        dir = p;
      }
      if (missing && stopBelow) return null;
    }
    return null;
  }

  /** The layer dirs (top first) that hold directory PATH and show through to it. */
  private layersFor(path: string): string[] {
    const parts = path.split('/').filter(Boolean);
    const out: string[] = [];
    for (const layer of this.lowers) {
      let dir = layer;
      let hidesBelow = false;
      let present = true;
      for (let k = 0; k <= parts.length; k++) {
        const st = lstatOrNull(dir);
        if (!st) {
          present = false;
          break;
        }
        if (isWhiteout(st) || !st.isDirectory()) return out; // deleted or replaced here: nothing below shows
        if (isOpaque(dir, this.opaqueXattr)) hidesBelow = true;
        if (k < parts.length) dir = join(dir, parts[k]!);
      }
      if (present) out.push(dir);
      if (hidesBelow) return out;
    }
    return out;
  }

  /** The names in directory PATH as the layers show it (whiteouts applied), sorted. */
  list(path: string): string[] {
    const names = new Map<string, boolean>(); // name -> visible
    for (const dir of this.layersFor(path)) {
      let entries: string[] = [];
      try {
        entries = readdirSync(dir);
      } catch {
        entries = [];
      }
      for (const name of entries) {
        if (names.has(name)) continue;
        const est = lstatOrNull(join(dir, name));
        names.set(name, est !== null && !isWhiteout(est));
      }
    }
    return [...names].filter(([, visible]) => visible).map(([n]) => n).sort();
  }
}
