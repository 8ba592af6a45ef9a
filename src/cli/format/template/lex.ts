// The lexer of Go's text/template (Go 1.22+): text, actions with {{- and -}} trimming,
// comments, and the tokens inside actions. Positions are UTF-16 offsets into the input;
// errors are items of type 'error' whose text is Go's message ("unclosed action").
import { goQuote, isPrint } from '../strconv.js';

export type ItemType =
  | 'error' | 'bool' | 'char' | 'charConstant' | 'comment' | 'complex' | 'assign' | 'declare' | 'EOF'
  | 'field' | 'identifier' | 'leftDelim' | 'leftParen' | 'number' | 'pipe' | 'rawString' | 'rightDelim'
  | 'rightParen' | 'space' | 'string' | 'text' | 'variable'
  // keywords
  | 'block' | 'break' | 'continue' | 'dot' | 'define' | 'else' | 'end' | 'if' | 'nil' | 'range' | 'template' | 'with';

export interface Item {
  typ: ItemType;
  pos: number;
  val: string;
  line: number;
}

const KEYWORDS: ReadonlyMap<string, ItemType> = new Map<string, ItemType>([
  ['.', 'dot'], ['block', 'block'], ['break', 'break'], ['continue', 'continue'], ['define', 'define'],
  ['else', 'else'], ['end', 'end'], ['if', 'if'], ['range', 'range'], ['nil', 'nil'], ['template', 'template'], ['with', 'with'],
]);
const KEYWORD_TYPES = new Set(KEYWORDS.values());

/** How an item reads in a parse error: EOF, <end>, "abc", "0123456789"... */
export function itemString(i: Item): string {
  if (i.typ === 'EOF') return 'EOF';
  if (i.typ === 'error') return i.val;
  if (KEYWORD_TYPES.has(i.typ)) return `<${i.val}>`;
  const runes = [...i.val];
  if (runes.length > 10) return `${goQuote(runes.slice(0, 10).join(''))}...`;
  return goQuote(i.val);
}

/** %#U of a rune: U+0029 ')' */
export function runeU(r: number): string {
  const hex = `U+${r.toString(16).toUpperCase().padStart(4, '0')}`;
  return isPrint(r) ? `${hex} '${String.fromCodePoint(r)}'` : hex;
}

const EOF = -1;
const LEFT_DELIM = '{{';
const RIGHT_DELIM = '}}';
const LEFT_COMMENT = '/*';
const RIGHT_COMMENT = '*/';
const SPACE_CHARS = ' \t\r\n';
const TRIM_MARKER_LEN = 2; // the marker plus the space before or after it

const ALNUM = /[\p{L}\p{Nd}_]/u;
const isSpace = (r: number): boolean => r === 0x20 || r === 0x09 || r === 0x0d || r === 0x0a;
const isAlphaNumeric = (r: number): boolean => r >= 0 && ALNUM.test(String.fromCodePoint(r));
const hasLeftTrimMarker = (s: string, at: number): boolean => s.length >= at + 2 && s[at] === '-' && isSpace(s.charCodeAt(at + 1));
const hasRightTrimMarker = (s: string, at: number): boolean => s.length >= at + 2 && isSpace(s.charCodeAt(at)) && s[at + 1] === '-';

type StateFn = (l: Lexer) => StateFn | null;

export interface LexOptions {
  breakOK: boolean;
  continueOK: boolean;
}

export class Lexer {
  private pos = 0;
  private start = 0;
  private atEOF = false;
  private parenDepth = 0;
  private line = 1;
  private startLine = 1;
  private item: Item = { typ: 'EOF', pos: 0, val: 'EOF', line: 1 };
  private insideAction = false;

  constructor(
    private input: string,
    readonly options: LexOptions,
  ) {}

  nextItem(): Item {
    this.item = { typ: 'EOF', pos: this.pos, val: 'EOF', line: this.startLine };
    let state: StateFn | null = this.insideAction ? lexInsideAction : lexText;
    while (state) state = state(this);
    return this.item;
  }

