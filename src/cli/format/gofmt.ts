// Go's fmt over the value model of values.ts: Sprint, Sprintln, Sprintf with the verbs
// %v %+v %T %t %d %b %o %O %x %X %c %q %U %e %E %f %F %g %G %s and %%, flags # 0 + - space,
// width, precision, `*` and [n] argument indexes, and fmt's error forms (%!d(string=a),
// %!s(MISSING), %!(EXTRA int=1), %!(NOVERB), %!(BADWIDTH), %!(BADPREC), %!v(BADINDEX)).
// Floats are formatted from their exact binary value, rounding half to even, as strconv does.
// Deliberate difference: a JS integer given to a float verb (%f, %e, %g) is formatted as a
// float, since JS cannot say whether 5 meant int 5 or float64 5 (Go prints %!f(int=5)).
// Not here: %#v Go syntax (printed as %v), %p, complex numbers.
import { MISSING, kindOf, lookupMember, numberOf, sortedKeys, structFields, typeName } from './values.js';

interface Flags {
  sharp: boolean;
  zero: boolean;
  plus: boolean;
  minus: boolean;
  space: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid: number;
  widPresent: boolean;
  prec: number;
  precPresent: boolean;
}

const clearFlags = (): Flags => ({
  sharp: false, zero: false, plus: false, minus: false, space: false, plusV: false, sharpV: false,
  wid: 0, widPresent: false, prec: 0, precPresent: false,
});

const isNil = (v: unknown): boolean => v === null || v === undefined || v === MISSING;

