// Go's spellings that docker's messages and history strings are made of: strconv.Quote,
// fmt's %v/%q of a []string, time.Duration's String and time.ParseDuration. docker's
// words pass through these, so matching docker byte for byte means matching Go.

/** Go's unicode.IsSpace (the White_Space property; note U+0085 yes, U+FEFF no). */
export function isGoSpace(ch: string): boolean {
  const c = ch.codePointAt(0) ?? -1;
  if (c <= 0xff) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** strings.TrimSpace. */
export function goTrimSpace(s: string): string {
  return goTrimRightSpace(goTrimLeftSpace(s));
}

export function goTrimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isGoSpace(s[i]!)) i++;
  return s.slice(i);
}

export function goTrimRightSpace(s: string): string {
  let j = s.length;
  while (j > 0 && isGoSpace(s[j - 1]!)) j--;
  return s.slice(0, j);
}

/** path.Clean (filepath.Clean on Linux): "" is ".", "a//b/../c/" is "a/c", "/.." is "/". */
export function goCleanPath(p: string): string {
  if (p === '') return '.';
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (abs) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** strconv.IsPrint, approximated by Unicode categories (control, format, unassigned, surrogates are not printable). */
function isGoPrint(cp: number): boolean {
  if (cp === 0x20) return true;
  return !/[\p{Cc}\p{Cf}\p{Cn}\p{Cs}\p{Co}\p{Zl}\p{Zp}\p{Zs}]/u.test(String.fromCodePoint(cp));
}

/** strconv.Quote: a double-quoted Go string literal. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (isGoPrint(cp)) out += ch;
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    // A lone surrogate is what invalid UTF-8 becomes here; Go would print the byte.
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}

/** fmt's %v of a []string: `[a b c]`. */
export function goList(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/** fmt's %q of a []string: `["a" "b c"]`. */
export function goQuotedList(items: readonly string[]): string {
  return `[${items.map(goQuote).join(' ')}]`;
}

const NS = 1n;
const US = 1000n * NS;
const MS = 1000n * US;
const SEC = 1000n * MS;
const MIN = 60n * SEC;
const HOUR = 60n * MIN;
const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', NS],
  ['us', US],
  ['\u00b5s', US],
  ['\u03bcs', US],
  ['ms', MS],
  ['s', SEC],
  ['m', MIN],
  ['h', HOUR],
]);
const MAX_DURATION = (1n << 63n) - 1n;

/** The error time.ParseDuration returns, worded as Go words it. */
export class GoDurationError extends Error {}

/**
 * time.ParseDuration: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, e.g. "1h30m", "1.5s", "300ms";
 * a bare "0" is allowed. Returns nanoseconds.
 */
export function parseGoDuration(orig: string): bigint {
  const invalid = () => new GoDurationError(`time: invalid duration ${goQuote(orig)}`);
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || (s[0]! >= '0' && s[0]! <= '9'))) throw invalid();
    const intPart = /^[0-9]*/.exec(s)![0];
    s = s.slice(intPart.length);
    let frac = '';
    if (s[0] === '.') {
      s = s.slice(1);
      frac = /^[0-9]*/.exec(s)![0];
      s = s.slice(frac.length);
    }
    if (intPart === '' && frac === '') throw invalid();
    let i = 0;
    while (i < s.length && !(s[i] === '.' || (s[i]! >= '0' && s[i]! <= '9'))) i++;
    if (i === 0) throw new GoDurationError(`time: missing unit in duration ${goQuote(orig)}`);
    const unitName = s.slice(0, i);
    s = s.slice(i);
    const unit = UNITS.get(unitName);
    if (unit === undefined) throw new GoDurationError(`time: unknown unit ${goQuote(unitName)} in duration ${goQuote(orig)}`);
    const whole = intPart === '' ? 0n : BigInt(intPart);
    if (whole > (1n << 63n) / unit) throw invalid();
    let v = whole * unit;
    if (frac !== '') {
      // Go's leadingFraction and its float64 scaling, step for step, so rounding matches.
      let x = 0n;
      let scale = 1;
      let overflow = false;
      for (const c of frac) {
        if (overflow) continue;
        if (x > ((1n << 63n) - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = x * 10n + BigInt(c);
        if (y > 1n << 63n) {
          overflow = true;
          continue;
        }
        x = y;
        scale *= 10;
      }
      if (x > 0n) {
        v += BigInt(Math.trunc(Number(x) * (Number(unit) / scale)));
        if (v > 1n << 63n) throw invalid();
      }
    }
    total += v;
    if (total > 1n << 63n) throw invalid();
  }
  if (neg) return -total;
  if (total > MAX_DURATION) throw invalid();
  return total;
}

/** The digits of v / 10^prec after the point, trailing zeros dropped ("" when none). */
function fraction(v: bigint, prec: number): { digits: string; rest: bigint } {
  let digits = '';
  let printed = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    printed = printed || digit !== 0n;
    if (printed) digits = digit.toString() + digits;
    v /= 10n;
  }
  return { digits: printed ? `.${digits}` : '', rest: v };
}

/** time.Duration.String: "0s", "1.5s", "300ms", "1m30s", "1h0m0s". */
export function formatGoDuration(ns: bigint): string {
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < SEC) {
    if (u === 0n) return '0s';
    let unit: string;
    let prec: number;
    if (u < US) {
      unit = 'ns';
      prec = 0;
    } else if (u < MS) {
      unit = '\u00b5s';
      prec = 3;
    } else {
      unit = 'ms';
      prec = 6;
    }
    const f = fraction(u, prec);
    out = `${f.rest}${f.digits}${unit}`;
  } else {
    const f = fraction(u, 9);
    u = f.rest;
    out = `${u % 60n}${f.digits}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}
