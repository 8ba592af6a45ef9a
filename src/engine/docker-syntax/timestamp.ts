// `--since` / `--until` of `docker logs` and `docker events`: moby api/types/time
// GetTimestamp (what the client sends) and ParseTimestamps (what the daemon reads). A
// value is a Go duration before the reference time ("10m"), an RFC 3339-like timestamp
// with or without zone (a zone-less one is read in the reference's zone offset, as Go's
// time.FixedZone(reference.Zone()) does), a date, or Unix seconds with an optional
// fraction. Go's time.Parse is reproduced for docker's layouts only, with its messages.
import { UsageError } from '../../errors.js';
import { parseDuration, timeQuote } from './duration.js';
import { goParseInt, goQuote } from './go.js';

export interface TimeReference {
  /** "now" in nanoseconds since the Unix epoch */
  unixNano: bigint;
  /** the local zone's offset east of UTC at that instant, in seconds */
  zoneOffsetSeconds: number;
}

/** The reference for DATE in the host's zone (the caller reads the clock). */
export function timeReference(date: Date): TimeReference {
  return { unixNano: BigInt(date.getTime()) * 1_000_000n, zoneOffsetSeconds: -date.getTimezoneOffset() * 60 };
}

const RFC3339 = '2006-01-02T15:04:05Z07:00';
const RFC3339_NANO = '2006-01-02T15:04:05.999999999Z07:00';
const RFC3339_LOCAL = '2006-01-02T15:04:05';
const RFC3339_NANO_LOCAL = '2006-01-02T15:04:05.999999999';
const DATE_WITH_ZONE = '2006-01-02Z07:00';
const DATE_LOCAL = '2006-01-02';

type Std = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'frac9' | 'tz';
type Chunk = { literal: string } | { std: Std; text: string };

const STD_TOKENS: [string, Std][] = [
  ['2006', 'year'], ['01', 'month'], ['02', 'day'], ['15', 'hour'], ['04', 'minute'], ['05', 'second'], ['Z07:00', 'tz'],
];

function chunks(layout: string): Chunk[] {
  const out: Chunk[] = [];
  let literal = '';
  for (let i = 0; i < layout.length; ) {
    const frac = /^\.9+/.exec(layout.slice(i));
    const tok = frac ? ([frac[0], 'frac9'] as [string, Std]) : STD_TOKENS.find(([t]) => layout.startsWith(t, i));
    if (!tok) {
      literal += layout[i];
      i++;
      continue;
    }
    if (literal) out.push({ literal });
    literal = '';
    out.push({ std: tok[1], text: tok[0] });
    i += tok[0].length;
  }
  if (literal) out.push({ literal });
  return out;
}

const isDigit = (s: string, i: number): boolean => i < s.length && s[i]! >= '0' && s[i]! <= '9';

/** Go's getnum: one or two digits; FIXED demands two. */
function getnum(s: string, fixed: boolean): [number, string] | undefined {
  if (!isDigit(s, 0)) return undefined;
  if (!isDigit(s, 1)) return fixed ? undefined : [s.charCodeAt(0) - 48, s.slice(1)];
  return [(s.charCodeAt(0) - 48) * 10 + s.charCodeAt(1) - 48, s.slice(2)];
}