/** fmt.Sprint: operands printed with %v, a space between two operands when neither is a string. */
export function sprint(args: readonly unknown[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((arg, i) => {
    const isString = typeof arg === 'string';
    if (i > 0 && !isString && !prevString) p.out += ' ';
    p.printArg(arg, 'v');
    prevString = isString;
  });
  return p.out;
}

/** fmt.Sprintln: operands printed with %v, always separated by spaces, then a newline. */
export function sprintln(args: readonly unknown[]): string {
  const p = new Printer();
  args.forEach((arg, i) => {
    if (i > 0) p.out += ' ';
    p.printArg(arg, 'v');
  });
  return p.out + '\n';
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  const p = new Printer();
  p.doPrintf(format, args);
  return p.out;
}

class Printer {
  out = '';
  private f: Flags = clearFlags();
  private erroring = false;
  private reordered = false;
  private goodArgNum = true;

  doPrintf(format: string, a: readonly unknown[]): void {
    const end = format.length;
    let argNum = 0;
    let afterIndex = false;
    let i = 0;
    formatLoop: while (i < end) {
      this.goodArgNum = true;
      const lasti = i;
      while (i < end && format[i] !== '%') i++;
      if (i > lasti) this.out += format.slice(lasti, i);
      if (i >= end) break;
      i++;
      this.f = clearFlags();
      simple: for (; i < end; i++) {
        const c = format[i]!;
        switch (c) {
          case '#':
            this.f.sharp = true;
            break;
          case '0':
            this.f.zero = !this.f.minus; // only pad with zeros on the left
            break;
          case '+':
            this.f.plus = true;
            break;
          case '-':
            this.f.minus = true;
            this.f.zero = false;
            break;
          case ' ':
            this.f.space = true;
            break;
          default:
            // the common case: flags then a lower-case verb, no width, precision or index
            if (c >= 'a' && c <= 'z' && argNum < a.length) {
              if (c === 'v') this.vFlags();
              this.printArg(a[argNum], c);
              argNum++;
              i++;
              continue formatLoop;
            }
            break simple;
        }
      }
      [argNum, i, afterIndex] = this.argNumber(argNum, format, i, a.length);
      if (i < end && format[i] === '*') {
        i++;
        [this.f.wid, this.f.widPresent, argNum] = intFromArg(a, argNum);
        if (!this.f.widPresent) this.out += '%!(BADWIDTH)';
        if (this.f.wid < 0) {
          this.f.wid = -this.f.wid;
          this.f.minus = true;
          this.f.zero = false;
        }
        afterIndex = false;
      } else {
        [this.f.wid, this.f.widPresent, i] = parsenum(format, i, end);
        if (afterIndex && this.f.widPresent) this.goodArgNum = false;
      }
      if (i + 1 < end && format[i] === '.') {
        i++;
        if (afterIndex) this.goodArgNum = false;
        [argNum, i, afterIndex] = this.argNumber(argNum, format, i, a.length);
        if (i < end && format[i] === '*') {
          i++;
          [this.f.prec, this.f.precPresent, argNum] = intFromArg(a, argNum);
          if (this.f.prec < 0) {
            this.f.prec = 0;
            this.f.precPresent = false;
          }
          if (!this.f.precPresent) this.out += '%!(BADPREC)';
          afterIndex = false;
        } else {
          [this.f.prec, this.f.precPresent, i] = parsenum(format, i, end);
          if (!this.f.precPresent) {
            this.f.prec = 0;
            this.f.precPresent = true;
          }
        }
      }
      if (!afterIndex) [argNum, i, afterIndex] = this.argNumber(argNum, format, i, a.length);
      if (i >= end) {
        this.out += '%!(NOVERB)';
        break;
      }
      const verb = String.fromCodePoint(format.codePointAt(i)!);
      i += verb.length;
      if (verb === '%') this.out += '%';
      else if (!this.goodArgNum) this.out += `%!${verb}(BADINDEX)`;
      else if (argNum >= a.length) this.out += `%!${verb}(MISSING)`;
      else {
        if (verb === 'v') this.vFlags();
        this.printArg(a[argNum], verb);
        argNum++;
      }
    }
    if (!this.reordered && argNum < a.length) {
      this.f = clearFlags();
      this.out += '%!(EXTRA ';
      a.slice(argNum).forEach((arg, k) => {
        if (k > 0) this.out += ', ';
        if (isNil(arg)) this.out += '<nil>';
        else {
          this.out += `${typeName(arg)}=`;
          this.printArg(arg, 'v');
        }
      });
      this.out += ')';
    }
  }

  private vFlags(): void {
    this.f.sharpV = this.f.sharp;
    this.f.sharp = false;
    this.f.plusV = this.f.plus;
    this.f.plus = false;
  }

  private argNumber(argNum: number, format: string, i: number, numArgs: number): [number, number, boolean] {
    if (format.length <= i || format[i] !== '[') return [argNum, i, false];
    this.reordered = true;
    const [index, wid, ok] = parseArgNumber(format.slice(i));
    if (ok && index >= 0 && index < numArgs) return [index, i + wid, true];
    this.goodArgNum = false;
    return [argNum, i + wid, ok];
  }

  printArg(arg: unknown, verb: string): void {
    if (isNil(arg)) {
      if (verb === 'T' || verb === 'v') this.padString('<nil>');
      else this.badVerb(verb, arg);
      return;
    }
    if (verb === 'T') {
      this.fmtS(typeName(arg));
      return;
    }
    if (verb === 'p') {
      this.badVerb(verb, arg);
      return;
    }
    const kind = kindOf(arg);
    if (kind === 'struct' && this.handleMethods(arg as object, verb)) return;
    this.printValue(arg, verb, 0);
  }

  /** A struct with an Error or String method prints through it (Go's error and fmt.Stringer). */
  private handleMethods(obj: object, verb: string): boolean {
    if (this.erroring || this.f.sharpV) return false;
    if (!'vsxXq'.includes(verb)) return false;
    for (const name of ['Error', 'String']) {
      const m = lookupMember(obj, name);
      if (m.found && m.method) {
        this.fmtString(String((m.value as () => unknown).call(obj)), verb, obj);
        return true;
      }
    }
    return false;
  }

  private printValue(v: unknown, verb: string, depth: number): void {
    if (depth > 0 && kindOf(v) === 'struct' && this.handleMethods(v as object, verb)) return;
    switch (kindOf(v)) {
      case 'invalid':
      case 'nil':
        // a nil inside a slice, map or struct
        this.out += '<nil>';
        return;
      case 'bool':
        this.fmtBool(v as boolean, verb);
        return;
      case 'int':
        this.fmtInteger(typeof v === 'bigint' ? v : BigInt(v as number), verb, v);
        return;
      case 'float':
        this.fmtFloat(numberOf(v), verb, v);
        return;
      case 'string':
        this.fmtString(v as string, verb, v);
        return;
      case 'map': {
        const m = v as Map<unknown, unknown>;
        this.out += 'map[';
        sortedKeys(m).forEach((k, i) => {
          if (i > 0) this.out += ' ';
          this.printValue(k, verb, depth + 1);
          this.out += ':';
          this.printValue(m.get(k), verb, depth + 1);
        });
        this.out += ']';
        return;
      }
      case 'struct': {
        this.out += '{';
        structFields(v as object).forEach(([name, field], i) => {
          if (i > 0) this.out += ' ';
          if (this.f.plusV || this.f.sharpV) this.out += `${name}:`;
          this.printValue(field, verb, depth + 1);
        });
        this.out += '}';
        return;
      }
      case 'slice': {
        const items = v instanceof Uint8Array ? [...v] : (v as unknown[]);
        this.out += '[';
        items.forEach((item, i) => {
          if (i > 0) this.out += ' ';
          this.printValue(item, verb, depth + 1);
        });
        this.out += ']';
        return;
      }
      case 'func':
        if (verb === 'v') this.padString('0x0');
        else this.badVerb(verb, v);
        return;
    }
  }

  private badVerb(verb: string, arg: unknown): void {
    this.erroring = true;
    this.out += `%!${verb}(`;
    if (isNil(arg)) this.out += '<nil>';
    else {
      this.out += `${typeName(arg)}=`;
      this.printArg(arg, 'v');
    }
    this.out += ')';
    this.erroring = false;
  }

  private fmtBool(v: boolean, verb: string): void {
    if (verb === 't' || verb === 'v') this.padString(v ? 'true' : 'false');
    else this.badVerb(verb, v);
  }

  private fmtInteger(v: bigint, verb: string, orig: unknown): void {
    switch (verb) {
      case 'v':
      case 'd':
        return this.fmtIntBase(v, 10, verb, '0123456789abcdefx');
      case 'b':
        return this.fmtIntBase(v, 2, verb, '0123456789abcdefx');
      case 'o':
      case 'O':
        return this.fmtIntBase(v, 8, verb, '0123456789abcdefx');
      case 'x':
        return this.fmtIntBase(v, 16, verb, '0123456789abcdefx');
      case 'X':
        return this.fmtIntBase(v, 16, verb, '0123456789ABCDEFX');
      case 'c':
        return this.padString(runeString(v));
      case 'q':
        return this.padString(quoteRune(runeOf(v), this.f.plus));
      case 'U':
        return this.fmtUnicode(v);
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G':
        return this.fmtFloat(Number(v), verb, orig);
      default:
        return this.badVerb(verb, orig);
    }
  }

  private fmtIntBase(v: bigint, base: number, verb: string, digitSet: string): void {
    const negative = v < 0n;
    let u = negative ? -v : v;
    let prec = 0;
    if (this.f.precPresent) {
      prec = this.f.prec;
      if (prec === 0 && v === 0n) {
        const oldZero = this.f.zero;
        this.f.zero = false;
        this.writePadding(this.f.wid);
        this.f.zero = oldZero;
        return;
      }
    } else if (this.f.zero && this.f.widPresent) {
      prec = this.f.wid;
      if (negative || this.f.plus || this.f.space) prec--; // room for the sign
    }
    let digits = '';
    const b = BigInt(base);
    do {
      digits = digitSet[Number(u % b)] + digits;
      u /= b;
    } while (u > 0n);
    while (digits.length < prec) digits = '0' + digits;
    if (this.f.sharp) {
      if (base === 2) digits = '0b' + digits;
      else if (base === 8 && digits[0] !== '0') digits = '0' + digits;
      else if (base === 16) digits = '0' + digitSet[16] + digits;
    }
    if (verb === 'O') digits = '0o' + digits;
    if (negative) digits = '-' + digits;
    else if (this.f.plus) digits = '+' + digits;
    else if (this.f.space) digits = ' ' + digits;
    // zero padding was done above, as precision
    const oldZero = this.f.zero;
    this.f.zero = false;
    this.padString(digits);
    this.f.zero = oldZero;
  }

  private fmtUnicode(v: bigint): void {
    let hex = (v < 0n ? -v : v).toString(16).toUpperCase();
    const prec = this.f.precPresent && this.f.prec > 4 ? this.f.prec : 4;
    while (hex.length < prec) hex = '0' + hex;
    let s = `U+${hex}`;
    const r = runeOf(v);
    if (this.f.sharp && r >= 0 && r <= 0x10ffff && isPrint(r)) s += ` '${String.fromCodePoint(r)}'`;
    const oldZero = this.f.zero;
    this.f.zero = false;
    this.padString(s);
    this.f.zero = oldZero;
  }

  private fmtFloat(v: number, verb: string, orig: unknown): void {
    let prec: number;
    let fmt: FloatFormat;
    switch (verb) {
      case 'v':
        fmt = 'g';
        prec = this.f.precPresent ? this.f.prec : -1;
        break;
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        fmt = verb;
        prec = this.f.precPresent ? this.f.prec : -1;
        break;
      case 'e':
      case 'E':
      case 'f':
        fmt = verb;
        prec = this.f.precPresent ? this.f.prec : 6;
        break;
      case 'F':
        fmt = 'f';
        prec = this.f.precPresent ? this.f.prec : 6;
        break;
      default:
        return this.badVerb(verb, orig);
    }
    let num = formatFloat(v, fmt, prec);
    if (num[0] !== '-' && num[0] !== '+') num = '+' + num;
    if (this.f.sharp && verb !== 'b' && num[1] !== 'I' && num[1] !== 'N') num = sharpFloat(num, verb, prec);
    if (this.f.space && num[0] === '+' && !this.f.plus) num = ' ' + num.slice(1);
    if (num[1] === 'I' || num[1] === 'N') {
      // Inf and NaN are not padded with zeros; NaN has no sign unless asked for one
      const oldZero = this.f.zero;
      this.f.zero = false;
      if (num[1] === 'N' && !this.f.space && !this.f.plus) num = num.slice(1);
      this.padString(num);
      this.f.zero = oldZero;
      return;
    }
    if (this.f.plus || num[0] !== '+') {
      if (this.f.zero && !this.f.minus && this.f.widPresent && this.f.wid > num.length) {
        this.out += num[0];
        this.writePadding(this.f.wid - num.length);
        this.out += num.slice(1);
        return;
      }
      this.padString(num);
      return;
    }
    this.padString(num.slice(1));
  }

  private fmtString(s: string, verb: string, orig: unknown): void {
    switch (verb) {
      case 'v':
        if (this.f.sharpV) return this.fmtQ(s);
        return this.fmtS(s);
      case 's':
        return this.fmtS(s);
      case 'x':
        return this.fmtSx(s, '0123456789abcdef', 'x');
      case 'X':
        return this.fmtSx(s, '0123456789ABCDEF', 'X');
      case 'q':
        return this.fmtQ(s);
      default:
        return this.badVerb(verb, orig);
    }
  }

  private truncate(s: string): string {
    if (!this.f.precPresent) return s;
    const runes = [...s];
    return runes.length > this.f.prec ? runes.slice(0, this.f.prec).join('') : s;
  }

  private fmtS(s: string): void {
    this.padString(this.truncate(s));
  }

  private fmtQ(s: string): void {
    s = this.truncate(s);
    if (this.f.sharp && canBackquote(s)) this.padString('`' + s + '`');
    else this.padString(goQuote(s, this.f.plus));
  }

  private fmtSx(s: string, digits: string, x: string): void {
    let bytes = [...Buffer.from(s, 'utf8')];
    if (this.f.precPresent && this.f.prec < bytes.length) bytes = bytes.slice(0, this.f.prec);
    let out = '';
    if (this.f.sharp && !this.f.space) out += '0' + x;
    bytes.forEach((b, i) => {
      if (this.f.space && i > 0) out += ' ';
      if (this.f.space && this.f.sharp) out += '0' + x;
      out += digits[b >> 4]! + digits[b & 15]!;
    });
    this.padString(out);
  }

  private writePadding(n: number): void {
    if (n > 0) this.out += (this.f.zero ? '0' : ' ').repeat(n);
  }

  /** Pad S to the width in runes: left unless the minus flag, with zeros if the zero flag. */
  private padString(s: string): void {
    if (!this.f.widPresent || this.f.wid === 0) {
      this.out += s;
      return;
    }
    const width = this.f.wid - [...s].length;
    if (!this.f.minus) {
      this.writePadding(width);
      this.out += s;
    } else {
      this.out += s;
      if (width > 0) this.out += ' '.repeat(width);
    }
  }
}

function tooLarge(n: number): boolean {
  return n > 1e6 || n < -1e6;
}

function parsenum(s: string, start: number, end: number): [number, boolean, number] {
  if (start >= end) return [0, false, end];
  let num = 0;
  let isnum = false;
  let i = start;
  for (; i < end && s[i]! >= '0' && s[i]! <= '9'; i++) {
    if (tooLarge(num)) return [0, false, end];
    num = num * 10 + (s.charCodeAt(i) - 48);
    isnum = true;
  }
  return [num, isnum, i];
}

function parseArgNumber(format: string): [number, number, boolean] {
  if (format.length < 3) return [0, 1, false];
  for (let i = 1; i < format.length; i++) {
    if (format[i] === ']') {
      const [width, ok, newi] = parsenum(format, 1, i);
      if (!ok || newi !== i) return [0, i + 1, false];
      return [width - 1, i + 1, true];
    }
  }
  return [0, 1, false];
}

function intFromArg(a: readonly unknown[], argNum: number): [number, boolean, number] {
  let num = 0;
  let isInt = false;
  let newArgNum = argNum;
  if (argNum < a.length) {
    const v = a[argNum];
    if (kindOf(v) === 'int') {
      num = Number(v);
      isInt = true;
    }
    newArgNum = argNum + 1;
    if (tooLarge(num)) {
      num = 0;
      isInt = false;
    }
  }
  return [num, isInt, newArgNum];
}

function runeOf(v: bigint): number {
  return v < 0n || v > 0x10ffffn ? 0xfffd : Number(v);
}

function runeString(v: bigint): string {
  const r = runeOf(v);
  return r >= 0xd800 && r <= 0xdfff ? '\ufffd' : String.fromCodePoint(r);
}

// ---- strconv.Quote ----

const PRINT = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrint(r: number): boolean {
  return PRINT.test(String.fromCodePoint(r));
}

function escapeRune(r: number, quote: string, asciiOnly: boolean): string {
  const c = String.fromCodePoint(r);
  if (c === quote || c === '\\') return '\\' + c;
  if (asciiOnly ? r < 0x80 && isPrint(r) : isPrint(r)) return c;
  switch (c) {
    case '\x07':
      return '\\a';
    case '\b':
      return '\\b';
    case '\f':
      return '\\f';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '\v':
      return '\\v';
  }
  if (r < 0x20 || r === 0x7f) return '\\x' + r.toString(16).padStart(2, '0');
  if (r >= 0xd800 && r <= 0xdfff) r = 0xfffd; // a lone surrogate is not a valid rune
  if (r < 0x10000) return '\\u' + r.toString(16).padStart(4, '0');
  return '\\U' + r.toString(16).padStart(8, '0');
}

/** strconv.Quote (ASCIIONLY: strconv.QuoteToASCII). */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch.codePointAt(0)!, '"', asciiOnly);
  return out + '"';
}

