// Sizes and resource numbers as docker reads them: go-units size.go (RAMInBytes,
// FromHumanSize, HumanSize, BytesSize), docker CLI opts (MemBytes, MemSwapBytes, NanoCPUs,
// ThrottleDevice, WeightDevice) and moby's daemon checks (verifyPlatformContainerResources,
// adaptContainerSettings). Messages checked against `docker run` 28.2 on this machine.
import { UsageError } from '../../errors.js';
import type { ThrottleDevice } from '../../moby/resources.js';
import { goParseFloat, goParseInt, goParseUint } from './go.js';

const KB = 1000;
const KiB = 1024;
const DECIMAL: Record<string, number> = { k: KB, m: KB ** 2, g: KB ** 3, t: KB ** 4, p: KB ** 5 };
const BINARY: Record<string, number> = { k: KiB, m: KiB ** 2, g: KiB ** 3, t: KiB ** 4, p: KiB ** 5 };

function sizeError(message: string): UsageError {
  return new UsageError(message, 'use a number with an optional unit: b, k, m, g, t or p (e.g. 512m, 1.5g)');
}

/**
 * go-units parseSize: a number, an optional space, then an optional unit of one letter
 * (k m g t p, any case), optionally followed by "b" or "ib"; "b" alone means bytes. The
 * number is a Go float (1.5, 1e3, 0x1p4), never negative; the result is truncated.
 */
