// Dockerfile text -> AST, by buildkit's rules (moby/buildkit frontend/dockerfile/parser:
// parser.go, line_parsers.go, split_command.go, directives.go). One node per
// instruction with its flags, its arguments as buildkit's line parser for that keyword
// splits them, its heredocs, its original text and where it is. The parser accepts any
// keyword: an unknown one is refused by instructions.ts, as buildkit's second layer does.
import { DockerfileError, SyntaxProblem } from './errors.js';
import { ExpandError, expandWords } from './expand.js';
import { goQuote, goTrimLeftSpace, goTrimSpace, isGoSpace } from './go-format.js';

export interface Heredoc {
  /** The delimiter word with quotes removed ("EOF" for <<"EOF"). */
  name: string;
  /** The digits before << (2<<EOF), 0 when none. */
  fileDescriptor: number;
  /** False when any part of the delimiter was quoted: the body is not expanded. */
  expand: boolean;
  /** <<- : leading tabs are stripped from the body (when it is used) and the delimiter line. */
  chomp: boolean;
  /** The body as written, each line with its newline; tabs not yet stripped. */
  content: string;
}

export interface Directive {
  /** Lower-case: syntax, escape or check. */
  name: string;
  value: string;
  line: number;
}

export interface DockerfileNode {
  /** The keyword as written ("Run"); buildkit's node.Value. */
  instruction: string;
  /** The keyword in lower case, what dispatch goes by. */
  keyword: string;
  /** `--name=value` words before the arguments, quotes and escapes processed, unvalidated. */
  flags: string[];
  /**
   * The arguments as the keyword's line parser gives them: the JSON array elements, or
   * one shell-form string, or whitespace-split words (FROM EXPOSE, and ADD COPY VOLUME
   * when not JSON), or (key, value, separator) triples for ENV and LABEL, the separator
   * "=" or "" for the legacy `ENV key value` form.
   */
  args: string[];
  /** The arguments were a JSON array (exec form). */
  json: boolean;
  heredocs: Heredoc[];
  /** The instruction line, continuations joined and comment lines removed. */
  original: string;
  startLine: number;
  endLine: number;
  /** 1-based column of the keyword on its first line. */
  column: number;
  /** The comment lines just above the instruction (without "#"). */
  comments: string[];
  /** ONBUILD's trigger instruction. */
  sub?: DockerfileNode;
}

export interface ParseWarning {
  line: number;
  message: string;
}

export interface DockerfileAST {
  file: string;
  nodes: DockerfileNode[];
  /** The escape token in force: "\\" or "`". */
  escapeToken: string;
  directives: Directive[];
  warnings: ParseWarning[];
}

export interface ParseOptions {
  /** The name errors carry (default "Dockerfile"). */
  file?: string;
}

/** bufio.Scanner's limit: a longer line is an error in docker. */
const MAX_LINE_BYTES = 64 * 1024;
const VALID_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
// Go's \s is [\t\n\f\r ]: spelled out, as JavaScript's \s is wider.
const DIRECTIVE_RE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
/** The whitespace buildkit splits FROM/EXPOSE/COPY arguments on (reWhitespace). */
const WHITESPACE_RUN = /[\t\v\f\r ]+/;
const HEREDOC_WORD_RE = /^(\d*)<<(-?)([^<]*)$/;
const HEREDOC_KEYWORDS = new Set(['run', 'add', 'copy']);
const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';
const NO_VARIABLES: ReadonlyMap<string, string> = new Map();

/**
 * Split a line into shell words the way buildkit does to find heredocs: always with
 * "\\" as the escape (whatever the file's), unset variables left as written.
 */
function processWords(text: string, raw: { rawQuotes: boolean; rawEscapes?: boolean }): string[] {
  try {
    return expandWords(text, NO_VARIABLES, { escapeToken: '\\', skipUnsetEnv: true, ...raw });
  } catch (e) {
    if (e instanceof ExpandError) throw new SyntaxProblem(e.message);
    throw e;
  }
}

/** The state the escape directive changes. */
class Directives {
  escape = '\\';
  private continuation = continuationRegExp('\\');
  private readonly seen = new Set<string>();
  private done = false;
  readonly found: Directive[] = [];

  setEscape(value: string): void {
    if (value !== '`' && value !== '\\') throw new SyntaxProblem(`invalid escape token '${value}' does not match \` or \\`);
    this.escape = value;
    this.continuation = continuationRegExp(value);
  }