/** strconv.QuoteRune. */
export function quoteRune(r: number, asciiOnly = false): string {
  return `'${escapeRune(r, "'", asciiOnly)}'`;
}

function canBackquote(s: string): boolean {
  for (const ch of s) {
    const r = ch.codePointAt(0)!;
    if (ch === '`' || r === 0xfeff || (r >= 0xd800 && r <= 0xdfff)) return false;
    if ((r < 0x20 && ch !== '\t') || r === 0x7f) return false;
  }
  return true;
}

// ---- strconv.FormatFloat ----

export type FloatFormat = 'b' | 'e' | 'E' | 'f' | 'g' | 'G' | 'x' | 'X';

interface Digits {
  d: string; // significant digits, no leading or trailing zeros ('' for zero)
  dp: number; // position of the decimal point relative to d
}

/** The shortest digits that read back as X (what strconv gives for precision -1). */
function shortestDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const [mant, exp] = x.toExponential().split('e') as [string, string];
  return trimDigits({ d: mant.replace('.', ''), dp: Number(exp) + 1 });
}

/** The exact decimal expansion of the double X. */
function exactDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  let exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp === 0) exp = 1;
  else mant |= 1n << 52n;
  exp -= 1075; // x = mant * 2^exp
  if (exp >= 0) {
    const d = (mant << BigInt(exp)).toString();
    return trimDigits({ d, dp: d.length });
  }
  const d = (mant * 5n ** BigInt(-exp)).toString(); // mant * 2^exp = mant * 5^-exp / 10^-exp
  return trimDigits({ d, dp: d.length + exp });
}

