// Reading a container's json-file log (written by native/monitor/logs.c): ctr.log and
// its rotated predecessors ctr.log.1 (newer) ... ctr.log.N (older), one JSON record per
// line: {"log":"...","stream":"stdout|stderr","time":RFC3339Nano}. Records are handed
// out with their stream kept, optionally the last N only, between two times, and, when
// following, as they are appended (also across a rotation or a truncation).
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface LogRecord {
  stream: 'stdout' | 'stderr';
  /** The bytes the container wrote (a line with its newline, or the last piece without). */
  log: Buffer;
  /** As written: RFC 3339 with up to nine fraction digits, UTC. */
  time: string;
}

export interface LogReadOptions {
  /** Only the last N records (undefined: all). */
  tail?: number;
  /** Nanoseconds since the epoch: records before SINCE are skipped, after UNTIL end the read. */
  since?: bigint;
  until?: bigint;
  /** Keep reading as records are appended, until DONE says the writer has finished. */
  follow?: { done(): boolean; pollMs?: number; signal?: AbortSignal };
}

const CHUNK = 1 << 20;

/** Nanoseconds since the epoch of a record's time. */
export function logTimeNanos(time: string): bigint {
  const m = /^(.*?T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(time);
  if (!m) return 0n;
  const secs = BigInt(Math.floor(Date.parse(`${m[1]}Z`) / 1000));
  return secs * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

/** docker's RFC3339NanoFixed: always nine fraction digits. */
export function fixedNanoTime(time: string): string {
  const m = /^(.*?T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(time);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : time;
}

/** The log files of DIR, oldest first. */
export function logFiles(dir: string): string[] {
  const base = join(dir, 'ctr.log');
  const rotated: string[] = [];
  for (let i = 1; i < 1000; i++) {
    try {
      statSync(`${base}.${i}`);
    } catch {
      break;
    }
    rotated.push(`${base}.${i}`);
  }
  return [...rotated.reverse(), base];
}

function parseRecord(line: Buffer): LogRecord | undefined {
  if (line.length === 0) return undefined;
  try {
    const r = JSON.parse(line.toString('utf8')) as { log?: unknown; stream?: unknown; time?: unknown };
    if (typeof r.log !== 'string' || typeof r.time !== 'string') return undefined;
    return { stream: r.stream === 'stderr' ? 'stderr' : 'stdout', log: Buffer.from(r.log, 'utf8'), time: r.time };
  } catch {
    return undefined; // a torn last line of a killed monitor, or damage: skipped
  }
}

/** Where the last N records of FILES begin: [file index, byte offset]. Counted from the
 * end: the first newline closes the last record, the (N+1)th the one before the N. */
function tailStart(files: string[], n: number): [number, number] {
  const last = files.length - 1;
  if (n <= 0) return [last, sizeOf(files[last]!)];
  let need = n;
  const buf = Buffer.alloc(64 * 1024);
  for (let f = last; f >= 0; f--) {
    let fd: number;
    try {
      fd = openSync(files[f]!, 'r');
    } catch {
      continue;
    }
    try {
      let count = 0;
      for (let end = fstatSync(fd).size; end > 0;) {
        const start = Math.max(0, end - buf.length);
        const got = readSync(fd, buf, 0, end - start, start);
        for (let i = got - 1; i >= 0; i--) {
          if (buf[i] === 0x0a && ++count === need + 1) return [f, start + i + 1];
        }
        end = start;
      }
      need -= count;
      if (need <= 0) return [f, 0];
    } finally {
      closeSync(fd);
    }
  }
  return [0, 0];
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/** Hand the records of DIR's log to EMIT (batched per call), as OPTIONS say. */
export async function readLog(dir: string, o: LogReadOptions, emit: (records: LogRecord[]) => void): Promise<void> {
  const files = logFiles(dir);
  let [index, offset] = o.tail !== undefined ? tailStart(files, o.tail) : [0, 0];
  let stopped = false;
  const take = (batch: LogRecord[], line: Buffer): void => {
    const rec = parseRecord(line);
    if (!rec) return;
    if (o.since !== undefined || o.until !== undefined) {
      const t = logTimeNanos(rec.time);
      if (o.since !== undefined && t < o.since) return;
      if (o.until !== undefined && t > o.until) {
        stopped = true;
        return;
      }
    }
    batch.push(rec);
  };
  // the rotated files, whole (they do not change any more)
  for (; index < files.length - 1 && !stopped; index++, offset = 0) {
    offset = await readFrom(files[index]!, offset, take, emit, () => stopped);
  }
  if (stopped) return;
  // the live file: read to its end, then (following) wait for more
  const live = files[files.length - 1]!;
  let fd: number | undefined;
  let rest: Buffer = Buffer.alloc(0);
  const buf = Buffer.alloc(CHUNK);
  try {
    for (;;) {
      if (fd === undefined) {
        try {
          fd = openSync(live, 'r');
        } catch {
          if (!o.follow || o.follow.done()) return;
          await sleep(o.follow.pollMs ?? 100, o.follow.signal);
          continue;
        }
      }
      const got = readSync(fd, buf, 0, buf.length, offset);
      if (got > 0) {
        offset += got;
        const data = rest.length ? Buffer.concat([rest, buf.subarray(0, got)]) : buf.subarray(0, got);
        const batch: LogRecord[] = [];
        let start = 0;
        for (let nl = data.indexOf(0x0a); nl >= 0 && !stopped; nl = data.indexOf(0x0a, start)) {
          take(batch, data.subarray(start, nl));
          start = nl + 1;
        }
        rest = Buffer.from(data.subarray(start));
        if (batch.length) emit(batch);
        if (stopped) return;
        continue;
      }
      if (!o.follow || o.follow.signal?.aborted) return;
      // at the end: rotated (the path is a new file) or truncated (max-file=1)?
      const mine = fstatSync(fd);
      let now: ReturnType<typeof statSync> | undefined;
      try {
        now = statSync(live);
      } catch {
        now = undefined;
      }
      if (now && (now.ino !== mine.ino || now.dev !== mine.dev)) {
        closeSync(fd);
        fd = undefined;
        offset = 0;
        rest = Buffer.alloc(0);
        continue;
      }
      if (mine.size < offset) {
        offset = 0;
        rest = Buffer.alloc(0);
        continue;
      }
      if (o.follow.done()) {
        // the writer has finished: one more read catches what it wrote last
        const last = readSync(fd, buf, 0, buf.length, offset);
        if (last > 0) continue;
        return;
      }
      await sleep(o.follow.pollMs ?? 100, o.follow.signal);
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A whole file from OFFSET; returns the offset reached. */
async function readFrom(path: string, offset: number, take: (batch: LogRecord[], line: Buffer) => void, emit: (r: LogRecord[]) => void, stopped: () => boolean): Promise<number> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 0; // rotated away while we looked
  }
  const buf = Buffer.alloc(CHUNK);
  let rest: Buffer = Buffer.alloc(0);
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, offset);
      if (got <= 0) break;
      offset += got;
      const data = rest.length ? Buffer.concat([rest, buf.subarray(0, got)]) : buf.subarray(0, got);
      const batch: LogRecord[] = [];
      let start = 0;
      for (let nl = data.indexOf(0x0a); nl >= 0 && !stopped(); nl = data.indexOf(0x0a, start)) {
        take(batch, data.subarray(start, nl));
        start = nl + 1;
      }
      rest = Buffer.from(data.subarray(start));
      if (batch.length) emit(batch);
      if (stopped()) break;
    }
    if (rest.length && !stopped()) {
      const batch: LogRecord[] = [];
      take(batch, rest);
      if (batch.length) emit(batch);
    }
  } finally {
    closeSync(fd);
  }
  return offset;
}
