// Variable substitution in Dockerfile words, with buildkit's shell lexer semantics
// (moby/buildkit frontend/dockerfile/shell/lex.go): $V, ${V}, ${V:-w} ${V-w} ${V:+w}
// ${V+w} ${V:?msg} ${V?msg}, ${V#p} ${V##p} ${V%p} ${V%%p}, ${V/p/r} ${V//p/r}; the
// escape token of the file escapes, single quotes are literal, double quotes keep all
// but $ and the escape; an unset variable is empty. Word splitting (for EXPOSE) splits
// the *expanded* value on whitespace, keeping quoted text whole.
//
// Which instructions substitute, and the ARG/ENV scoping rules, are in scope.ts.
import { HxError } from '../../errors.js';
import { goQuote, isGoSpace } from './go-format.js';

/** Variables visible to a word: name -> value. Linux compares names case-sensitively. */
export type Env = ReadonlyMap<string, string>;

export interface LexOptions {
  /** The Dockerfile's escape token: "\\" (default) or "`". */
  escapeToken?: string;
  /** Keep quote characters in the result (buildkit's RawQuotes). */
  rawQuotes?: boolean;
  /** Keep escape tokens in the result (RawEscapes). */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written (SkipUnsetEnv). */
  skipUnsetEnv?: boolean;
  /** Treat quotes as ordinary characters (SkipProcessQuotes, used for heredoc bodies). */
  skipProcessQuotes?: boolean;
}

export interface WordResult {
  /** The word with quotes processed and variables substituted. */
  result: string;
  /** The same, split into words on unquoted whitespace. */
  words: string[];
  /** Variables referenced that were set. */
  matched: Set<string>;
  /** Variables referenced that were not set. */
  unmatched: Set<string>;
}

/** A word docker refuses to expand ("failed to process ...: syntax error: missing '}'"). */
export class ExpandError extends HxError {
  /** docker's reason alone, e.g. "syntax error: bad substitution". */
  readonly reason: string;
  constructor(word: string, reason: string) {
    super(`failed to process ${goQuote(word)}: ${reason}`, {
      kind: 'invalid-argument',
      hint: 'check the ${...} syntax; write \\$ for a literal dollar sign',
    });
    this.name = 'ExpandError';
    this.reason = reason;
  }
}

/** An error raised inside the lexer; process() wraps it once with the word, as buildkit does. */
class LexProblem extends Error {}

const EOF = null;
type Ch = string | typeof EOF;

/** The words being built: unquoted whitespace from substitutions splits, quoted text does not. */
class WordsBuilder {
  private word = '';
  private inWord = false;
  private readonly words: string[] = [];

  addChar(ch: string): void {
    if (isGoSpace(ch) && this.inWord) {
      if (this.word.length !== 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else if (!isGoSpace(ch)) {
      this.addRawChar(ch);
    }
  }

  addRawChar(ch: string): void {
    this.word += ch;
    this.inWord = true;
  }

  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }

  addRawString(s: string): void {
    this.word += s;
    this.inWord = true;
  }

  finish(): string[] {
    // An empty quoted word ("") makes no word: buildkit drops empty words.
    if (this.word.length > 0) {
      this.words.push(this.word);
      this.word = '';
      this.inWord = false;
    }
    return this.words;
  }
}

function isDigit(ch: string): boolean {
  return /^\p{Nd}$/u.test(ch);
}

function isLetter(ch: string): boolean {
  return /^\p{L}$/u.test(ch);
}

/** POSIX special parameters ($@ $* $# ...), read as one-character names. */
function isSpecialParam(ch: string): boolean {
  return '@*#?-$!0'.includes(ch);
}

class ShellWord {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;
  private readonly escape: string;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(
    word: string,
    private readonly env: Env,
    private readonly options: LexOptions,
  ) {
    this.chars = Array.from(word);
    this.rawEscapes = options.rawEscapes === true;
    this.escape = options.escapeToken ?? '\\';
  }

  private peek(): Ch {
    return this.pos < this.chars.length ? this.chars[this.pos]! : EOF;
  }

  private next(): Ch {
    return this.pos < this.chars.length ? this.chars[this.pos++]! : EOF;
  }

  run(): { result: string; words: string[] } {
    return this.processStopOn(EOF, this.rawEscapes);
  }