function trimDigits({ d, dp }: Digits): Digits {
  let start = 0;
  while (start < d.length && d[start] === '0') start++;
  let end = d.length;
  while (end > start && d[end - 1] === '0') end--;
  if (start === end) return { d: '', dp: 0 };
  return { d: d.slice(start, end), dp: dp - start };
}

/** Round to ND significant digits, exact halves to even (strconv's decimal.Round). */
function roundDigits(a: Digits, nd: number): Digits {
  if (nd < 0 || nd >= a.d.length) return a;
  const next = a.d[nd]!;
  const up = next === '5' && nd + 1 === a.d.length ? nd > 0 && Number(a.d[nd - 1]) % 2 === 1 : next >= '5';
  if (!up) return trimDigits({ d: a.d.slice(0, nd), dp: a.dp });
  let i = nd - 1;
  while (i >= 0 && a.d[i] === '9') i--;
  if (i < 0) return { d: '1', dp: a.dp + 1 };
  return trimDigits({ d: a.d.slice(0, i) + String(Number(a.d[i]) + 1), dp: a.dp });
}

function fmtE(neg: boolean, digs: Digits, prec: number, e: string): string {
  let s = neg ? '-' : '';
  s += digs.d.length > 0 ? digs.d[0] : '0';
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) s += i < digs.d.length ? digs.d[i] : '0';
  }
  let exp = digs.d.length === 0 ? 0 : digs.dp - 1;
  s += e;
  if (exp < 0) {
    s += '-';
    exp = -exp;
  } else s += '+';
  return s + (exp < 10 ? '0' + exp : String(exp));
}