  /** Look at a line for a parser directive; they stop at the first line that is not one. */
  check(line: string, lineNo: number): boolean {
    if (this.done) return false;
    if (!line.startsWith('#')) {
      this.done = true;
      return false;
    }
    const m = DIRECTIVE_RE.exec(goTrimLeftSpace(line.slice(1)));
    const name = m?.[1]?.toLowerCase();
    if (m === null || name === undefined || !VALID_DIRECTIVES.has(name)) {
      this.done = true;
      return false;
    }
    if (this.seen.has(name)) throw new SyntaxProblem(`only one ${name} parser directive can be used`);
    this.seen.add(name);
    const value = m[2]!;
    if (name === 'escape') this.setEscape(value);
    this.found.push({ name, value, line: lineNo });
    return true;
  }

  /** Strip a trailing escape token (and whitespace after it): the line continues. */
  trimContinuation(line: string): { text: string; ends: boolean } {
    if (!this.continuation.test(line)) return { text: line, ends: true };
    return { text: line.replace(this.continuation, '$1'), ends: false };
  }
}

/**
 * buildkit's lineContinuationRegex: the escape token as the last non-blank character,
 * unless an escape token precedes it (so `\\` at the end is literal), or alone on a line.
 */
function continuationRegExp(escape: string): RegExp {
  const e = escape === '\\' ? '\\\\' : '`';
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

function trimNewline(line: string): string {
  return line.replace(/[\r\n]+$/, '');
}

function isComment(line: string): boolean {
  return goTrimLeftSpace(line).startsWith('#');
}

/** Physical lines with their line endings, as bufio.Scanner with buildkit's scanLines yields them. */
function physicalLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) {
      if (start < text.length) lines.push(text.slice(start));
      return lines;
    }
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
}

/**
 * Split words keeping quotes and escapes (buildkit's parseWords, for ENV LABEL ARG):
 * whitespace separates words except inside quotes; the escape token keeps the next
 * character in the word, except inside single quotes.
 */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  const chars = Array.from(rest);
  for (let pos = 0; pos <= chars.length; pos++) {
    const atEnd = pos === chars.length;
    let ch = atEnd ? '' : chars[pos]!;
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isGoSpace(ch)) continue;
      phase = 'word';
    }
    if (atEnd) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch)) {
        phase = 'spaces';
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue;
        word += ch;
        pos++;
        ch = chars[pos]!;
      }
      word += ch;
      continue;
    }
    // in a quote
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      word += ch;
      ch = chars[pos]!;
    }
    word += ch;
  }
  return words;
}

/**
 * Take the `--flag[=value]` words off the front of an instruction's arguments
 * (buildkit's extractBuilderFlags): they end at the first word not starting with "--",
 * or at a lone "--". Quotes and the escape token are processed inside flags.
 */
export function extractFlags(line: string, escape: string): { rest: string; flags: string[] } {
  const flags: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const atEnd = pos === line.length;
    let ch = atEnd ? '' : line[pos]!;
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isGoSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return { rest: line.slice(pos), flags };
      phase = 'word';
    }
    if (atEnd) {
      if (word !== '--' && (blankOK || word.length > 0)) flags.push(word);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch)) {
        phase = 'spaces';
        if (word === '--') return { rest: line.slice(pos), flags };
        if (blankOK || word.length > 0) flags.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === escape) {
        if (pos + 1 === line.length) continue;
        pos++;
        ch = line[pos]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === escape) {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      pos++;
      ch = line[pos]!;
    }
    word += ch;
  }
  return { rest: '', flags };
}

interface LineParse {
  args: string[];
  json: boolean;
  sub?: DockerfileNode;
}

/** A JSON array of strings, or undefined when the text is not a JSON array at all. */
function parseJSONArray(rest: string): string[] | undefined {
  const text = goTrimLeftSpace(rest);
  if (!text.startsWith('[')) return undefined;
  let value: unknown;
  try {
    // Go's json.Unmarshal: the whole text must be the array (trailing blanks allowed).
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  for (const item of value) if (typeof item !== 'string') throw new SyntaxProblem(NOT_STRING_ARRAY);
  return value as string[];
}

function splitWhitespace(rest: string): string[] {
  return rest === '' ? [] : rest.split(WHITESPACE_RUN);
}

function maybeJSON(rest: string): LineParse {
  if (rest === '') return { args: [], json: false };
  const array = parseJSONArray(rest);
  return array !== undefined ? { args: array, json: true } : { args: [rest], json: false };
}

function maybeJSONToList(rest: string): LineParse {
  const array = parseJSONArray(rest);
  return array !== undefined ? { args: array, json: true } : { args: splitWhitespace(rest), json: false };
}

/** ENV and LABEL: `key=value ...` or the legacy `key value`, as (key, value, separator) triples. */
function nameValues(rest: string, keyword: string, escape: string): LineParse {
  const words = parseWords(rest, escape);
  if (words.length === 0) return { args: [], json: false };
  if (!words[0]!.includes('=')) {
    const m = WHITESPACE_RUN.exec(rest);
    if (m === null) throw new SyntaxProblem(`${keyword} must have two arguments`);
    return { args: [rest.slice(0, m.index), rest.slice(m.index + m[0].length), ''], json: false };
  }
  const args: string[] = [];
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq === -1) throw new SyntaxProblem(`Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`);
    args.push(word.slice(0, eq), word.slice(eq + 1), '=');
  }
  return { args, json: false };
}

