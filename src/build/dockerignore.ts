// .dockerignore as docker reads and applies it (moby/patternmatcher: ignorefile.ReadAll,
// New, MatchesUsingParentResults, Pattern.compile; tonistiigi/fsutil's walk). Patterns
// are Go filepath.Match globs (* ? [...] and \ escapes) plus ** for any number of
// directories; a path is left out when the last pattern matching it, or one of its
// parent directories, is not a "!" exception. Dockerfile.dockerignore next to the
// Dockerfile wins over .dockerignore.
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { HxError } from '../errors.js';
import { goCleanPath as cleanPath, goTrimSpace } from './dockerfile/go-format.js';

export interface IgnorePattern {
  /** The pattern, cleaned, without its "!". */
  pattern: string;
  /** A "!" exception: matching paths are taken back in. */
  exception: boolean;
  /** Line in the ignore file (0 when not read from a file). */
  line: number;
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

/** Which patterns matched a directory (or one of its parents), handed to its children in a walk. */
export interface WalkMatch {
  readonly matched: readonly boolean[];
}

interface Compiled extends IgnorePattern {
  dirs: string[];
  type: MatchType;
  regexp?: RegExp;
}

/** filepath.Dir. */
function dirOf(p: string): string {
  const slash = p.lastIndexOf('/');
  return cleanPath(slash === -1 ? '' : p.slice(0, slash + 1));
}

/**
 * The patterns of an ignore file (ignorefile.ReadAll): a line starting with "#" is a
 * comment, blank lines are skipped, each pattern is trimmed and cleaned, a leading "/"
 * is dropped (patterns are relative to the context), "!" marks an exception.
 */
export function readIgnoreFile(text: string): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  const lines = text.replace(/^\ufeff/, '').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((rawLine, index) => {
    const raw = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (raw.startsWith('#')) return;
    let pattern = goTrimSpace(raw);
    if (pattern === '') return;
    const exception = pattern.startsWith('!');
    if (exception) pattern = goTrimSpace(pattern.slice(1));
    if (pattern !== '') {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push({ pattern, exception, line: index + 1 });
  });
  return out;
}

const BAD_PATTERN = 'syntax error in pattern';

/** The syntax check Go's filepath.Match makes (ErrBadPattern): [...] classes and \ escapes. */
function validGlob(pattern: string): boolean {
  const chars = Array.from(pattern);
  let i = 0;
  // One class member: a character, maybe escaped; a member must be followed by more pattern.
  const member = (): boolean => {
    if (i >= chars.length || chars[i] === '-' || chars[i] === ']') return false;
    if (chars[i] === '\\') {
      i++;
      if (i >= chars.length) return false;
    }
    i++;
    return i < chars.length;
  };
  while (i < chars.length) {
    const ch = chars[i]!;
    if (ch === '\\') {
      if (i + 1 >= chars.length) return false;
      i += 2;
      continue;
    }
    if (ch !== '[') {
      i++;
      continue;
    }
    i++;
    if (chars[i] === '^') i++;
    let ranges = 0;
    for (;;) {
      if (chars[i] === ']' && ranges > 0) {
        i++;
        break;
      }
      if (!member()) return false;
      if (chars[i] === '-') {
        i++;
        if (!member()) return false;
      }
      ranges++;
    }
  }
  return true;
}

const REGEXP_SPECIAL = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

/** Pattern.compile: classify the pattern, and build the regular expression it needs. */
function compile(p: IgnorePattern): Compiled {
  const chars = Array.from(p.pattern);
  let re = '^';
  let type: MatchType = 'exact';
  let pos = 0;
  for (let i = 0; pos < chars.length; i++) {
    const ch = chars[pos++]!;
    if (ch === '*') {
      if (chars[pos] === '*') {
        pos++;
        // "**/" is "**": eat the slash.
        if (chars[pos] === '/') pos++;
        if (pos >= chars.length) {
          // A trailing ** matches everything below, like .gitignore.
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            type = 'regexp';
          }
        } else {
          // Any number of directories, even none.
          re += '(.*/)?';
          type = 'regexp';
        }
        if (i === 0) type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if (REGEXP_SPECIAL.has(ch)) {
      re += '\\' + ch;
    } else if (ch === '\\') {
      if (pos < chars.length) {
        const next = chars[pos++]!;
        // \c matches c (filepath.Match); escape it only where the regexp needs it.
        re += /[\\^$.*+?()[\]{}|/-]/.test(next) ? '\\' + next : next;
        type = 'regexp';
      } else {
        re += '\\\\';
      }
    } else if (ch === '[' || ch === ']') {
      re += ch;
      type = 'regexp';
    } else {
      re += ch;
    }
  }
  const compiled: Compiled = { ...p, dirs: p.pattern.split('/'), type };
  if (type === 'regexp') {
    try {
      compiled.regexp = new RegExp(re + '$', 'u');
    } catch {
      throw new HxError(`${BAD_PATTERN}: ${p.pattern}`, { kind: 'invalid-argument', hint: 'check the [...] classes and \\ escapes of the pattern' });
    }
  }
  return compiled;
}

function matchOne(p: Compiled, path: string): boolean {
  switch (p.type) {
    case 'exact':
      return path === p.pattern;
    case 'prefix':
      return path.startsWith(p.pattern.slice(0, -2));
    case 'suffix': {
      const suffix = p.pattern.slice(2);
      if (path.endsWith(suffix)) return true;
      // "**/foo" matches "foo".
      return suffix.startsWith('/') && path === suffix.slice(1);
    }
    case 'regexp':
      return p.regexp!.test(path);
  }
}

/** One path component against one pattern component (no "**"), as a single-level glob. */
function componentMatches(patternPart: string, part: string): boolean {
  const c = compile({ pattern: patternPart, exception: false, line: 0 });
  return matchOne(c, part);
}

/** Could `p` match some path strictly below `dir`? Conservative: true when unsure. */
function couldMatchBelow(p: Compiled, dir: string): boolean {
  const below = `${dir}/`;
  // moby's own test (archive.TarWithOptions): an exception spelled under the directory.
  if (`${p.pattern}/`.startsWith(below)) return true;
  switch (p.type) {
    case 'exact':
      return p.pattern.startsWith(below);
    case 'prefix': {
      const prefix = p.pattern.slice(0, -2);
      return prefix.startsWith(below) || below.startsWith(prefix);
    }
    case 'suffix':
      return true;
    case 'regexp': {
      if (p.pattern.includes('**')) return true;
      const parts = dir.split('/');
      if (p.dirs.length <= parts.length) return false;
      return parts.every((part, i) => componentMatches(p.dirs[i]!, part));
    }
  }
}

/** The matcher docker builds from an ignore file's patterns (patternmatcher.New). */
export class DockerIgnore {
  readonly patterns: readonly IgnorePattern[];
  /** Some pattern is a "!" exception. */
  readonly hasExceptions: boolean;
  private readonly compiled: Compiled[];

  /** Patterns as strings ("!" prefix for exceptions), or as read by readIgnoreFile. */
  constructor(patterns: readonly (string | IgnorePattern)[], file = '.dockerignore') {
    const parsed = patterns.map((p): IgnorePattern | undefined => {
      if (typeof p !== 'string') return p;
      let text = goTrimSpace(p);
      if (text === '') return undefined;
      text = cleanPath(text);
      const exception = text.startsWith('!');
      return { pattern: exception ? text.slice(1) : text, exception, line: 0 };
    });
    const kept = parsed.filter((p): p is IgnorePattern => p !== undefined && !(p.pattern === '' && !p.exception));
    for (const p of kept) {
      const at = p.line > 0 ? `${file}:${p.line}: ` : '';
      if (p.exception && p.pattern === '') {
        throw new HxError(`${at}illegal exclusion pattern: "!"`, { kind: 'invalid-argument', hint: 'a "!" needs a pattern after it, e.g. !README.md' });
      }
      if (!validGlob(p.pattern)) {
        throw new HxError(`${at}${BAD_PATTERN}: ${p.pattern}`, { kind: 'invalid-argument', hint: 'check the [...] classes and \\ escapes (Go filepath.Match syntax)' });
      }
    }
    this.patterns = kept;
    this.compiled = kept.map(compile);
    this.hasExceptions = kept.some((p) => p.exception);
  }

  /** Read an ignore file's text. */
  static parse(text: string, file = '.dockerignore'): DockerIgnore {
    return new DockerIgnore(readIgnoreFile(text), file);
  }

  /**
   * Is `path` (relative to the context, "/"-separated) left out of the build context?
   * Answered as buildkit's context walk answers it (fsutil walks parents first with
   * MatchesUsingParentResults): an exception is only tried on a directory that is
   * excluded when the walk reaches it, so `**\/*.md` then `!docs/api` still leaves out
   * docs/api/x.md, where MatchesOrParentMatches would keep it.
   */
  excludes(path: string): boolean {
    const file = cleanPath(path.replace(/^\/+/, ''));
    if (file === '.') return false;
    const parts = file.split('/');
    let parent: WalkMatch | undefined;
    let excluded = false;
    for (let i = 0; i < parts.length; i++) {
      const step = this.excludesInWalk(parts.slice(0, i + 1).join('/'), parent);
      parent = step.match;
      excluded = step.excluded;
    }
    return excluded;
  }

  /**
   * One step of a walk that goes parents first (patternmatcher's
   * MatchesUsingParentResults): pass the `parent` result of the directory holding `path`
   * (none at the top) and each pattern is tried on `path` alone. Called without parent
   * results for a nested path, it tries the parents itself as MatchesOrParentMatches does.
   */
  excludesInWalk(path: string, parent?: WalkMatch): { excluded: boolean; match: WalkMatch } {
    const file = cleanPath(path.replace(/^\/+/, ''));
    const matchedByParent = parent?.matched ?? [];
    const matchedHere: boolean[] = new Array<boolean>(this.compiled.length).fill(false);
    let excluded = false;
    this.compiled.forEach((p, i) => {
      let match = matchedByParent[i] === true;
      if (!match) {
        if (p.exception !== excluded) return;
        match = matchOne(p, file);
        if (!match && parent === undefined) {
          // No parent results: check the parents here, as excludes() does.
          const dir = dirOf(file);
          if (dir !== '.') {
            const dirs = dir.split('/');
            for (let k = 0; k < dirs.length && !match; k++) match = matchOne(p, dirs.slice(0, k + 1).join('/'));
          }
        }
      }
      matchedHere[i] = match;
      if (match) excluded = !p.exception;
    });
    return { excluded: file === '.' ? false : excluded, match: { matched: matchedHere } };
  }

  /**
   * Can a walk of the context skip directory `dir` without looking inside? Yes when it is
   * left out and no exception could take back anything below it.
   */
  canSkipDirectory(dir: string): boolean {
    const clean = cleanPath(dir.replace(/^\/+/, ''));
    if (!this.excludes(clean)) return false;
    return !this.compiled.some((p) => p.exception && couldMatchBelow(p, clean));
  }
}

/**
 * The ignore files docker looks for, best first: `<Dockerfile>.dockerignore` beside the
 * Dockerfile, then `.dockerignore` at the root of the context.
 */
export function ignoreFileCandidates(contextDir: string, dockerfilePath?: string): string[] {
  const candidates: string[] = [];
  if (dockerfilePath !== undefined) candidates.push(join(dirname(dockerfilePath), `${basename(dockerfilePath)}.dockerignore`));
  candidates.push(join(contextDir, '.dockerignore'));
  return candidates;
}

/** Load the ignore file that applies to a build (none: a matcher that keeps everything). */
export async function loadDockerIgnore(contextDir: string, dockerfilePath?: string): Promise<{ file?: string; matcher: DockerIgnore }> {
  for (const file of ignoreFileCandidates(contextDir, dockerfilePath)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new HxError(`read ${file}: ${(e as Error).message}`, { kind: 'permission', cause: e, hint: 'make the ignore file readable' });
    }
    return { file, matcher: DockerIgnore.parse(text, file) };
  }
  return { matcher: new DockerIgnore([]) };
}
