// Signal names and numbers as docker reads them: moby/sys/signal's SignalMap for Linux
// (signal_linux.go) and ParseSignal, which `docker kill -s`, `--stop-signal` and the
// image's STOPSIGNAL go through. x86_64 and aarch64 share these numbers: arm64 uses the
// asm-generic table, whose 1-31 match x86's, and docker starts the real-time range at 34
// (glibc keeps 32 and 33), ending at 64.
import { UsageError } from '../../errors.js';

export type SignalArch = 'x86_64' | 'aarch64';

export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

const STANDARD: [string, number][] = [
  ['ABRT', 6], ['ALRM', 14], ['BUS', 7], ['CHLD', 17], ['CLD', 17], ['CONT', 18], ['FPE', 8], ['HUP', 1], ['ILL', 4],
  ['INT', 2], ['IO', 29], ['IOT', 6], ['KILL', 9], ['PIPE', 13], ['POLL', 29], ['PROF', 27], ['PWR', 30], ['QUIT', 3],
  ['SEGV', 11], ['STKFLT', 16], ['STOP', 19], ['SYS', 31], ['TERM', 15], ['TRAP', 5], ['TSTP', 20], ['TTIN', 21],
  ['TTOU', 22], ['URG', 23], ['USR1', 10], ['USR2', 12], ['VTALRM', 26], ['WINCH', 28], ['XCPU', 24], ['XFSZ', 25],
];

function buildMap(): ReadonlyMap<string, number> {
  const m = new Map<string, number>(STANDARD);
  m.set('RTMIN', SIGRTMIN);
  for (let i = 1; i <= 15; i++) m.set(`RTMIN+${i}`, SIGRTMIN + i);
  for (let i = 14; i >= 1; i--) m.set(`RTMAX-${i}`, SIGRTMAX - i);
  m.set('RTMAX', SIGRTMAX);
  return m;
}

const LINUX = buildMap();

/** moby's SignalMap for ARCH: name without "SIG" -> number. */
export function signalMap(arch: SignalArch = 'x86_64'): ReadonlyMap<string, number> {
  void arch; // same table on both (see the header)
  return LINUX;
}

/** For a number, the name docker's tables use first (ABRT over IOT, CHLD over CLD, IO over POLL). */
const PREFERRED = new Map<number, string>();
for (const [name, n] of LINUX) if (!PREFERRED.has(n) && name !== 'IOT' && name !== 'CLD' && name !== 'POLL') PREFERRED.set(n, name);

/**
 * moby ParseSignal: a number (any non-zero Go int: docker does not range-check it
 * here), or a name with or without "SIG", any case: "SIGTERM", "term", "15", "RTMIN+3".
 */
export function parseSignal(raw: string, arch: SignalArch = 'x86_64'): number {
  if (/^[+-]?[0-9]+$/.test(raw)) {
    const n = Number(raw);
    if (n === 0 || !Number.isSafeInteger(n)) throw invalidSignal(raw);
    return n;
  }
  const upper = raw.toUpperCase();
  const name = upper.startsWith('SIG') ? upper.slice(3) : upper;
  const n = signalMap(arch).get(name);
  if (n === undefined) throw invalidSignal(raw);
  return n;
}

function invalidSignal(raw: string): UsageError {
  return new UsageError(`invalid signal: ${raw}`, 'use a name such as SIGTERM, TERM or RTMIN+3, or a number such as 15');
}

/** moby ValidSignalForPlatform: the number is one of the table's. */
export function validSignalForPlatform(n: number, arch: SignalArch = 'x86_64'): boolean {
  for (const v of signalMap(arch).values()) if (v === n) return true;
  return false;
}

/** The daemon's check behind `docker kill -s` (moby daemon/kill.go), returning the number. */
export function killSignal(raw: string, arch: SignalArch = 'x86_64'): number {
  const n = parseSignal(raw, arch);
  if (!validSignalForPlatform(n, arch)) {
    throw new UsageError(`the linux daemon does not support signal ${n}`, `use a signal from 1 to ${SIGRTMAX}`);
  }
  return n;
}

/** "SIGTERM" for 15, "SIGRTMIN+3" for 37; undefined outside the table. */
export function signalName(n: number, arch: SignalArch = 'x86_64'): string | undefined {
  void arch;
  const name = PREFERRED.get(n);
  return name === undefined ? undefined : `SIG${name}`;
}
