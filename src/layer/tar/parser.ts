// The streaming tar parser: push chunks of any size, get entries and their data through a
// sink, with memory bounded by the largest header chain (never by file size).
import { Writable } from 'node:stream';
import { BLOCK, MAX_CHAIN_SIZE, ScanStatus, TarErrorCode, padOf } from './constants.js';
import { tarEndError } from './errors.js';
import type { HeaderScanner, ScanResult } from './scanner.js';
import { TsHeaderScanner } from './scan-ts.js';
import { WasmHeaderScanner } from './scan-wasm.js';
import type { TarEntry } from './types.js';

export type TarEngine = 'wasm' | 'ts';

/** Engine used when none is given: the faster one on bench/tar-parse.mjs (tar of /usr, gnu and pax formats). */
export const DEFAULT_TAR_ENGINE: TarEngine = 'wasm';

export interface TarSink {
  /** A new entry. Its data (entry.size bytes, files only) follows through onData. */
  onEntry(entry: TarEntry): void;
  /**
   * The next piece of the current entry's data, in order. The Buffer shares memory with the
   * pushed chunk: copy it if you keep it after returning.
   */
  onData?(entry: TarEntry, data: Buffer): void;
  /** All of the entry's data was delivered. */
  onEntryEnd?(entry: TarEntry): void;
}

export interface TarParserOptions {
  engine?: TarEngine;
  /**
   * Accept an archive that stops at an entry boundary without the end-of-archive marker
   * (GNU tar and Go accept it; default false: hx treats it as truncated).
   */
  allowMissingEnd?: boolean;
  /** Wasm engine: bytes copied into Wasm memory per scan (default 8 MiB; small values are for tests). */
  wasmWindow?: number;
}

const enum State {
  Header,
  Data,
  Pad,
  Done,
}

export class TarStreamParser {
  private readonly sink: TarSink;
  private readonly scanner: HeaderScanner & { beginChunk?(): void };
  private readonly allowMissingEnd: boolean;
  private state = State.Header;
  /** Stream offset of the next byte pushed. */
  private offset = 0;
  private current: TarEntry | null = null;
  private dataLeft = 0;
  private padLeft = 0;
  // An incomplete header chain: carry[0, carryLen) of carryNeed bytes, starting at stream offset carryBase.
  private carry: Buffer | null = null;
  private carryLen = 0;
  private carryNeed = 0;
  private carryBase = 0;
  private ended = false;

  constructor(sink: TarSink, opts: TarParserOptions = {}) {
    this.sink = sink;
    this.scanner = (opts.engine ?? DEFAULT_TAR_ENGINE) === 'wasm' ? new WasmHeaderScanner(opts.wasmWindow) : new TsHeaderScanner();
    this.allowMissingEnd = opts.allowMissingEnd ?? false;
  }

  /** Bytes pushed so far. */
  get position(): number {
    return this.offset;
  }

  /** True once the end-of-archive marker was read (later bytes are ignored). */
  get done(): boolean {
    return this.state === State.Done;
  }

  /** Feed the next bytes of the stream. Throws TarFormatError on a format error. */
  push(chunk: Buffer): void {
    if (this.ended) throw new Error('TarStreamParser.push after end()');
    const len = chunk.length;
    const base = this.offset;
    this.scanner.beginChunk?.();
    let pos = 0;
    while (pos < len && this.state !== State.Done) {
      if (this.state === State.Data) {
        const n = Math.min(this.dataLeft, len - pos);
        this.sink.onData?.(this.current!, chunk.subarray(pos, pos + n));
        this.dataLeft -= n;
        pos += n;
        if (this.dataLeft === 0) this.finishEntry();
        continue;
      }
      if (this.state === State.Pad) {
        const n = Math.min(this.padLeft, len - pos);
        this.padLeft -= n;
        pos += n;
        if (this.padLeft === 0) this.state = State.Header;
        continue;
      }
      if (this.carry) {
        const take = Math.min(this.carryNeed - this.carryLen, len - pos);
        chunk.copy(this.carry, this.carryLen, pos, pos + take);
        this.carryLen += take;
        pos += take;
        if (this.carryLen < this.carryNeed) break;
        const carry = this.carry;
        const carryLen = this.carryLen;
        this.carry = null;
        this.scanner.beginChunk?.();
        this.consume(carry, 0, carryLen, this.carryBase);
        continue;
      }
      this.consume(chunk, pos, len, base);
      pos = len;
    }
    this.offset += len;
  }