function parseSize(text: string, units: Record<string, number>): number {
  let sep = -1;
  for (let i = text.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(text[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep < 0) throw sizeError(`invalid size: '${text}'`);
  const num = text[sep] === ' ' ? text.slice(0, sep) : text.slice(0, sep + 1);
  let sfx = text.slice(sep + 1);
  let size: number;
  try {
    size = goParseFloat(num);
  } catch (e) {
    throw sizeError((e as Error).message);
  }
  if (size < 0) throw sizeError(`invalid size: '${text}'`);
  if (sfx === '') return Math.trunc(size);
  const bad = (): UsageError => sizeError(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw bad();
    return Math.trunc(size);
  }
  const mul = units[sfx[0]!];
  if (mul === undefined) throw bad();
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw bad();
  return Math.trunc(size * mul);
}

/** go-units RAMInBytes: binary units (1k = 1024). `--memory`, `--shm-size`, `--device-read-bps`. */
export function ramInBytes(text: string): number {
  return parseSize(text, BINARY);
}

/** go-units FromHumanSize: decimal units (1k = 1000). json-file's max-size. */
export function fromHumanSize(text: string): number {
  return parseSize(text, DECIMAL);
}

const DECIMAL_ABBRS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_ABBRS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** Go's %.4g: four significant digits, trailing zeros dropped, exponent form when large. */
function formatG4(v: number): string {
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 4) {
    const [m, e] = v.toExponential(3).split('e');
    const mant = m!.includes('.') ? m!.replace(/0+$/, '').replace(/\.$/, '') : m!;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = halfEven4(v, exp);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** V to four significant digits as Go's %g rounds: an exact tie goes to the even digit
 * (toPrecision rounds it up: 72.625 -> "72.63", Go "72.62"). */
function halfEven4(v: number, exp: number): string {
  const s = v.toPrecision(4);
  const frac = 3 - exp;
  if (frac < 0 || v < 0) return s;
  const exact = v.toFixed(Math.min(100, frac + 80)); // exact: sizes / 1024^k have few binary digits
  const point = exact.indexOf('.');
  if (!/^50*$/.test(exact.slice(point + 1 + frac))) return s;
  const kept = frac === 0 ? exact.slice(0, point) : exact.slice(0, point + 1 + frac);
  return Number(kept.at(-1)) % 2 === 0 ? kept : s;
}

function scaled(size: number, base: number, abbrs: string[]): string {
  let i = 0;
  while (size >= base && i < abbrs.length - 1) {
    size /= base;
    i++;
  }
  return `${formatG4(size)}${abbrs[i]}`;
}

/** go-units HumanSize: "2.746MB", "796kB" (decimal, four significant digits). */
export function humanSize(bytes: number): string {
  return scaled(bytes, 1000, DECIMAL_ABBRS);
}

/** go-units BytesSize: "44KiB", "17MiB" (binary, four significant digits). */
export function bytesSize(bytes: number): string {
  return scaled(bytes, 1024, BINARY_ABBRS);
}

/** docker CLI MemSwapBytes: "-1" is unlimited swap, anything else RAMInBytes. */
export function parseMemorySwap(text: string): number {
  return text === '-1' ? -1 : ramInBytes(text);
}

/** moby linuxMinMemory: 6 MiB, the smallest --memory and --memory-reservation. */
export const MIN_MEMORY = 6 * 1024 * 1024;

export interface MemoryLimits {
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
}

/**
 * moby verifyPlatformContainerResources, the memory checks that do not depend on the
 * kernel (those only warn). `update` is `docker update`, which may set swap alone.
 */
export function validateMemory(r: MemoryLimits, update = false): void {
  const memory = r.memory ?? 0;
  const swap = r.memorySwap ?? 0;
  const reservation = r.memoryReservation ?? 0;
  const hint = 'see `docker run --help`: --memory, --memory-swap, --memory-reservation';
  if (memory !== 0 && memory < MIN_MEMORY) throw new UsageError('Minimum memory limit allowed is 6MB', 'use --memory 6m or more');
  if (memory > 0 && swap > 0 && swap < memory) throw new UsageError('Minimum memoryswap limit should be larger than memory limit, see usage', hint);
  if (memory === 0 && swap > 0 && !update) throw new UsageError('You should always set the Memory limit when using Memoryswap limit, see usage', hint);
  if (reservation > 0 && reservation < MIN_MEMORY) throw new UsageError('Minimum memory reservation allowed is 6MB', 'use --memory-reservation 6m or more');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw new UsageError('Minimum memory limit can not be less than memory reservation limit, see usage', hint);
  }
}

/** moby adaptContainerSettings: --memory without --memory-swap allows as much swap again. */
export function defaultMemorySwap(memory: number, memorySwap: number): number {
  return memory > 0 && memorySwap === 0 ? memory * 2 : memorySwap;
}

// ---- CPUs ----

interface Rational {
  num: bigint;
  den: bigint;
}

function scanInt(s: string, allowOctalZero: boolean): bigint | undefined {
  let base = 10;
  let digits = s;
  const prefix = /^0([bBoOxX])/.exec(s);
  if (prefix) {
    base = { b: 2, o: 8, x: 16 }[prefix[1]!.toLowerCase() as 'b' | 'o' | 'x'];
    digits = s.slice(2).replace(/^_/, '');
  } else if (allowOctalZero && s.length > 1 && s[0] === '0') {
    base = 8;
    digits = s.slice(1).replace(/^_/, '');
  }
  if (!/^[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*$/.test(digits)) return undefined;
  let v = 0n;
  for (const c of digits.replaceAll('_', '')) {
    const d = Number.parseInt(c, 16);
    if (d >= base) return undefined;
    v = v * BigInt(base) + BigInt(d);
  }
  return v;
}

/** The forms of Go's big.Rat SetString that docker's --cpus accepts: "1.5", "3/2", "1e-3", "0x1p-2". */
function parseRational(s: string): Rational | undefined {
  let sign = 1n;
  let body = s;
  if (body[0] === '+' || body[0] === '-') {
    if (body[0] === '-') sign = -1n;
    body = body.slice(1);
  }
  const slash = body.indexOf('/');
  if (slash >= 0) {
    const a = scanInt(body.slice(0, slash), true);
    const b = scanInt(body.slice(slash + 1), true);
    if (a === undefined || b === undefined || b === 0n) return undefined;
    return { num: sign * a, den: b };
  }
  const m = /^(0[bBoOxX])?([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?(?:([eEpP])([+-]?[0-9]+))?$/.exec(body);
  if (!m) return undefined;
  const prefix = m[1]?.toLowerCase();
  const base = prefix === '0b' ? 2n : prefix === '0o' ? 8n : prefix === '0x' ? 16n : 10n;
  const intPart = m[2]!.replaceAll('_', '');
  const fracPart = (m[3] ?? '').replaceAll('_', '');
  if (intPart === '' && fracPart === '') return undefined;
  // Without a prefix, e is the only exponent; hex digits include e, so hex needs p.
  if (base === 10n && /[a-fA-F]/.test(intPart + fracPart)) return undefined;
  if (m[4] && base === 16n && m[4].toLowerCase() === 'e') return undefined;
  let num = 0n;
  for (const c of intPart + fracPart) {
    const d = BigInt(Number.parseInt(c, 16));
    if (d >= base) return undefined;
    num = num * base + d;
  }
  let den = base ** BigInt(fracPart.length);
  if (m[4]) {
    const exp = BigInt(m[5]!);
    const expBase = m[4].toLowerCase() === 'p' ? 2n : 10n;
    if (exp >= 0n) num *= expBase ** exp;
    else den *= expBase ** -exp;
  }
  return { num: sign * num, den };
}

/**
 * docker CLI ParseCPUs (`--cpus`): a rational number of CPUs times 1e9, which must come
 * out whole ("value is too precise" below a nano-CPU). 1.5 -> 1500000000.
 */
export function parseNanoCpus(text: string): bigint {
  const r = parseRational(text);
  if (!r) throw new UsageError(`failed to parse ${text} as a rational number`, 'use a number of CPUs such as 1.5 or 0.25');
  const nano = r.num * 1_000_000_000n;
  if (nano % r.den !== 0n) throw new UsageError('value is too precise', 'use at most nine decimals (one nano-CPU)');
  return BigInt.asIntN(64, nano / r.den);
}

/** moby: NanoCPUs must lie within what the host has ("range of CPUs is from 0.01 to 2.00, ..."). */
export function validateNanoCpus(nanoCpus: bigint, hostCpus: number): void {
  if (nanoCpus !== 0n && (nanoCpus < 0n || nanoCpus > BigInt(hostCpus) * 1_000_000_000n)) {
    throw new UsageError(`range of CPUs is from 0.01 to ${hostCpus}.00, as there are only ${hostCpus} CPUs available`,
      `use --cpus between 0.01 and ${hostCpus}`);
  }
}

/** `--cpu-shares`/`-c`: a Go int64 (pflag Int64). */
export function parseCpuShares(text: string): bigint {
  try {
    return goParseInt(text, 64);
  } catch (e) {
    throw new UsageError((e as Error).message, 'use a whole number; 1024 is the default weight');
  }
}

/** moby linuxMinCPUShares / linuxMaxCPUShares (the kernel's cpu.shares range). */
export const CPU_SHARES_MIN = 2;
export const CPU_SHARES_MAX = 262144;

/**
 * moby WithAdjustCPUShares: a positive value outside 2..262144 is moved inside with a
 * warning (docker's text); 0 means unset and negatives are left to the runtime.
 */
export function adjustCpuShares(shares: number): { shares: number; warning?: string } {
  if (shares <= 0) return { shares };
  if (shares < CPU_SHARES_MIN) return { shares: CPU_SHARES_MIN, warning: `Changing requested CPUShares of ${shares} to minimum allowed of ${CPU_SHARES_MIN}` };
  if (shares > CPU_SHARES_MAX) return { shares: CPU_SHARES_MAX, warning: `Changing requested CPUShares of ${shares} to maximum allowed of ${CPU_SHARES_MAX}` };
  return { shares };
}

/** runc's cgroup v2 conversion of cpu.shares (2..262144) to cpu.weight (1..10000). */
export function cpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** `--blkio-weight`: a Go uint16 (pflag Uint16); 0 means unset. */
export function parseBlkioWeight(text: string): number {
  try {
    return Number(goParseUint(text, 16));
  } catch (e) {
    throw new UsageError((e as Error).message, 'use a weight from 10 to 1000');
  }
}

/** moby: a set blkio weight lies within 10..1000. */
export function validateBlkioWeight(weight: number): void {
  if (weight > 0 && (weight < 10 || weight > 1000)) throw new UsageError('Range of blkio weight is from 10 to 1000', 'use a weight from 10 to 1000');
}

// ---- block devices ----

export type { ThrottleDevice };

export interface WeightDevice {
  Path: string;
  Weight: number;
}

function devicePath(value: string): [path: string, rest: string] {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new UsageError(`bad format: ${value}`, 'use DEVICE:VALUE, e.g. /dev/sda:1mb');
  const path = value.slice(0, colon);
  if (!path.startsWith('/dev/')) throw new UsageError(`bad format for device path: ${value}`, 'name the device by its /dev/ path');
  return [path, value.slice(colon + 1)];
}

/** docker CLI ValidateThrottleBpsDevice: `--device-read-bps /dev/sda:1mb` (binary units). */
export function parseThrottleBpsDevice(value: string): ThrottleDevice {
  const [path, rate] = devicePath(value);
  let bytes: number;
  try {
    bytes = ramInBytes(rate);
  } catch {
    bytes = -1;
  }
  if (bytes < 0) {
    throw new UsageError(
      `invalid rate for device: ${value}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`,
      'e.g. /dev/sda:1mb');
  }
  return { Path: path, Rate: bytes };
}

/** docker CLI ValidateThrottleIOpsDevice: `--device-read-iops /dev/sda:1000`. */
export function parseThrottleIOpsDevice(value: string): ThrottleDevice {
  const [path, rate] = devicePath(value);
  let iops: bigint | undefined;
  try {
    iops = goParseUint(rate, 64);
  } catch {
    iops = undefined;
  }
  if (iops === undefined) {
    throw new UsageError(`invalid rate for device: ${value}. The correct format is <device-path>:<number>. Number must be a positive integer`, 'e.g. /dev/sda:1000');
  }
  return { Path: path, Rate: Number(iops) };
}

/** docker CLI ValidateWeightDevice: `--blkio-weight-device /dev/sda:200` (10..1000, or 0). */
export function parseWeightDevice(value: string): WeightDevice {
  const [path, w] = devicePath(value);
  let weight: number | undefined;
  try {
    weight = Number(goParseUint(w, 16));
  } catch {
    weight = undefined;
  }
  if (weight === undefined || (weight > 0 && (weight < 10 || weight > 1000))) {
    throw new UsageError(`invalid weight for device: ${value}`, 'use a weight from 10 to 1000');
  }
  return { Path: path, Weight: weight };
}

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Go's math.Round: halves away from zero. */
const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));

/**
 * units.HumanDuration of MS milliseconds: "Less than a second", "1 second", "About a minute",
 * "3 minutes", "About an hour", "4 hours", "3 days", "2 weeks", "2 months", "2 years";
 * hours and longer units rounded to the nearest (go-units duration_test.go).
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND_MS);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / MINUTE_MS);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = roundHalfAway(ms / HOUR_MS);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${roundHalfAway(ms / DAY_MS)} days`;
  if (hours < 24 * 30 * 2) return `${roundHalfAway(ms / (7 * DAY_MS))} weeks`;
  if (hours < 24 * 365 * 2) return `${roundHalfAway(ms / (30 * DAY_MS))} months`;
  return `${roundHalfAway(ms / (365 * DAY_MS))} years`;
}