  // ---- the scanner primitives ----

  next(): number {
    if (this.pos >= this.input.length) {
      this.atEOF = true;
      return EOF;
    }
    const r = this.input.codePointAt(this.pos)!;
    this.pos += r > 0xffff ? 2 : 1;
    if (r === 0x0a) this.line++;
    return r;
  }

  peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  backup(): void {
    if (this.atEOF || this.pos === 0) return;
    const low = this.input.charCodeAt(this.pos - 1);
    const pair = this.pos >= 2 && low >= 0xdc00 && low <= 0xdfff && this.input.charCodeAt(this.pos - 2) >= 0xd800 && this.input.charCodeAt(this.pos - 2) <= 0xdbff;
    this.pos -= pair ? 2 : 1;
    if (this.input[this.pos] === '\n') this.line--;
  }

  thisItem(typ: ItemType): Item {
    const i: Item = { typ, pos: this.start, val: this.input.slice(this.start, this.pos), line: this.startLine };
    this.start = this.pos;
    this.startLine = this.line;
    return i;
  }

  emit(typ: ItemType): null {
    return this.emitItem(this.thisItem(typ));
  }

  emitItem(i: Item): null {
    this.item = i;
    return null;
  }

  /** Skip the pending input, counting its newlines (for text skipped without next()). */
  ignore(): void {
    this.line += countNewlines(this.input.slice(this.start, this.pos));
    this.start = this.pos;
    this.startLine = this.line;
  }

  accept(valid: string): boolean {
    const r = this.next();
    if (r >= 0 && valid.includes(String.fromCodePoint(r))) return true;
    this.backup();
    return false;
  }

  acceptRun(valid: string): void {
    for (;;) {
      const r = this.next();
      if (r < 0 || !valid.includes(String.fromCodePoint(r))) break;
    }
    this.backup();
  }

  errorf(message: string): null {
    this.item = { typ: 'error', pos: this.start, val: message, line: this.startLine };
    this.start = 0;
    this.pos = 0;
    this.input = '';
    return null;
  }