function fmtF(neg: boolean, digs: Digits, prec: number): string {
  let s = neg ? '-' : '';
  if (digs.dp > 0) {
    for (let i = 0; i < digs.dp; i++) s += i < digs.d.length ? digs.d[i] : '0';
  } else s += '0';
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) {
      const j = digs.dp + i - 1;
      s += j >= 0 && j < digs.d.length ? digs.d[j] : '0';
    }
  }
  return s;
}

/** strconv.FormatFloat(x, fmt, prec, 64): PREC -1 is the shortest representation. */
export function formatFloat(x: number, fmt: FloatFormat, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  if (fmt === 'b' || fmt === 'x' || fmt === 'X') return formatBinary(x, neg, fmt, prec);
  const abs = Math.abs(x);
  const shortest = prec < 0;
  let digs: Digits;
  if (shortest) {
    digs = shortestDigits(abs);
    if (fmt === 'e' || fmt === 'E') prec = Math.max(digs.d.length - 1, 0);
    else if (fmt === 'f') prec = Math.max(digs.d.length - digs.dp, 0);
    else prec = digs.d.length;
  } else {
    digs = exactDigits(abs);
    if (fmt === 'e' || fmt === 'E') digs = roundDigits(digs, prec + 1);
    else if (fmt === 'f') digs = roundDigits(digs, digs.dp + prec);
    else {
      if (prec === 0) prec = 1;
      digs = roundDigits(digs, prec);
    }
  }
  switch (fmt) {
    case 'e':
    case 'E':
      return fmtE(neg, digs, prec, fmt);
    case 'f':
      return fmtF(neg, digs, prec);
    default: {
      let eprec = prec;
      const nd = digs.d.length;
      if (eprec > nd && nd >= digs.dp) eprec = nd;
      // %e is used if the exponent is less than -4 or at least the precision (6 when shortest)
      if (shortest) eprec = 6;
      const exp = digs.dp - 1;
      if (nd > 0 && (exp < -4 || exp >= eprec)) {
        if (prec > nd) prec = nd;
        return fmtE(neg, digs, prec - 1, fmt === 'g' ? 'e' : 'E');
      }
      if (prec > digs.dp) prec = nd;
      return fmtF(neg, digs, Math.max(prec - digs.dp, 0));
    }
  }
}


