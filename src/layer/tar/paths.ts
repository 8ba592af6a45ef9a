// Entry names under a layer root: OCI path cleaning and whiteout classification.
//
// cleanPath: strip leading "/" and "./", collapse "//" and ".", resolve ".." lexically; a name
// that climbs above the root is an error, and so is an empty name. Names that resolve to the
// root itself ("./", "/", ".", "a/..") give ".".
//
// classifyWhiteout looks at the last component of the cleaned name:
//   .wh..wh..opq   opaque: hide everything the lower layers have in the directory (target: the dir)
//   .wh..wh.*      docker's internal names (e.g. .wh..wh.plnk): skip the entry
//   .wh.           bare: an error (the OCI spec says it SHOULD be one)
//   .wh.NAME       whiteout: delete NAME, in the same directory, from the lower layers (target: dir/NAME)
// "." and ".." as NAME are errors (they would name the directory or its parent).
import { TarErrorCode } from './constants.js';
import { tarNameError } from './errors.js';

export type WhiteoutKind = 'normal' | 'whiteout' | 'opaque' | 'internal';

export interface ClassifiedName {
  /** The cleaned path, relative to the root ("." for the root itself). */
  path: string;
  kind: WhiteoutKind;
  /** whiteout: the path it deletes; opaque: the directory it makes opaque; otherwise "". */
  target: string;
}

/** Clean a tar entry name (see the top of this file). Throws TarFormatError. */
export function cleanPath(name: string): string {
  if (name.length === 0) throw tarNameError(TarErrorCode.EmptyName, name);
  if (name.includes('\0')) throw tarNameError(TarErrorCode.NulInName, name);
  // Fast path: strip leading "/" and "./" and trailing "/", then accept the rest if it has no
  // empty, "." or ".." component (the usual "./usr/bin/" names of tar -C dir .).
  let a = 0;
  let b = name.length;
  for (;;) {
    const c = name.charCodeAt(a);
    if (c === 0x2f) a++;
    else if (c === 0x2e && (a + 1 === b || name.charCodeAt(a + 1) === 0x2f)) a += 2;
    else break;
  }
  if (a >= b) return '.';
  while (name.charCodeAt(b - 1) === 0x2f) b--;
  let clean = true;
  let start = a;
  for (;;) {
    let slash = name.indexOf('/', start);
    if (slash >= b) slash = -1;
    const end = slash < 0 ? b : slash;
    const n = end - start;
    if (n === 0 || (name.charCodeAt(start) === 0x2e && (n === 1 || (n === 2 && name.charCodeAt(start + 1) === 0x2e)))) {
      clean = false;
      break;
    }
    if (slash < 0) break;
    start = slash + 1;
  }
  if (clean) return a === 0 && b === name.length ? name : name.slice(a, b);
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw tarNameError(TarErrorCode.PathEscapes, name);
      out.pop();
    } else {
      out.push(part);
    }
  }
  return out.length === 0 ? '.' : out.join('/');
}

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';
const INTERNAL = '.wh..wh.';

/** Clean `name` and say what kind of whiteout it is (see the top of this file). Throws TarFormatError. */
export function classifyWhiteout(name: string): ClassifiedName {
  const path = cleanPath(name);
  const slash = path.lastIndexOf('/');
  const base = slash < 0 ? path : path.slice(slash + 1);
  if (!base.startsWith(WH)) return { path, kind: 'normal', target: '' };
  const dir = slash < 0 ? '.' : path.slice(0, slash);
  if (base === OPAQUE) return { path, kind: 'opaque', target: dir };
  if (base.startsWith(INTERNAL)) return { path, kind: 'internal', target: '' };
  if (base === WH) throw tarNameError(TarErrorCode.BareWhiteout, name);
  const rest = base.slice(WH.length);
  if (rest === '.' || rest === '..') throw tarNameError(TarErrorCode.BadWhiteout, name);
  return { path, kind: 'whiteout', target: slash < 0 ? rest : `${dir}/${rest}` };
}
