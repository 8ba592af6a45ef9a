// Go's path.Match (src/path/match.go): the glob moby's `reference` filter matches image
// names with. '*' is any run of non-'/' characters, '?' one non-'/' character, '[...]' a
// class ('^' negates, 'a-z' ranges, '\' escapes), '\c' the character c. The whole name
// must match. A malformed pattern is an error even when the match already failed.
import { HxError } from '../errors.js';

/** Go's path.ErrBadPattern. */
export class BadPatternError extends HxError {
  constructor(readonly pattern: string) {
    super('syntax error in pattern', { kind: 'invalid-argument', hint: `check the glob ${JSON.stringify(pattern)}` });
    this.name = 'BadPatternError';
  }
}

class Bad extends Error {}

/** Does NAME match the shell PATTERN? Throws BadPatternError for a malformed pattern. */
export function pathMatch(pattern: string, name: string): boolean {
  try {
    return match([...pattern], [...name]);
  } catch (e) {
    if (e instanceof Bad) throw new BadPatternError(pattern);
    throw e;
  }
}

function match(pattern: string[], name: string[]): boolean {
  let p = 0;
  let n = 0;
  outer: while (p < pattern.length) {
    const { star, chunk, next } = scanChunk(pattern, p);
    p = next;
    const lastChunk = p >= pattern.length;
    if (star && chunk.length === 0) return !name.slice(n).includes('/'); // a trailing * matches the rest without '/'
    const t = matchChunk(chunk, name, n);
    // the last chunk must use up the name, else keep looking with the star
    if (t !== undefined && (t === name.length || !lastChunk)) {
      n = t;
      continue;
    }
    if (star) {
      for (let i = n; i < name.length && name[i] !== '/'; i++) {
        const t2 = matchChunk(chunk, name, i + 1);
        if (t2 !== undefined) {
          if (lastChunk && t2 < name.length) continue;
          n = t2;
          continue outer;
        }
      }
    }
    // no match: the rest of the pattern must still be well formed
    while (p < pattern.length) {
      const c = scanChunk(pattern, p);
      p = c.next;
      matchChunk(c.chunk, [], 0);
    }
    return false;
  }
  return n === name.length;
}

function scanChunk(pattern: string[], from: number): { star: boolean; chunk: string[]; next: number } {
  let i = from;
  let star = false;
  while (i < pattern.length && pattern[i] === '*') {
    i++;
    star = true;
  }
  let inRange = false;
  let j = i;
  for (; j < pattern.length; j++) {
    const c = pattern[j];
    if (c === '\\') {
      if (j + 1 < pattern.length) j++;
    } else if (c === '[') inRange = true;
    else if (c === ']') inRange = false;
    else if (c === '*' && !inRange) break;
  }
  return { star, chunk: pattern.slice(i, j), next: j };
}

/** Match CHUNK (no stars) at NAME[from]; the index after the match, or undefined. */
function matchChunk(chunk: string[], name: string[], from: number): number | undefined {
  let s = from;
  let failed = false;
  let c = 0;
  while (c < chunk.length) {
    if (!failed && s >= name.length) failed = true;
    const ch = chunk[c]!;
    if (ch === '[') {
      const r = failed ? '' : name[s++]!;
      c++;
      let negated = false;
      if (chunk[c] === '^') {
        negated = true;
        c++;
      }
      let matched = false;
      let nrange = 0;
      for (;;) {
        if (chunk[c] === ']' && nrange > 0) {
          c++;
          break;
        }
        let lo: string;
        [lo, c] = getEsc(chunk, c);
        let hi = lo;
        if (chunk[c] === '-') [hi, c] = getEsc(chunk, c + 1);
        if (!failed && lo.codePointAt(0)! <= r.codePointAt(0)! && r.codePointAt(0)! <= hi.codePointAt(0)!) matched = true;
        nrange++;
      }
      if (matched === negated) failed = true;
    } else if (ch === '?') {
      if (!failed) {
        if (name[s] === '/') failed = true;
        s++;
      }
      c++;
    } else {
      if (ch === '\\') {
        c++;
        if (c >= chunk.length) throw new Bad();
      }
      if (!failed) {
        if (chunk[c] !== name[s]) failed = true;
        s++;
      }
      c++;
    }
  }
  return failed ? undefined : s;
}

function getEsc(chunk: string[], c: number): [string, number] {
  if (c >= chunk.length || chunk[c] === '-' || chunk[c] === ']') throw new Bad();
  if (chunk[c] === '\\') {
    c++;
    if (c >= chunk.length) throw new Bad();
  }
  const r = chunk[c]!;
  c++;
  if (c >= chunk.length) throw new Bad();
  return [r, c];
}
