// COPY/ADD's rules that are not the copy itself: --chmod (octal, or chmod(1)'s symbolic
// clauses as buildkit 1.14+ takes them), applied to what was copied; --exclude patterns
// (buildkit's: a pattern matches a source path or any directory above it, Go's
// filepath.Match per segment, ** for any depth); --parents (the source's path below the
// context is kept under the destination, up to a "/./" pivot when there is one).
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { HxError } from '../../errors.js';
import { RootDirs } from '../../layer/root-dirs.js';

/** A --chmod value as a function of an entry's current mode (permission bits and type). */
export type ModeChange = (mode: number, isDir: boolean) => number;

const WHO: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007 };

/** --chmod: octal ("755") sets the bits; symbolic ("u+x,go=rX") changes them as chmod(1). */
export function parseChmod(value: string): ModeChange {
  if (/^[0-7]+$/.test(value)) {
    const bits = Number.parseInt(value, 8);
    if (bits > 0o7777) throw new HxError(`invalid chmod parameter: '${value}'. it should be octal string and between 0 and 07777`, { kind: 'invalid-argument' });
    return () => bits;
  }
  const clauses = value.split(',').map((clause) => {
    const m = /^([ugoa]*)((?:[-+=](?:[ugo]|[rwxXst]*))+)$/.exec(clause);
    if (!m) throw new HxError(`invalid chmod parameter: '${value}'. it should be octal or symbolic (u=rwX,go=rX)`, { kind: 'invalid-argument' });
    const who = m[1] === '' || m[1]!.includes('a') ? 'ugo' : m[1]!;
    const ops = [...m[2]!.matchAll(/([-+=])([ugo]|[rwxXst]*)/g)].map((o) => ({ op: o[1]!, perms: o[2]! }));
    return { who, ops };
  });
  return (mode, isDir) => {
    let bits = mode & 0o7777;
    for (const { who, ops } of clauses) {
      const mask = [...who].reduce((acc, w) => acc | WHO[w]!, 0);
      for (const { op, perms } of ops) {
        let add = 0;
        if (/^[ugo]$/.test(perms)) {
          // copy another class's bits: g=u
          const shift = { u: 6, g: 3, o: 0 }[perms as 'u' | 'g' | 'o'];
          const rwx = (bits >> shift) & 7;
          add = (rwx << 6) | (rwx << 3) | rwx;
        } else {
          for (const p of perms) {
            if (p === 'r') add |= 0o444;
            else if (p === 'w') add |= 0o222;
            else if (p === 'x') add |= 0o111;
            // X: execute only for directories and files someone may execute already
            else if (p === 'X' && (isDir || (mode & 0o111) !== 0)) add |= 0o111;
            else if (p === 's') add |= 0o6000;
            else if (p === 't') add |= 0o1000;
          }
        }
        const change = add & mask;
        if (op === '+') bits |= change;
        else if (op === '-') bits &= ~change;
        else bits = (bits & ~mask) | change;
      }
    }
    return bits;
  };
}

/** Apply CHANGE to PATH (absolute inside ROOT) and, for a directory, to all below it;
 * symlinks are left alone (their mode means nothing), none is followed. */
export function chmodTreeInRoot(root: string, path: string, change: ModeChange): void {
  const dirs = new RootDirs(root);
  try {
    const visit = (rel: string): void => {
      const at = dirs.entry(rel);
      if (at === undefined) return;
      const st = lstatSync(at);
      if (st.isSymbolicLink()) return;
      const isDir = st.isDirectory();
      if (isDir) for (const name of readdirSync(at)) visit(`${rel}/${name}`);
      // the directory's own mode last: a change that drops its x bit would stop the walk
      chmodSync(dirs.entry(rel)!, change(st.mode, isDir));
    };
    visit(path.replace(/^\/+/, ''));
  } finally {
    dirs.close();
  }
}

/** Go's filepath.Match for one path segment: * ? [class] (^ or ! negates), \\ escapes. */
export function segmentPattern(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) throw new HxError(`syntax error in pattern: ${seg}`, { kind: 'invalid-argument', hint: 'close the [...] class' });
      let cls = seg.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < seg.length) re += `\\${seg[++i]!}`;
    else re += ch.replace(/[.+^${}()|\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** --exclude=PATTERN...: true when PATH (relative to the source root, no leading "/")
 * or a directory above it matches one (buildkit's patternmatcher, as .dockerignore). */
export function excluder(patterns: readonly string[]): (path: string) => boolean {
  if (patterns.length === 0) return () => false;
  const compiled = patterns.map((p) => {
    const segs = p.replace(/^\/+/, '').replace(/\/+$/, '').split('/').filter((s) => s !== '' && s !== '.');
    return segs.map((s) => (s === '**' ? '**' : segmentPattern(s)));
  });
  const matches = (segs: (RegExp | '**')[], parts: string[]): boolean => {
    if (segs.length === 0) return parts.length === 0;
    const [head, ...rest] = segs;
    if (head === '**') {
      for (let i = 0; i <= parts.length; i++) if (matches(rest, parts.slice(i))) return true;
      return false;
    }
    return parts.length > 0 && head!.test(parts[0]!) && matches(rest, parts.slice(1));
  };
  return (path) => {
    const parts = path.replace(/^\/+/, '').split('/').filter(Boolean);
    // a pattern names a path or any of its parents
    for (let n = 1; n <= parts.length; n++) {
      const prefix = parts.slice(0, n);
      if (compiled.some((segs) => matches(segs, prefix))) return true;
    }
    return false;
  };
}

/** --parents: the part of SOURCE (as written) kept below the destination: everything after
 * a "/./" pivot, else the whole path; wildcards are resolved in MATCHED (the expanded path). */
export function parentsPath(source: string, matched: string): string {
  const clean = matched.replace(/^\/+/, '');
  const pivot = source.indexOf('/./');
  if (pivot < 0) return clean;
  const depth = source.slice(0, pivot).replace(/^\/+/, '').split('/').filter((s) => s !== '' && s !== '.').length;
  return clean.split('/').slice(depth).join('/');
}