/** HEALTHCHECK: the first word is the type (CMD or NONE), the rest may be JSON. */
function healthConfig(rest: string): LineParse {
  let sep = 0;
  while (sep < rest.length && !isGoSpace(rest[sep]!)) sep++;
  let next = sep;
  while (next < rest.length && isGoSpace(rest[next]!)) next++;
  if (sep === 0) return { args: [], json: false };
  const cmd = maybeJSON(rest.slice(next));
  return { args: [rest.slice(0, sep), ...cmd.args], json: cmd.json };
}

interface NodeText {
  line: string;
  startLine: number;
  column: number;
  comments: string[];
}

/** One instruction line -> a node (buildkit's newNodeFromLine and its dispatch table). */
function nodeFromLine(text: NodeText, d: Directives): DockerfileNode {
  const trimmed = goTrimSpace(text.line);
  const m = WHITESPACE_RUN.exec(trimmed);
  const instruction = m === null ? trimmed : trimmed.slice(0, m.index);
  const keyword = instruction.toLowerCase();
  let flags: string[] = [];
  let rest = '';
  if (m !== null) {
    const split = extractFlags(trimmed.slice(m.index + m[0].length), d.escape);
    flags = split.flags;
    rest = goTrimSpace(split.rest);
  }
  let parsed: LineParse;
  switch (keyword) {
    case 'add':
    case 'copy':
    case 'volume':
      parsed = maybeJSONToList(rest);
      break;
    case 'run':
    case 'cmd':
    case 'entrypoint':
    case 'shell':
      parsed = maybeJSON(rest);
      break;
    case 'arg':
      parsed = { args: parseWords(rest, d.escape), json: false };
      break;
    case 'env':
    case 'label':
      parsed = nameValues(rest, keyword.toUpperCase(), d.escape);
      break;
    case 'expose':
    case 'from':
      parsed = { args: splitWhitespace(rest), json: false };
      break;
    case 'healthcheck':
      parsed = healthConfig(rest);
      break;
    case 'maintainer':
    case 'stopsignal':
    case 'user':
    case 'workdir':
      parsed = { args: rest === '' ? [] : [rest], json: false };
      break;
    case 'onbuild': {
      if (rest === '') {
        parsed = { args: [], json: false };
        break;
      }
      const offset = text.line.indexOf(rest);
      const sub = nodeFromLine({ line: rest, startLine: text.startLine, column: offset >= 0 ? text.column + offset : text.column, comments: [] }, d);
      parsed = { args: [sub.instruction, ...sub.args], json: false, sub };
      break;
    }
    default:
      // Unknown keywords parse with no arguments; instructions.ts refuses them.
      parsed = { args: [], json: false };
  }
  const node: DockerfileNode = {
    instruction,
    keyword,
    flags,
    args: parsed.args,
    json: parsed.json,
    heredocs: [],
    original: text.line,
    startLine: text.startLine,
    endLine: text.startLine,
    column: text.column,
    comments: text.comments,
  };
  if (parsed.sub !== undefined) node.sub = parsed.sub;
  return node;
}