  atRightDelim(): { delim: boolean; trim: boolean } {
    if (hasRightTrimMarker(this.input, this.pos) && this.input.startsWith(RIGHT_DELIM, this.pos + TRIM_MARKER_LEN)) return { delim: true, trim: true };
    if (this.input.startsWith(RIGHT_DELIM, this.pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  }

  /** After an identifier: a space, . , | : ( ) or the right delimiter. */
  atTerminator(): boolean {
    const r = this.peek();
    if (isSpace(r)) return true;
    if (r === EOF || '.,|:)('.includes(String.fromCodePoint(r))) return true;
    return this.input.startsWith(RIGHT_DELIM, this.pos);
  }

  scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i');
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }

  // ---- state for the state functions ----
  get src(): string {
    return this.input;
  }
  get at(): number {
    return this.pos;
  }
  set at(p: number) {
    this.pos = p;
  }
  get from(): number {
    return this.start;
  }
  enterAction(): void {
    this.insideAction = true;
    this.parenDepth = 0;
  }
  leaveAction(): void {
    this.insideAction = false;
  }
  addLines(n: number): void {
    this.line += n;
  }
  parenDelta(d: number): number {
    this.parenDepth += d;
    return this.parenDepth;
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function rightTrimLength(s: string): number {
  let n = s.length;
  while (n > 0 && SPACE_CHARS.includes(s[n - 1]!)) n--;
  return s.length - n;
}

function leftTrimLength(s: string, from: number): number {
  let n = from;
  while (n < s.length && SPACE_CHARS.includes(s[n]!)) n++;
  return n - from;
}

// ---- state functions ----

function lexText(l: Lexer): StateFn | null {
  const x = l.src.indexOf(LEFT_DELIM, l.at);
  if (x >= 0) {
    if (x > l.at) {
      l.at = x;
      // trim the spaces before "{{- "
      const trim = hasLeftTrimMarker(l.src, x + LEFT_DELIM.length) ? rightTrimLength(l.src.slice(l.from, x)) : 0;
      l.at -= trim;
      l.addLines(countNewlines(l.src.slice(l.from, l.at)));
      const i = l.thisItem('text');
      l.at += trim;
      l.ignore();
      if (i.val.length > 0) return l.emitItem(i);
    }
    return lexLeftDelim;
  }
  l.at = l.src.length;
  if (l.at > l.from) {
    l.addLines(countNewlines(l.src.slice(l.from, l.at)));
    return l.emit('text');
  }
  return l.emit('EOF');
}

function lexLeftDelim(l: Lexer): StateFn | null {
  l.at += LEFT_DELIM.length;
  const trim = hasLeftTrimMarker(l.src, l.at);
  const afterMarker = trim ? TRIM_MARKER_LEN : 0;
  if (l.src.startsWith(LEFT_COMMENT, l.at + afterMarker)) {
    l.at += afterMarker;
    l.ignore();
    return lexComment;
  }
  const i = l.thisItem('leftDelim');
  l.enterAction();
  l.at += afterMarker;
  l.ignore();
  return l.emitItem(i);
}

function lexComment(l: Lexer): StateFn | null {
  l.at += LEFT_COMMENT.length;
  const x = l.src.indexOf(RIGHT_COMMENT, l.at);
  if (x < 0) return l.errorf('unclosed comment');
  l.at = x + RIGHT_COMMENT.length;
  const { delim, trim } = l.atRightDelim();
  if (!delim) return l.errorf('comment ends before closing delimiter');
  l.addLines(countNewlines(l.src.slice(l.from, l.at)));
  l.thisItem('comment');
  if (trim) l.at += TRIM_MARKER_LEN;
  l.at += RIGHT_DELIM.length;
  if (trim) l.at += leftTrimLength(l.src, l.at);
  l.ignore();
  return lexText;
}

function lexRightDelim(l: Lexer): StateFn | null {
  const { trim } = l.atRightDelim();
  if (trim) {
    l.at += TRIM_MARKER_LEN;
    l.ignore();
  }
  l.at += RIGHT_DELIM.length;
  const i = l.thisItem('rightDelim');
  if (trim) {
    l.at += leftTrimLength(l.src, l.at);
    l.ignore();
  }
  l.leaveAction();
  return l.emitItem(i);
}

function lexInsideAction(l: Lexer): StateFn | null {
  if (l.atRightDelim().delim) {
    if (l.parenDelta(0) === 0) return lexRightDelim;
    return l.errorf('unclosed left paren');
  }
  const r = l.next();
  if (r === EOF) return l.errorf('unclosed action');
  if (isSpace(r)) {
    l.backup(); // in case of " -}}"
    return lexSpace;
  }
  const c = String.fromCodePoint(r);
  switch (c) {
    case '=':
      return l.emit('assign');
    case ':':
      if (l.next() !== 0x3d) return l.errorf('expected :=');
      return l.emit('declare');
    case '|':
      return l.emit('pipe');
    case '"':
      return lexQuote;
    case '`':
      return lexRawQuote;
    case '$':
      return lexVariable;
    case "'":
      return lexChar;
    case '(':
      l.parenDelta(1);
      return l.emit('leftParen');
    case ')':
      if (l.parenDelta(-1) < 0) return l.errorf('unexpected right paren');
      return l.emit('rightParen');
  }
  if (c === '.') {
    const n = l.src.charCodeAt(l.at);
    if (l.at < l.src.length && (n < 0x30 || n > 0x39)) return lexField;
  }
  if (c === '.' || c === '+' || c === '-' || (r >= 0x30 && r <= 0x39)) {
    l.backup();
    return lexNumber;
  }
  if (isAlphaNumeric(r)) {
    l.backup();
    return lexIdentifier;
  }
  if (r <= 0x7f && isPrint(r)) return l.emit('char');
  return l.errorf(`unrecognized character in action: ${runeU(r)}`);
}

function lexSpace(l: Lexer): StateFn | null {
  let numSpaces = 0;
  while (isSpace(l.peek())) {
    l.next();
    numSpaces++;
  }
  // a trim-marked right delimiter starts with a space: leave it to lexRightDelim
  if (hasRightTrimMarker(l.src, l.at - 1) && l.src.startsWith(RIGHT_DELIM, l.at - 1 + TRIM_MARKER_LEN)) {
    l.backup();
    if (numSpaces === 1) return lexRightDelim;
  }
  return l.emit('space');
}

function lexIdentifier(l: Lexer): StateFn | null {
  for (;;) {
    const r = l.next();
    if (isAlphaNumeric(r)) continue;
    l.backup();
    const word = l.src.slice(l.from, l.at);
    if (!l.atTerminator()) return l.errorf(`bad character ${runeU(r)}`);
    const kw = KEYWORDS.get(word);
    if (kw) {
      if ((kw === 'break' && !l.options.breakOK) || (kw === 'continue' && !l.options.continueOK)) return l.emit('identifier');
      return l.emit(kw);
    }
    if (word[0] === '.') return l.emit('field');
    if (word === 'true' || word === 'false') return l.emit('bool');
    return l.emit('identifier');
  }
}

function lexField(l: Lexer): StateFn | null {
  return lexFieldOrVariable(l, 'field');
}

function lexVariable(l: Lexer): StateFn | null {
  if (l.atTerminator()) return l.emit('variable'); // "$" alone
  return lexFieldOrVariable(l, 'variable');
}

function lexFieldOrVariable(l: Lexer, typ: 'field' | 'variable'): StateFn | null {
  if (l.atTerminator()) return l.emit(typ === 'variable' ? 'variable' : 'dot');
  let r: number;
  for (;;) {
    r = l.next();
    if (!isAlphaNumeric(r)) {
      l.backup();
      break;
    }
  }
  if (!l.atTerminator()) return l.errorf(`bad character ${runeU(r)}`);
  return l.emit(typ);
}

function lexChar(l: Lexer): StateFn | null {
  for (;;) {
    let r = l.next();
    if (r === 0x5c) {
      r = l.next();
      if (r !== EOF && r !== 0x0a) continue;
    }
    if (r === EOF || r === 0x0a) return l.errorf('unterminated character constant');
    if (r === 0x27) break;
  }
  return l.emit('charConstant');
}

function lexNumber(l: Lexer): StateFn | null {
  if (!l.scanNumber()) return l.errorf(`bad number syntax: ${goQuote(l.src.slice(l.from, l.at))}`);
  const sign = l.peek();
  if (sign === 0x2b || sign === 0x2d) {
    // complex: 1+2i, no spaces, ends in i
    if (!l.scanNumber() || l.src[l.at - 1] !== 'i') return l.errorf(`bad number syntax: ${goQuote(l.src.slice(l.from, l.at))}`);
    return l.emit('complex');
  }
  return l.emit('number');
}

function lexQuote(l: Lexer): StateFn | null {
  for (;;) {
    let r = l.next();
    if (r === 0x5c) {
      r = l.next();
      if (r !== EOF && r !== 0x0a) continue;
    }
    if (r === EOF || r === 0x0a) return l.errorf('unterminated quoted string');
    if (r === 0x22) break;
  }
  return l.emit('string');
}

function lexRawQuote(l: Lexer): StateFn | null {
  for (;;) {
    const r = l.next();
    if (r === EOF) return l.errorf('unterminated raw quoted string');
    if (r === 0x60) break;
  }
  return l.emit('rawString');
}
