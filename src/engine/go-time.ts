// Go's time.ParseDuration and moby's GetTimestamp/ParseTimestamps (api/types/time), which
// docker's `until` filters and --since/--until flags accept: a Go duration back from now
// ("10m", "1h30m"), an RFC 3339 date or part of one ("2006-01-02", "2006-01-02T15:04",
// "...Z", "...+07:00"), or Unix seconds ("1136073600.000000001").
import { HxError } from '../errors.js';

const quote = (s: string): string => `"${s}"`;

function durationError(message: string): HxError {
  return new HxError(message, { kind: 'invalid-argument', hint: 'a Go duration is a number and a unit (ns, us, ms, s, m, h), e.g. 90s, 1h30m' });
}

const UNITS: ReadonlyMap<string, number> = new Map([
  ['ns', 1], ['us', 1e3], ['µs', 1e3], ['μs', 1e3], ['ms', 1e6], ['s', 1e9], ['m', 60e9], ['h', 3600e9],
]);

/** time.ParseDuration, in nanoseconds. */
export function parseGoDuration(text: string): number {
  let s = text;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw durationError(`time: invalid duration ${quote(text)}`);
  let total = 0;
  while (s !== '') {
    const m = /^(\d*)(\.(\d*))?/.exec(s)!;
    const pre = m[1]!;
    const post = m[3];
    if (pre === '' && !post) throw durationError(`time: invalid duration ${quote(text)}`);
    s = s.slice(m[0].length);
    let i = 0;
    while (i < s.length && s[i] !== '.' && !(s[i]! >= '0' && s[i]! <= '9')) i++;
    if (i === 0) throw durationError(`time: missing unit in duration ${quote(text)}`);
    const unitName = s.slice(0, i);
    s = s.slice(i);
    const unit = UNITS.get(unitName);
    if (unit === undefined) throw durationError(`time: unknown unit ${quote(unitName)} in duration ${quote(text)}`);
    total += Number(`${pre || '0'}.${post ?? '0'}`) * unit;
    if (total > 2 ** 63) throw durationError(`time: invalid duration ${quote(text)}`);
  }
  return neg ? -total : total;
}

// ---- time.Parse for the layouts GetTimestamp uses ----

interface Parsed {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  /** Offset east of UTC in minutes, when the value names one. */
  offset: number | undefined;
}

class LayoutError extends Error {}

function cannotParse(value: string, layout: string, rest: string, elem: string): never {
  throw new LayoutError(`parsing time ${quote(value)} as ${quote(layout)}: cannot parse ${quote(rest)} as ${quote(elem)}`);
}

const ELEMENTS = ['2006', '01', '02', '15', '04', '05', '.999999999', 'Z07:00'];

