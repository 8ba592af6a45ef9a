// Go's strconv as docker's templates need it: Quote and QuoteRune (with unicode.IsPrint),
// FormatFloat (exact decimal expansion, halves to even, %e %f %g %b %x), Unquote of string
// and rune literals, and ParseInt/ParseFloat of Go number literals (0x, 0o, 0b, 017, 1_000).

// ---- Quote ----

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

export function canBackquote(s: string): boolean {
  for (const ch of s) {
    const r = ch.codePointAt(0)!;
    if (ch === '`' || r === 0xfeff || (r >= 0xd800 && r <= 0xdfff)) return false;
    if ((r < 0x20 && ch !== '\t') || r === 0x7f) return false;
  }
  return true;
}

// ---- FormatFloat ----

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

// ---- literals ----

/** strconv.ParseInt(s, 0, 64) without the range check: 0x, 0o, 0b, leading-0 octal, underscores. */
export function parseGoInt(text: string): bigint | undefined {
  let s = text;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  let base = 10;
  let digits = s;
  if (/^0[xX]/.test(s)) [base, digits] = [16, s.slice(2)];
  else if (/^0[oO]/.test(s)) [base, digits] = [8, s.slice(2)];
  else if (/^0[bB]/.test(s)) [base, digits] = [2, s.slice(2)];
  else if (/^0\d/.test(s) || /^0_/.test(s)) [base, digits] = [8, s.slice(1)];
  if (digits.includes('_')) {
    // underscores only between digits, or right after a base prefix (Go's underscoreOK)
    const shape = base === 10 ? /^[^_]+(_[^_]+)*$/ : /^_?[^_]+(_[^_]+)*$/;
    if (!shape.test(digits)) return undefined;
    digits = digits.replace(/_/g, '');
  }
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^\d+$/, 16: /^[0-9a-fA-F]+$/ }[base as 2 | 8 | 10 | 16];
  if (!valid.test(digits)) return undefined;
  const prefix = { 2: '0b', 8: '0o', 10: '', 16: '0x' }[base as 2 | 8 | 10 | 16];
  const v = BigInt(prefix + digits);
  return neg ? -v : v;
}

/** strconv.ParseFloat(s, 64): decimal and hex floats, underscores, inf/nan. */
export function parseGoFloat(text: string): number | undefined {
  const s = text.replace(/_/g, '');
  // out of range (1e400) is an error, as strconv's ErrRange
  if (/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)$/.test(s)) return Number.isFinite(Number(s)) ? Number(s) : undefined;
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/.exec(s);
  if (hex && (hex[2] || hex[3])) {
    const mant = parseInt((hex[2] || '0') + (hex[3] || ''), 16) / 16 ** (hex[3]?.length ?? 0);
    const v = mant * 2 ** Number(hex[4]);
    return hex[1] === '-' ? -v : v;
  }
  return undefined;
}

/** strconv.Unquote for "..." and `...` strings; undefined for invalid syntax. */
export function unquoteGo(q: string): string | undefined {
  if (q.length < 2) return undefined;
  if (q[0] === '`') return q.endsWith('`') && !q.slice(1, -1).includes('`') ? q.slice(1, -1).replace(/\r/g, '') : undefined;
  if (q[0] !== '"' || !q.endsWith('"')) return undefined;
  const body = q.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"' || c === '\n') return undefined;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };
    if (e === undefined) return undefined;
    if (e in simple) {
      if (e === "'") return undefined; // \' is only valid in a rune literal
      out += simple[e];
      continue;
    }
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexLen > 0) {
      const h = body.slice(i + 1, i + 1 + hexLen);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(h)) return undefined;
      const v = parseInt(h, 16);
      if (e === 'x') out += v < 0x80 ? String.fromCharCode(v) : '\ufffd'; // a byte >= 0x80 is not a whole rune
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
      else out += String.fromCodePoint(v);
      i += hexLen;
      continue;
    }
    if (e >= '0' && e <= '7') {
      const o = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) return undefined;
      const v = parseInt(o, 8);
      out += v < 0x80 ? String.fromCharCode(v) : '\ufffd';
      i += 2;
      continue;
    }
    return undefined;
  }
  return out;
}

/** strconv.UnquoteChar of a rune literal ('a', '\n', '\u00e9'): the code point, or Go's error text. */
export function unquoteRune(lit: string): number | string {
  const body = lit.slice(1, -1);
  if (body.length === 0 || body === "'") return 'invalid syntax';
  let r: number;
  let rest: string;
  if (body[0] !== '\\') {
    r = body.codePointAt(0)!;
    rest = body.slice(r > 0xffff ? 2 : 1);
  } else {
    const e = body[1];
    const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, "'": 39 };
    if (e === undefined || e === '"') return 'invalid syntax';
    if (e in simple) {
      r = simple[e]!;
      rest = body.slice(2);
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const h = body.slice(2, 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) return 'invalid syntax';
      r = parseInt(h, 16);
      if (e !== 'x' && (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))) return 'invalid syntax';
      rest = body.slice(2 + n);
    } else if (e >= '0' && e <= '7') {
      const o = body.slice(1, 4);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) return 'invalid syntax';
      r = parseInt(o, 8);
      rest = body.slice(4);
    } else return 'invalid syntax';
  }
  if (rest !== '') return `malformed character constant: ${lit}`;
  return r;
}
