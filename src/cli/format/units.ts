// docker's human units (github.com/docker/go-units, pkg/stringid) and Go's time.Time
// String(), for the values docker's list commands print.
import { sprintf } from './gofmt.js';

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

function sizeAndUnit(size: number, base: number, units: readonly string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

/** units.HumanSizeWithPrecision: decimal units, PRECISION significant digits ("4.26MB" at 3, and Go's %g quirks: "1e+03kB"). */
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  const [size, unit] = sizeAndUnit(bytes, 1000, DECIMAL);
  return sprintf('%.*g%s', [precision, size, unit]);
}

/** units.HumanSize ("2.746MB") and BytesSize ("3.42GiB"): docker-syntax's, one implementation. */
export { bytesSize, humanSize } from '../../engine/docker-syntax/units.js';

export { humanDuration } from '../../engine/docker-syntax/units.js';
import { humanDuration } from '../../engine/docker-syntax/units.js';

/** docker images' CreatedSince: "2 weeks ago". */
export function timeAgo(then: Date | number | string, now: Date | number = Date.now()): string {
  return `${humanDuration(toMs(now) - toMs(then))} ago`;
}

function toMs(t: Date | number | string): number {
  return t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : t;
}

/** docker's stringutils.Ellipsis: at most N characters, the last one "…". */
export function ellipsis(s: string, n: number): string {
  const chars = [...s];
  return chars.length > n ? chars.slice(0, n - 1).join('') + '…' : s;
}

/** stringid.TruncateID: drop an algorithm prefix ("sha256:"), keep 12 characters. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  if (colon >= 0) id = id.slice(colon + 1);
  return id.length > 12 ? id.slice(0, 12) : id;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

const formats = new Map<string, Intl.DateTimeFormat>(); // a DateTimeFormat takes ~0.1 ms to make

function dateParts(ms: number, locale: string, timeZone: string | undefined): Record<string, string> {
  const key = `${locale} ${timeZone ?? ''}`;
  let fmt = formats.get(key);
  if (!fmt) formats.set(key, (fmt = new Intl.DateTimeFormat(locale, {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    timeZoneName: 'short',
  })));
  return Object.fromEntries(fmt.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
}

/**
 * Go's time.Time.String() of T in TIMEZONE (default: the local zone):
 * "2023-01-05 17:50:01 +0100 CET", fractional seconds only when there are any.
 * The zone abbreviation is the one Intl knows; where it has none, Go's numeric form ("+0530").
 */
export function goTimeString(t: Date | number | string, timeZone?: string): string {
  const ms = toMs(t);
  const parts = dateParts(ms, 'en-US', timeZone);
  const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  const offsetMin = Math.round((local - (ms - (((ms % 1000) + 1000) % 1000))) / 60000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const offset = `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
  // en-US names American zones only; en-GB, en-IN and en-AU know CET, BST, IST, AEST...
  let zone = parts.timeZoneName ?? '';
  for (const locale of ['en-GB', 'en-IN', 'en-AU']) if (/^(GMT|UTC)[+-]/.test(zone)) zone = dateParts(ms, locale, timeZone).timeZoneName ?? zone;
  if (/^(GMT|UTC)[+-]/.test(zone)) zone = abs % 60 === 0 ? `${sign}${pad2(Math.floor(abs / 60))}` : offset.replace(':', '');
  const frac = ((ms % 1000) + 1000) % 1000;
  const fraction = frac ? '.' + String(frac).padStart(3, '0').replace(/0+$/, '') : '';
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}${fraction} ${offset} ${zone}`;
}
