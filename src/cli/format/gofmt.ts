// Go's fmt over the value model of values.ts: Sprint, Sprintln, Sprintf with the verbs
// %v %+v %T %t %d %b %o %O %x %X %c %q %U %e %E %f %F %g %G %s and %%, flags # 0 + - space,
// width, precision, `*` and [n] argument indexes, and fmt's error forms (%!d(string=a),
// %!s(MISSING), %!(EXTRA int=1), %!(NOVERB), %!(BADWIDTH), %!(BADPREC), %!v(BADINDEX)).
// Floats are formatted by strconv.ts (exact binary value, halves to even), also %b %x %X.
// Deliberate difference: a JS integer given to a float verb (%f, %e, %g) is formatted as a
// float, since JS cannot say whether 5 meant int 5 or float64 5 (Go prints %!f(int=5)).
// Not here: %#v Go syntax (printed as %v), %p, complex numbers.
import { canBackquote, formatFloat, goQuote, isPrint, quoteRune, type FloatFormat } from './strconv.js';
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