function parseNanos(value: string, nbytes: number): number | undefined {
  if (value[0] !== '.' && value[0] !== ',') return undefined;
  const digits = value.slice(1, Math.min(nbytes, 10));
  if (!/^[0-9]+$/.test(digits)) return undefined;
  return Number(digits) * 10 ** (9 - digits.length);
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export interface ParsedTime {
  /** seconds since the epoch (floor) */
  sec: bigint;
  /** nanoseconds within that second, 0..999999999 */
  nsec: number;
}

class TimeParseError extends Error {}

/**
 * Go's time.Parse / time.ParseInLocation for the layouts above. LOCAL_OFFSET is the zone
 * (seconds east of UTC) for values without one; Parse uses UTC.
 */
export function goParseTime(layout: string, value: string, localOffset = 0): ParsedTime {
  const fail = (layoutElem: string, valueElem: string): TimeParseError =>
    new TimeParseError(`parsing time ${timeQuote(value)} as ${timeQuote(layout)}: cannot parse ${timeQuote(valueElem)} as ${timeQuote(layoutElem)}`);
  const failMsg = (message: string): TimeParseError => new TimeParseError(`parsing time ${timeQuote(value)}${message}`);
  const list = chunks(layout);
  let rest = value;
  let year = 0;
  let month = -1;
  let day = -1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let offset: number | undefined;
  for (let ci = 0; ci < list.length; ci++) {
    const c = list[ci]!;
    if ('literal' in c) {
      if (!rest.startsWith(c.literal)) {
        // Go's skip reports the whole literal and the value from the first differing byte.
        let k = 0;
        while (k < c.literal.length && rest[k] === c.literal[k]) k++;
        throw fail(c.literal, rest.slice(k));
      }
      rest = rest.slice(c.literal.length);
      continue;
    }
    const hold = rest;
    let range = '';
    let ok = true;
    switch (c.std) {
      case 'year': {
        const p = rest.slice(0, 4);
        if (rest.length < 4 || !isDigit(rest, 0) || !/^[+-]?[0-9]+$/.test(p)) ok = false;
        else {
          year = Number(p);
          rest = rest.slice(4);
        }
        break;
      }
      case 'month':
      case 'day':
      case 'minute':
      case 'second':
      case 'hour': {
        const r = getnum(rest, c.std !== 'hour');
        if (!r) {
          ok = false;
          break;
        }
        const [v, after] = r;
        rest = after;
        if (c.std === 'month') {
          month = v;
          if (v <= 0 || v > 12) range = 'month';
        } else if (c.std === 'day') day = v;
        else if (c.std === 'hour') {
          hour = v;
          if (v >= 24) range = 'hour';
        } else if (c.std === 'minute') {
          min = v;
          if (v >= 60) range = 'minute';
        } else {
          sec = v;
          if (v >= 60) {
            range = 'second';
            break;
          }
          // A fraction in the value but not in the layout is still read.
          const next = list[ci + 1];
          const layoutHasFrac = next !== undefined && 'std' in next && next.std === 'frac9';
          if (!layoutHasFrac && rest.length >= 2 && (rest[0] === '.' || rest[0] === ',') && isDigit(rest, 1)) {
            let n = 2;
            while (n < rest.length && isDigit(rest, n)) n++;
            const ns = parseNanos(rest, n);
            if (ns === undefined) ok = false;
            else nsec = ns;
            rest = rest.slice(n);
          }
        }
        break;
      }
      case 'frac9': {
        if (rest.length < 2 || (rest[0] !== '.' && rest[0] !== ',') || !isDigit(rest, 1)) break; // omitted
        let i = 0;
        while (i + 1 < rest.length && isDigit(rest, i + 1)) i++;
        const ns = parseNanos(rest, 1 + i);
        if (ns === undefined) ok = false;
        else nsec = ns;
        rest = rest.slice(1 + i);
        break;
      }
      case 'tz': {
        if (rest[0] === 'Z') {
          rest = rest.slice(1);
          offset = 0;
          break;
        }
        if (rest.length < 6 || rest[3] !== ':') {
          ok = false;
          break;
        }
        const sign = rest[0];
        const hr = getnum(rest.slice(1, 3), true);
        const mm = hr ? getnum(rest.slice(4, 6), true) : undefined;
        rest = rest.slice(6);
        if (!hr || !mm) ok = false;
        // Go tests the ranges whatever the digits said, with > as offsets of 24h exist.
        if ((hr?.[0] ?? 0) > 24) range = 'time zone offset hour';
        if ((mm?.[0] ?? 0) > 60) range = 'time zone offset minute';
        const off = ((hr?.[0] ?? 0) * 60 + (mm?.[0] ?? 0)) * 60;
        if (sign === '+') offset = off;
        else if (sign === '-') offset = -off;
        else ok = false;
        break;
      }
    }
    if (range) throw failMsg(`: ${range} out of range`);
    if (!ok) throw fail(c.text, hold);
  }
  if (rest.length > 0) throw failMsg(`: extra text: ${timeQuote(rest)}`);
  if (month < 0) month = 1;
  if (day < 0) day = 1;
  if (day < 1 || day > daysIn(month, year)) throw failMsg(': day out of range');
  const local = BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour * 3600 + min * 60 + sec);
  return { sec: local - BigInt(offset ?? localOffset), nsec };
}