/** time.Parse with a layout made of 2006 01 02 15 04 05 .999999999 Z07:00 and literals. */
function parseLayout(layout: string, value: string): Parsed {
  const t: Parsed = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, nanos: 0, offset: undefined };
  let l = 0;
  let v = value;
  const num = (fixed: boolean, elem: string): number => {
    if (!/^\d/.test(v)) cannotParse(value, layout, v, elem);
    const len = /^\d\d/.test(v) ? 2 : fixed ? cannotParse(value, layout, v, elem) : 1;
    const n = Number(v.slice(0, len));
    v = v.slice(len);
    return n;
  };
  while (l < layout.length) {
    const elem = ELEMENTS.find((e) => layout.startsWith(e, l));
    if (!elem) {
      if (v[0] !== layout[l]) cannotParse(value, layout, v, layout.slice(l));
      v = v.slice(1);
      l++;
      continue;
    }
    l += elem.length;
    switch (elem) {
      case '2006':
        if (!/^\d{4}/.test(v)) cannotParse(value, layout, v, elem);
        t.year = Number(v.slice(0, 4));
        v = v.slice(4);
        break;
      case '01':
        t.month = num(true, elem);
        if (t.month < 1 || t.month > 12) throw new LayoutError(`parsing time ${quote(value)}: month out of range`);
        break;
      case '02':
        t.day = num(true, elem);
        break;
      case '15':
        t.hour = num(false, elem);
        if (t.hour > 23) throw new LayoutError(`parsing time ${quote(value)}: hour out of range`);
        break;
      case '04':
        t.minute = num(true, elem);
        if (t.minute > 59) throw new LayoutError(`parsing time ${quote(value)}: minute out of range`);
        break;
      case '05': {
        t.second = num(true, elem);
        if (t.second > 59) throw new LayoutError(`parsing time ${quote(value)}: second out of range`);
        // a fraction may follow the seconds even when the layout has none
        const frac = /^[.,](\d+)/.exec(v);
        if (frac && !layout.startsWith('.9', l)) {
          t.nanos = Number(frac[1]!.slice(0, 9).padEnd(9, '0'));
          v = v.slice(frac[0].length);
        }
        break;
      }
      case '.999999999': {
        const frac = /^[.,](\d+)/.exec(v);
        if (frac) {
          t.nanos = Number(frac[1]!.slice(0, 9).padEnd(9, '0'));
          v = v.slice(frac[0].length);
        }
        break;
      }
      case 'Z07:00': {
        if (v[0] === 'Z') {
          t.offset = 0;
          v = v.slice(1);
          break;
        }
        const m = /^([+-])(\d\d):(\d\d)/.exec(v);
        if (!m) cannotParse(value, layout, v, elem);
        t.offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
        v = v.slice(m[0].length);
        break;
      }
    }
  }
  if (v !== '') throw new LayoutError(`parsing time ${quote(value)}: extra text: ${quote(v)}`);
  const daysIn = new Date(Date.UTC(t.year, t.month, 0)).getUTCDate();
  if (t.day < 1 || t.day > daysIn) throw new LayoutError(`parsing time ${quote(value)}: day out of range`);
  return t;
}

/** A point in time with Go's nanosecond part. */
export interface Timestamp {
  seconds: number;
  nanos: number;
}

export function timestampDate(t: Timestamp): Date {
  return new Date(t.seconds * 1000 + Math.floor(t.nanos / 1e6));
}

function timestampError(message: string): HxError {
  return new HxError(message, { kind: 'invalid-argument', hint: 'give a duration (10m, 2h), a date (2006-01-02, 2006-01-02T15:04:05Z) or Unix seconds' });
}

/**
 * moby's GetTimestamp then ParseTimestamps: VALUE as a duration before NOW, a (partial)
 * RFC 3339 time (in NOW's zone offset when it has none), or Unix seconds.
 */
export function parseTimestamp(value: string, now: Date = new Date()): Timestamp {
  if (value !== '0') {
    let d: number | undefined;
    try {
      d = parseGoDuration(value);
    } catch {
      d = undefined;
    }
    if (d !== undefined) return { seconds: Math.floor((now.getTime() - d / 1e6) / 1000), nanos: 0 };
  }
  const inLocation = !(/[zZ+]/.test(value) || value.split('-').length - 1 === 3);
  let layout: string;
  if (value.includes('.')) layout = inLocation ? '2006-01-02T15:04:05.999999999' : '2006-01-02T15:04:05.999999999Z07:00';
  else if (value.includes('T')) {
    let colons = value.split(':').length - 1;
    // a +hh:mm offset has a colon of its own
    if (!inLocation && !/[zZ]/.test(value) && colons > 0) colons--;
    const time = colons === 0 ? '2006-01-02T15' : colons === 1 ? '2006-01-02T15:04' : '2006-01-02T15:04:05';
    layout = inLocation ? time : time + 'Z07:00';
  } else layout = inLocation ? '2006-01-02' : '2006-01-02Z07:00';
  try {
    const p = parseLayout(layout, value);
    const offset = p.offset ?? -now.getTimezoneOffset();
    const utc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) / 1000 - offset * 60;
    return { seconds: utc, nanos: p.nanos };
  } catch (e) {
    if (!(e instanceof LayoutError)) throw e;
    if (value.includes('-')) throw timestampError(e.message);
  }
  const m = /^(-?\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) throw timestampError(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
  const frac = m[2] ?? '';
  // nanoseconds however many digits were given (ParseTimestamps)
  const nanos = frac === '' ? 0 : Math.floor(Number(frac) * 10 ** (9 - frac.length));
  return { seconds: Number(m[1]), nanos };
}
