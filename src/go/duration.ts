// Go's time.ParseDuration and Duration.String, which docker and buildkit inherit
// (--health-interval and its cousins, `logs --since 10m`, `until` filters, HEALTHCHECK
// --interval, restart back-off). Durations are int64 nanoseconds, held as bigint. Floor 0
// (src/go: Go's standard-library syntaxes): errors are plain GoDurationErrors with Go's
// wording, and each caller gives them its kind and hint.
export const NANOSECOND = 1n;
export const MICROSECOND = 1000n;
export const MILLISECOND = 1_000_000n;
export const SECOND = 1_000_000_000n;
export const MINUTE = 60n * SECOND;
export const HOUR = 60n * MINUTE;

const UNITS: Record<string, bigint> = {
  ns: NANOSECOND, us: MICROSECOND, 'µs': MICROSECOND, 'μs': MICROSECOND, ms: MILLISECOND, s: SECOND, m: MINUTE, h: HOUR,
};

const LIMIT = 1n << 63n;

/** package time's quote: ASCII kept (with \ and " escaped), anything else as \x bytes. */
export function timeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x80 || cp < 0x20) {
      for (const b of new TextEncoder().encode(ch)) out += `\\x${b.toString(16).padStart(2, '0')}`;
    } else {
      out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
    }
  }
  return out + '"';
}

/** The error time.ParseDuration returns, worded as Go words it (callers add the hint). */
export class GoDurationError extends Error {}

/** time.ParseDuration: "[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+", e.g. "1h30m", "-1.5s", "300ms". */
export function parseGoDuration(text: string): bigint {
  const invalid = (): GoDurationError => new GoDurationError(`time: invalid duration ${timeQuote(text)}`);
  let s = text;
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
    // leading integer
    let i = 0;
    let v = 0n;
    while (i < s.length && s[i]! >= '0' && s[i]! <= '9') {
      if (v > LIMIT / 10n) throw invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > LIMIT) throw invalid();
      i++;
    }
    const pre = i > 0;
    s = s.slice(i);
    // fraction: digits beyond int64 precision are read but ignored, as Go does
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s !== '' && s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (j < s.length && s[j]! >= '0' && s[j]! <= '9') {
        if (!overflow) {
          if (f > (LIMIT - 1n) / 10n) overflow = true;
          else {
            const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
            if (y > LIMIT) overflow = true;
            else {
              f = y;
              scale *= 10;
            }
          }
        }
        j++;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    let u = 0;
    while (u < s.length && s[u] !== '.' && !(s[u]! >= '0' && s[u]! <= '9')) u++;
    if (u === 0) throw new GoDurationError(`time: missing unit in duration ${timeQuote(text)}`);
    const unitName = s.slice(0, u);
    s = s.slice(u);
    const unit = UNITS[unitName];
    if (unit === undefined) throw new GoDurationError(`time: unknown unit ${timeQuote(unitName)} in duration ${timeQuote(text)}`);
    if (v > LIMIT / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      // Go converts through float64 here, so 1.1h is not exactly 3960 s; keep that.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > LIMIT) throw invalid();
    }
    total += v;
    if (total > LIMIT) throw invalid();
  }
  if (neg) return -total;
  if (total > LIMIT - 1n) throw invalid();
  return total;
}

/** The fraction v/10^prec without trailing zeros (".5", or "" when whole). */
function fraction(v: bigint, prec: number): [string, bigint] {
  const div = 10n ** BigInt(prec);
  const frac = (v % div).toString().padStart(prec, '0').replace(/0+$/, '');
  return [frac === '' ? '' : `.${frac}`, v / div];
}

/** Duration.String: "1h30m0s", "1.5s", "300ms", "2µs", "0s". */
export function formatGoDuration(d: bigint): string {
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < SECOND) {
    if (u === 0n) return '0s';
    if (u < MICROSECOND) out = `${u}ns`;
    else if (u < MILLISECOND) {
      const [f, whole] = fraction(u, 3);
      out = `${whole}${f}µs`;
    } else {
      const [f, whole] = fraction(u, 6);
      out = `${whole}${f}ms`;
    }
  } else {
    const [f, secs] = fraction(u, 9);
    u = secs;
    out = `${u % 60n}${f}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}