/** The sign, mantissa (with the implicit bit) and exponent of a double, as strconv takes them apart. */
function decompose(x: number): { mant: bigint; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  let exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  return { mant, exp: exp - 1023 };
}

/** strconv's %b (-ddddp±ddd) and %x (-0x1.hhhhp±dd). */
function formatBinary(x: number, neg: boolean, fmt: 'b' | 'x' | 'X', prec: number): string {
  let { mant, exp } = decompose(x);
  const sign = neg ? '-' : '';
  if (fmt === 'b') {
    const e = exp - 52;
    return `${sign}${mant}p${e >= 0 ? '+' : ''}${e}`;
  }
  if (mant === 0n) exp = 0;
  // the leading 1 at bit 60
  mant <<= 8n;
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & ((1n << 60n) - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if (mant & (1n << 61n)) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = fmt === 'X' ? '0123456789ABCDEF' : '0123456789abcdef';
  let out = `${sign}0${fmt}${(mant >> 60n) & 1n}`;
  mant = (mant << 4n) & ((1n << 64n) - 1n); // drop the leading digit
  if ((prec < 0 && mant !== 0n) || prec > 0) {
    out += '.';
    for (let i = 0; prec < 0 ? mant !== 0n : i < prec; i++) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & ((1n << 64n) - 1n);
    }
  }
  out += fmt === 'X' ? 'P' : 'p';
  out += exp < 0 ? '-' : '+';
  const e = Math.abs(exp);
  return out + (e < 10 ? '0' + e : String(e));
}

/** fmt's # flag on floats: keep the decimal point, and for %g %v %x pad to the precision (6 by default). */
function sharpFloat(num: string, verb: string, prec: number): string {
  let digits = 0;
  if ('vgGx'.includes(verb)) digits = prec === -1 ? 6 : prec;
  let tail = '';
  let hasPoint = false;
  let sawNonzero = false;
  let body = num;
  for (let i = 1; i < body.length; i++) {
    const c = body[i]!;
    if (c === '.') hasPoint = true;
    else if (c === 'p' || c === 'P' || ((c === 'e' || c === 'E') && verb !== 'x' && verb !== 'X')) {
      tail = body.slice(i);
      body = body.slice(0, i);
      break;
    } else {
      if (c !== '0') sawNonzero = true;
      if (sawNonzero) digits--;
    }
  }
  if (!hasPoint) {
    if (body.length === 2 && body[1] === '0') digits--; // a lone 0 counts once
    body += '.';
  }
  while (digits > 0) {
    body += '0';
    digits--;
  }
  return body + tail;
}