  private processStopOn(stop: Ch, rawEscapes: boolean): { result: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let result = '';
      const words = new WordsBuilder();
      const quotes = this.options.skipProcessQuotes !== true;
      while (this.peek() !== EOF) {
        let ch = this.peek()!;
        if (stop !== EOF && ch === stop) {
          this.next();
          return { result, words: words.finish() };
        }
        if (ch === '$') {
          const value = this.processDollar();
          result += value;
          words.addString(value);
        } else if (quotes && (ch === "'" || ch === '"')) {
          const value = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
          result += value;
          words.addRawString(value);
        } else {
          ch = this.next()!;
          if (ch === this.escape) {
            if (this.rawEscapes) {
              words.addRawChar(ch);
              result += ch;
            }
            // The escape takes the next character literally; at the end it is dropped.
            const escaped = this.next();
            if (escaped === EOF) break;
            ch = escaped;
            words.addRawChar(ch);
          } else {
            words.addChar(ch);
          }
          result += ch;
        }
      }
      if (stop !== EOF) throw new LexProblem(`unexpected end of statement while looking for matching ${stop}`);
      return { result, words: words.finish() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private processSingleQuote(): string {
    // Everything up to the next ' is literal; a ' cannot be escaped inside.
    const raw = this.options.rawQuotes === true;
    let result = raw ? this.next()! : (this.next(), '');
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new LexProblem('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return raw ? result + ch : result;
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    // Literal except $ and the escape token, which escapes only " $ and itself.
    const raw = this.options.rawQuotes === true;
    let result = raw ? this.next()! : (this.next(), '');
    for (;;) {
      const peek = this.peek();
      if (peek === EOF) throw new LexProblem('unexpected end of statement while looking for matching double-quote');
      if (peek === '"') {
        this.next();
        return raw ? result + '"' : result;
      }
      if (peek === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next()!;
      if (ch === this.escape) {
        if (this.rawEscapes) result += ch;
        const after = this.peek();
        if (after === EOF) continue;
        if (after === '"' || after === '$' || after === this.escape) ch = this.next()!;
      }
      result += ch;
    }
  }

  private lookup(name: string): string | undefined {
    const value = this.env.get(name);
    if (value === undefined) this.unmatched.add(name);
    else this.matched.add(name);
    return value;
  }

  private processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek()!;
      if (name === '' && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek()!)) name += this.next();
        return name;
      }
      if (name === '' && isSpecialParam(ch)) return this.next()!;
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }

  private processDollar(): string {
    this.next();
    const skipUnset = this.options.skipUnsetEnv === true;
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.lookup(name);
      if (value === undefined && skipUnset) return '$' + name;
      return value ?? '';
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new LexProblem("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new LexProblem('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    // Go prints rune(-1) (end of input) as U+FFFD in "unsupported modifier (...)".
    let modifier = ch ?? '\ufffd';
    let nullIsUnset = false;
    if (ch === '}') {
      const value = this.lookup(name);
      if (value === undefined && skipUnset) return `\${${name}}`;
      return value ?? '';
    }
    if (ch === '/') return this.processReplace(name);
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      modifier += ch ?? '\ufffd';
    } else if (ch === EOF || !'+-?#%'.includes(ch)) {
      throw new LexProblem(`unsupported modifier (${modifier}) in substitution`);
    }
    let word: string;
    try {
      word = this.processStopOn('}', ch === '#' || ch === '%').result;
    } catch (e) {
      if (this.peek() === EOF) throw new LexProblem("syntax error: missing '}'");
      throw e;
    }
    const value = this.lookup(name);
    if (skipUnset && value === undefined) return `\${${name}${modifier}${word}}`;
    const empty = value === undefined || (nullIsUnset && value === '');
    switch (ch) {
      case '-':
        return empty ? word : value!;
      case '+':
        return empty ? '' : word;
      case '?':
        if (value === undefined) throw new LexProblem(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
        if (nullIsUnset && value === '') throw new LexProblem(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
        return value;
      case '%':
      case '#': {
        // One % or # trims the shortest match, two the longest.
        const greedy = word.startsWith(ch);
        const pattern = greedy ? word.slice(1) : word;
        return ch === '%' ? trimSuffix(pattern, value ?? '', greedy) : trimPrefix(pattern, value ?? '', greedy);
      }
      default:
        throw new LexProblem(`unsupported modifier (${modifier}) in substitution`);
    }
  }

  private processReplace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    let pattern: string;
    try {
      pattern = this.processStopOn('/', true).result;
    } catch (e) {
      if (this.peek() === EOF) throw new LexProblem("syntax error: missing '/' in ${}");
      throw e;
    }
    let replacement: string;
    try {
      replacement = this.processStopOn('}', true).result;
    } catch (e) {
      if (this.peek() === EOF) throw new LexProblem("syntax error: missing '}'");
      throw e;
    }
    const value = this.lookup(name);
    if (this.options.skipUnsetEnv === true && value === undefined) return `\${${name}/${pattern}/${replacement}}`;
    const re = patternRegExp(pattern, true, false, all);
    const subject = value ?? '';
    if (all) return subject.replace(re, () => goExpandTemplate(replacement));
    const m = re.exec(subject);
    if (m === null) return subject;
    return subject.slice(0, m.index) + replacement + subject.slice(m.index + m[0].length);
  }
}

/**
 * Go's Regexp.Expand of a replacement with no capture groups: "$$" is a dollar sign, a
 * "$name" or "${name}" reference is empty, a "$" that starts no name stays as it is.
 */
function goExpandTemplate(template: string): string {
  return template.replace(/\$(\$|\{[A-Za-z0-9_]+\}|[A-Za-z0-9_]+)?/g, (_m, ref: string | undefined) => (ref === '$' ? '$' : ref === undefined ? '$' : ''));
}

/**
 * A shell wildcard pattern (* and ?, with \ escaping * ? and \) as a regular expression,
 * as buildkit's convertShellPatternToRegex builds it; [...] is not supported there either.
 */
function patternRegExp(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const tok = chars[i]!;
    // Go's "." is any character but a newline; JavaScript's also stops at \r, U+2028, U+2029.
    if (tok === '*') {
      out += greedy ? '[^\\n]*' : '[^\\n]*?';
    } else if (tok === '?') {
      out += '[^\\n]';
    } else if (tok === '\\') {
      // "\}" and "\/" inside ${} escape the delimiter; the backslash is not part of the pattern.
      const after = chars[i + 1];
      if (after === '}' || after === '/') continue;
      i++;
      if (after !== '*' && after !== '?' && after !== '\\') {
        throw new LexProblem(`invalid pattern (${pattern}) in substitution: invalid escape '\\${after ?? '\ufffd'}'`);
      }
      out += '\\' + after;
    } else if ('[]{}.+()|^$'.includes(tok)) {
      out += '\\' + tok;
    } else {
      out += tok;
    }
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = patternRegExp(pattern, greedy, true).exec(value);
  return m === null ? value : value.slice(m[0].length);
}

/** Reverse a pattern keeping each escape before the character it escapes ("a\*c" -> "c\*a"). */
function reversePattern(pattern: string): string {
  const runes = Array.from(pattern);
  const out: string[] = new Array<string>(runes.length);
  const last = runes.length - 1;
  for (let i = 0; i <= last; ) {
    const tok = runes[i]!;
    const at = last - i;
    if (tok === '\\' && i !== last) {
      out[at - 1] = tok;
      out[at] = runes[i + 1]!;
      i += 2;
    } else {
      out[at] = tok;
      i++;
    }
  }
  return out.join('');
}

function reverseString(s: string): string {
  return Array.from(s).reverse().join('');
}

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  // The shortest rightmost match, found as the leftmost match in the reversed strings.
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}

/** Expand one word: quotes, escapes and variables. Throws ExpandError with docker's message. */
export function processWord(word: string, env: Env, options: LexOptions = {}): WordResult {
  const sw = new ShellWord(word, env, options);
  try {
    const { result, words } = sw.run();
    return { result, words, matched: sw.matched, unmatched: sw.unmatched };
  } catch (e) {
    if (e instanceof LexProblem) throw new ExpandError(word, e.message);
    throw e;
  }
}

/** The expanded text of a word (buildkit's ProcessWord). */
export function expandWord(word: string, env: Env, options: LexOptions = {}): string {
  return processWord(word, env, options).result;
}

/** The expanded word split into words (buildkit's ProcessWords, used for EXPOSE). */
export function expandWords(word: string, env: Env, options: LexOptions = {}): string[] {
  return processWord(word, env, options).words;
}