/** moby parseTimestamp: "SECONDS[.FRACTION]" (strconv.ParseInt errors). */
function parseUnixTimestamp(value: string): ParsedTime {
  const dot = value.indexOf('.');
  const s = dot < 0 ? value : value.slice(0, dot);
  const sec = goParseInt(s, 64);
  if (dot < 0) return { sec, nsec: 0 };
  const n = value.slice(dot + 1);
  const raw = goParseInt(n, 64);
  // moby scales by float: int64(float64(nsec) * 10^(9-len(n))).
  return { sec, nsec: Math.trunc(Number(raw) * 10 ** (9 - n.length)) };
}

/**
 * moby ParseTimestamps, the daemon's side: "" -> DEFAULT_SECONDS; else "SEC[.NANOS]".
 * Errors are strconv's, as the daemon returns them.
 */
export function parseTimestamps(value: string, defaultSeconds: bigint): ParsedTime {
  if (value === '') return { sec: defaultSeconds, nsec: 0 };
  try {
    return parseUnixTimestamp(value);
  } catch (e) {
    throw new UsageError((e as Error).message, 'use Unix seconds, optionally with a fraction (1700000000.5)');
  }
}

const TIMESTAMP_HINT = 'use a duration (10m), a date (2024-01-02), an RFC 3339 time (2024-01-02T15:04:05Z) or Unix seconds';

/**
 * moby GetTimestamp: VALUE as the string the client sends ("SEC" for a duration,
 * "SEC.NNNNNNNNN" for a time, a Unix timestamp unchanged).
 */
export function getTimestamp(value: string, reference: TimeReference): string {
  if (value !== '0') {
    let d: bigint | undefined;
    try {
      d = parseDuration(value);
    } catch {
      d = undefined;
    }
    if (d !== undefined) {
      const t = reference.unixNano - d;
      const secs = t >= 0n ? t / 1_000_000_000n : -((-t + 999_999_999n) / 1_000_000_000n);
      return secs.toString();
    }
  }
  const inLocation = !/[zZ+]/.test(value) && value.split('-').length - 1 !== 3;
  let layout: string;
  if (value.includes('.')) layout = inLocation ? RFC3339_NANO_LOCAL : RFC3339_NANO;
  else if (value.includes('T')) {
    let colons = value.split(':').length - 1;
    // A numeric zone (+02:00) brings one more colon than the time part has.
    if (!inLocation && !/[zZ]/.test(value) && colons > 0) colons--;
    if (inLocation) layout = colons === 0 ? '2006-01-02T15' : colons === 1 ? '2006-01-02T15:04' : RFC3339_LOCAL;
    else layout = colons === 0 ? '2006-01-02T15Z07:00' : colons === 1 ? '2006-01-02T15:04Z07:00' : RFC3339;
  } else layout = inLocation ? DATE_LOCAL : DATE_WITH_ZONE;
  try {
    const t = goParseTime(layout, value, inLocation ? reference.zoneOffsetSeconds : 0);
    return `${t.sec}.${String(t.nsec).padStart(9, '0')}`;
  } catch (e) {
    if (!(e instanceof TimeParseError)) throw e;
    // With a '-' it was meant as a date; otherwise it may be Unix seconds already.
    if (value.includes('-')) throw new UsageError(e.message, TIMESTAMP_HINT);
    try {
      parseUnixTimestamp(value);
    } catch {
      throw new UsageError(`failed to parse value as time or duration: ${goQuote(value)}`, TIMESTAMP_HINT);
    }
    return value;
  }
}

/** A --since/--until/until= value as the point in time it names, in Unix nanoseconds (the
 * client's GetTimestamp then the daemon's ParseTimestamps, as both sides of docker do). */
export function timestampNanos(value: string, now: Date): bigint {
  const t = parseTimestamps(getTimestamp(value, timeReference(now)), 0n);
  return t.sec * 1_000_000_000n + BigInt(t.nsec);
}
