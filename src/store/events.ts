// The store's event log (`hx events`): what docker's daemon keeps in memory, hx, having no
// daemon, appends to <store>/events.jsonl, one JSON line per event in moby's events.Message
// shape. Every writer (the engine's commands, the C monitor of a detached container)
// appends with O_APPEND in one write, so concurrent writers never interleave inside a
// line. The file is rotated to events.1.jsonl past ROTATE_BYTES; readers read both.
//
// timeNano is an int64 that a JS number cannot hold: lines keep it as written and
// readers take it from the text as a bigint.
import { appendFileSync, closeSync, fstatSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const EVENTS_FILE = 'events.jsonl';
export const ROTATED_EVENTS_FILE = 'events.1.jsonl';
const ROTATE_BYTES = 4 << 20;

export type EventType = 'container' | 'image' | 'volume' | 'network' | 'builder';

export interface EventActor {
  ID: string;
  Attributes: Record<string, string>;
}

/** moby's events.Message (status/id/from: the deprecated fields it still sends for containers and images). */
export interface EngineEvent {
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: EventActor;
  scope: 'local';
  time: number;
  timeNano: bigint;
}

export interface NewEvent {
  Type: EventType;
  Action: string;
  Actor: EventActor;
}

let lastNano = 0n;

/** Now in nanoseconds, strictly increasing within this process. */
export function nowNano(): bigint {
  const wall = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  lastNano = wall > lastNano ? wall : lastNano + 1n;
  return lastNano;
}

/** One line of the log, as moby marshals a Message. */
export function eventLine(e: NewEvent, nano: bigint = nowNano()): string {
  const legacy: Record<string, string> = {};
  if (e.Type === 'container' || e.Type === 'image') {
    legacy.status = e.Action;
    legacy.id = e.Actor.ID;
    if (e.Actor.Attributes.image !== undefined && e.Type === 'container') legacy.from = e.Actor.Attributes.image;
  }
  const head = JSON.stringify({ ...legacy, Type: e.Type, Action: e.Action, Actor: e.Actor, scope: 'local', time: Number(nano / 1_000_000_000n) });
  return `${head.slice(0, -1)},"timeNano":${nano}}\n`;
}

/** A line read back (undefined: not an event, e.g. a torn line after a full disk). */
export function parseEventLine(line: string): EngineEvent | undefined {
  const m = /,"timeNano":(\d+)\}$/.exec(line);
  if (!m) return undefined;
  try {
    const e = JSON.parse(line) as Omit<EngineEvent, 'timeNano'>;
    if (typeof e.Type !== 'string' || typeof e.Action !== 'string' || typeof e.Actor?.ID !== 'string') return undefined;
    return { ...e, Actor: { ID: e.Actor.ID, Attributes: e.Actor.Attributes ?? {} }, timeNano: BigInt(m[1]!) };
  } catch {
    return undefined;
  }
}

export class EventLog {
  readonly path: string;
  readonly rotatedPath: string;

  constructor(readonly dir: string) {
    this.path = join(dir, EVENTS_FILE);
    this.rotatedPath = join(dir, ROTATED_EVENTS_FILE);
  }

  /**
   * Append one event. Never throws: an event lost to a full disk must not fail the
   * command that made it (docker's daemon drops events for slow readers likewise).
   */
  append(e: NewEvent): void {
    try {
      appendFileSync(this.path, eventLine(e), { mode: 0o600 });
      if (statSync(this.path).size > ROTATE_BYTES) renameSync(this.path, this.rotatedPath);
    } catch {
      /* see above */
    }
  }
}

/** Reads complete lines of one log file from an offset, reopening the path when it was rotated. */
export class EventReader {
  private fd: number | undefined;
  private ino = -1;
  private offset = 0;
  private partial: Buffer = Buffer.alloc(0);

  constructor(readonly path: string) {
    this.open();
  }

  private open(): void {
    try {
      this.fd = openSync(this.path, 'r');
      this.ino = fstatSync(this.fd).ino;
      this.offset = 0;
      this.partial = Buffer.alloc(0);
    } catch {
      this.fd = undefined;
    }
  }

  skipToEnd(): void {
    if (this.fd !== undefined) this.offset = fstatSync(this.fd).size;
  }

  /** The events appended since the last read. */
  read(): EngineEvent[] {
    const events = this.drain();
    // rotated (or created since): the rest of the old file was drained, now the new one
    let ino = -1;
    try {
      ino = statSync(this.path).ino;
    } catch {
      /* not there yet */
    }
    if (ino !== -1 && ino !== this.ino) {
      this.close();
      this.open();
      events.push(...this.drain());
    }
    return events;
  }

  private drain(): EngineEvent[] {
    if (this.fd === undefined) return [];
    const chunks: Buffer[] = [this.partial];
    for (;;) {
      const buf = Buffer.allocUnsafe(1 << 16);
      const n = readSync(this.fd, buf, 0, buf.length, this.offset);
      if (n <= 0) break;
      this.offset += n;
      chunks.push(buf.subarray(0, n));
    }
    // split on bytes: a chunk may end inside a multi-byte character
    const data = Buffer.concat(chunks);
    const end = data.lastIndexOf(0x0a);
    this.partial = Buffer.from(data.subarray(end + 1));
    const events: EngineEvent[] = [];
    for (const line of data.toString('utf8', 0, end + 1).split('\n')) {
      const e = line ? parseEventLine(line) : undefined;
      if (e) events.push(e);
    }
    return events;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