  /** The stream ended: throws TarFormatError when the archive is truncated. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    switch (this.state) {
      case State.Done:
        return;
      case State.Data: {
        const e = this.current!;
        const missing = this.dataLeft;
        throw tarEndError(TarErrorCode.TruncatedData, e.name, e.dataOffset, `${missing} of ${e.size} bytes missing`);
      }
      case State.Pad:
        throw tarEndError(TarErrorCode.TruncatedData, this.current?.name ?? '', this.offset, 'padding missing');
      default:
        break;
    }
    if (this.carry) {
      // One zero block and then the end of the stream: accepted, as GNU tar and Go do.
      if (this.carryLen >= BLOCK && isZero(this.carry, this.carryLen)) {
        this.state = State.Done;
        return;
      }
      throw tarEndError(TarErrorCode.TruncatedHeader, '', this.carryBase);
    }
    if (this.offset === 0) throw tarEndError(TarErrorCode.Empty, '', 0);
    if (!this.allowMissingEnd) throw tarEndError(TarErrorCode.MissingEnd, '', this.offset);
    this.state = State.Done;
  }

  /** Scan buf[pos, end) for headers and deliver what is there; stops at end or in an entry's data. */
  private consume(buf: Buffer, pos: number, end: number, base: number): void {
    while (pos < end) {
      const r: ScanResult = this.scanner.scan(buf, pos, end, base);
      for (const e of r.entries) {
        this.sink.onEntry(e);
        const rel = e.dataOffset - base;
        const avail = Math.max(0, Math.min(e.size, end - rel));
        if (avail > 0) this.sink.onData?.(e, buf.subarray(rel, rel + avail));
        if (avail < e.size) {
          this.current = e;
          this.dataLeft = e.size - avail;
          this.padLeft = padOf(e.size);
          this.state = State.Data;
          return;
        }
        const pad = padOf(e.size);
        const padAvail = Math.max(0, Math.min(pad, end - rel - e.size));
        this.sink.onEntryEnd?.(e);
        pos = rel + e.size + padAvail;
        if (padAvail < pad) {
          this.current = e;
          this.padLeft = pad - padAvail;
          this.state = State.Pad;
          return;
        }
      }
      switch (r.status) {
        case ScanStatus.Error:
          throw r.error!;
        case ScanStatus.End:
          this.state = State.Done;
          return;
        case ScanStatus.Data:
          // The last entry's data was fully inside buf after all (the scanner looked at a window).
          continue;
        default:
          if (r.consumed + r.need <= end && r.consumed < end) {
            pos = r.consumed;
            continue;
          }
          if (r.consumed < end) this.startCarry(buf, r.consumed, end, r.need, base);
          return;
      }
    }
  }

  private startCarry(buf: Buffer, from: number, end: number, need: number, base: number): void {
    if (need > MAX_CHAIN_SIZE) throw new Error(`tar scanner asked for ${need} bytes`);
    this.carry = Buffer.allocUnsafe(need);
    buf.copy(this.carry, 0, from, end);
    this.carryLen = end - from;
    this.carryNeed = need;
    this.carryBase = base + from;
  }

  private finishEntry(): void {
    const e = this.current!;
    this.sink.onEntryEnd?.(e);
    this.padLeft = padOf(e.size);
    this.state = this.padLeft > 0 ? State.Pad : State.Header;
    if (this.padLeft === 0) this.current = null;
  }
}

function isZero(buf: Buffer, len: number): boolean {
  for (let i = 0; i < len; i++) if (buf[i] !== 0) return false;
  return true;
}

/** An entry with its data, from readTarBuffer. */
export interface TarEntryWithData {
  entry: TarEntry;
  /** The entry's data (a view into the given buffer). */
  data: Buffer;
}

/** Parse a whole archive held in memory (tests, small archives). */
export function readTarBuffer(buf: Buffer, opts: TarParserOptions = {}): TarEntryWithData[] {
  const out: TarEntryWithData[] = [];
  const parser = new TarStreamParser(
    {
      onEntry(entry) {
        out.push({ entry, data: buf.subarray(entry.dataOffset, entry.dataOffset + entry.size) });
      },
    },
    opts,
  );
  parser.push(buf);
  parser.end();
  return out;
}

/**
 * A Writable that feeds a TarStreamParser (for `pipeline(source, gunzip, tarWritable(sink))`).
 * Format errors and sink errors fail the stream; finishing checks for truncation.
 */
export function tarWritable(sink: TarSink, opts: TarParserOptions = {}): Writable {
  const parser = new TarStreamParser(sink, opts);
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      try {
        parser.push(chunk);
        callback();
      } catch (e) {
        callback(e as Error);
      }
    },
    final(callback) {
      try {
        parser.end();
        callback();
      } catch (e) {
        callback(e as Error);
      }
    },
  });
}