/** A heredoc word (`<<EOF`, `<<-"EOF"`, `2<<'EOF'`), or undefined (buildkit's ParseHeredoc). */
export function parseHeredocWord(word: string): Omit<Heredoc, 'content'> | undefined {
  const m = HEREDOC_WORD_RE.exec(word);
  if (m === null || m[3] === '') return undefined;
  const rest = m[3]!;
  // Lex the delimiter with and without quotes: a difference means part of it was quoted.
  const words = processWords(rest, { rawQuotes: false });
  if (words.length !== 1) return undefined;
  const raw = processWords(rest, { rawQuotes: true });
  if (raw.length !== 1) throw new SyntaxProblem(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const quotes = (s: string) => s.split("'").length + s.split('"').length - 2;
  return {
    name: words[0]!,
    fileDescriptor: m[1] === '' ? 0 : Number.parseInt(m[1]!, 10),
    expand: quotes(words[0]!) === quotes(raw[0]!),
    chomp: m[2] === '-',
  };
}

/** Heredoc delimiters on an instruction line, in order. */
function heredocsOfLine(line: string): Omit<Heredoc, 'content'>[] {
  let words: string[];
  try {
    words = processWords(line, { rawQuotes: true, rawEscapes: true });
  } catch {
    // buildkit ignores a line its lexer cannot split: it has no heredocs then.
    return [];
  }
  const docs: Omit<Heredoc, 'content'>[] = [];
  for (const word of words) {
    const doc = parseHeredocWord(word);
    if (doc !== undefined) docs.push(doc);
  }
  return docs;
}

function mayHaveHeredocs(node: DockerfileNode): boolean {
  const target = node.keyword === 'onbuild' && node.sub !== undefined ? node.sub : node;
  return HEREDOC_KEYWORDS.has(target.keyword) && !target.json;
}

function leadingBlanks(line: string): number {
  let n = 0;
  for (const ch of line) {
    if (!isGoSpace(ch)) break;
    n++;
  }
  return n;
}

/** Parse a Dockerfile. Throws DockerfileError naming the file, line and column. */
export function parseDockerfile(text: string, options: ParseOptions = {}): DockerfileAST {
  const file = options.file ?? 'Dockerfile';
  const lines = physicalLines(text);
  const d = new Directives();
  const nodes: DockerfileNode[] = [];
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let i = 0;
  const fail = (message: string, line: number, column = 1, endLine = line): never => {
    throw new DockerfileError(message, { file, line, column, endLine });
  };
  const take = (): string | undefined => {
    if (i >= lines.length) return undefined;
    const raw = lines[i]!;
    if (Buffer.byteLength(raw) > MAX_LINE_BYTES) fail(`dockerfile line greater than max allowed size of ${MAX_LINE_BYTES - 1}`, i + 1);
    i++;
    return i === 1 && raw.startsWith('\ufeff') ? raw.slice(1) : raw;
  };

  for (let raw = take(); raw !== undefined; raw = take()) {
    const startLine = i;
    if (isComment(raw)) {
      const comment = goTrimSpace(raw.slice(1));
      if (comment === '') comments = [];
      else comments.push(comment);
    }
    const first = goTrimLeftSpace(trimNewline(raw));
    let isDirective = false;
    try {
      isDirective = d.check(first, startLine);
    } catch (e) {
      if (e instanceof SyntaxProblem) fail(e.message, startLine);
      throw e;
    }
    if (isDirective) comments.pop();
    let { text: line, ends } = d.trimContinuation(isComment(first) ? '' : first);
    if (ends && line === '') continue;
    let emptyContinuation = false;
    while (!ends) {
      const next = take();
      if (next === undefined) break;
      if (isComment(next)) continue;
      const body = trimNewline(next);
      if (goTrimLeftSpace(body) === '') {
        emptyContinuation = true;
        continue;
      }
      const part = d.trimContinuation(body);
      line += part.text;
      ends = part.ends;
    }
    if (emptyContinuation) warnings.push({ line: i, message: `Empty continuation line found in: ${line}` });

    const column = leadingBlanks(raw) + 1;
    let node: DockerfileNode;
    try {
      node = nodeFromLine({ line, startLine, column, comments }, d);
    } catch (e) {
      if (e instanceof SyntaxProblem) return fail(e.message, startLine, column, i);
      throw e;
    }
    if (mayHaveHeredocs(node) && line.includes('<<')) {
      let docs: Omit<Heredoc, 'content'>[];
      try {
        docs = heredocsOfLine(line);
      } catch (e) {
        if (e instanceof SyntaxProblem) return fail(e.message, startLine, column, i);
        throw e;
      }
      for (const doc of docs) {
        let content = '';
        let terminated = false;
        for (let body = take(); body !== undefined; body = take()) {
          let candidate = trimNewline(body);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          content += body;
        }
        if (!terminated) fail('unterminated heredoc', startLine, column, i);
        node.heredocs.push({ ...doc, content });
      }
    }
    node.endLine = i;
    if (node.sub !== undefined) node.sub.endLine = i;
    nodes.push(node);
    comments = [];
  }
  if (nodes.length === 0) fail('file with no instructions', Math.max(lines.length, 1));
  return { file, nodes, escapeToken: d.escape, directives: d.found, warnings };
}
