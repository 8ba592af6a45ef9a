// Ingest one layer blob: read -> sha256 of the blob (digest) and optional copy to the
// blob store -> decompress -> sha256 of the tar (diff_id) -> a worker thread that parses
// the tar and writes the entries (apply.ts). Inflate runs on libuv's pool, hashing on
// this thread, parsing and file writes on the worker: the three overlap on two cores.
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { hxRoot } from '../sys/install.js';
import type { ApplyOptions, ApplyStats } from './apply.js';
import { LayerError } from './apply.js';
import { decompressor, detectCompression, type Compression } from './decompress.js';

export interface IngestOptions {
  /** The blob's bytes, as stored in the archive or registry. */
  source: Readable;
  /** Copy the blob bytes to this new file while reading (for the blob store). */
  blobFile?: string;
  /** Options of the writer; root must be an existing empty dir. Absent: only hash (and copy). */
  apply?: ApplyOptions;
}

export interface IngestResult {
  digest: string;
  diffId: string;
  compressedSize: number;
  size: number;
  compression: Compression;
  via: string;
  stats: ApplyStats;
}

const MAX_IN_FLIGHT = 16 << 20;

export function workerScript(): string {
  return join(hxRoot(), 'dist', 'layer', 'apply-worker.js');
}

/** The message of a failure inside the pipeline, with the stage named. */
function describe(stage: string, e: unknown): LayerError {
  if (e instanceof LayerError) return e;
  const err = e as NodeJS.ErrnoException;
  if (stage === 'gzip') return new LayerError(`corrupt gzip data (${err.message})`);
  if (stage === 'zstd') return new LayerError(`corrupt zstd data (${err.message})`);
  return new LayerError(err.message);
}

export async function ingestLayer(o: IngestOptions): Promise<IngestResult> {
  const hashC = createHash('sha256');
  const hashU = createHash('sha256');
  let compressedSize = 0;
  let size = 0;
  const blobFd = o.blobFile ? openSync(o.blobFile, 'wx', 0o600) : undefined;

  const worker = o.apply ? new Worker(workerScript(), { workerData: o.apply }) : undefined;
  let inFlight = 0;
  let failure: LayerError | undefined;
  let wake: (() => void) | undefined;
  const kick = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const workerDone = new Promise<ApplyStats>((resolve, reject) => {
    if (!worker) return resolve(emptyStats());
    worker.on('message', (m: { ack?: number; done?: ApplyStats; error?: { name: string; message: string; code?: string } }) => {
      if (m.ack !== undefined) {
        inFlight -= m.ack;
        if (inFlight < MAX_IN_FLIGHT / 2) kick();
      } else if (m.done) {
        resolve(m.done);
      } else if (m.error) {
        const e = m.error;
        reject(new LayerError(e.name === 'LayerError' ? e.message : `${e.message}`));
      }
    });
    worker.on('error', (e) => reject(new LayerError(`layer writer crashed: ${e.message}`)));
    worker.on('exit', (code) => reject(new LayerError(`layer writer exited (${code})`)));
  });
  workerDone.catch((e: LayerError) => {
    failure ??= e;
    kick();
  });

  let compression: Compression = 'none';
  let via = 'none';
  try {
    let dec: ReturnType<typeof decompressor> | undefined;
    let head: Buffer | undefined;
    let decError: unknown;
    const toWorker = (chunk: Buffer): void => {
      hashU.update(chunk);
      size += chunk.length;
      if (!worker) return;
      const copy = new Uint8Array(chunk.length);
      copy.set(chunk);
      inFlight += copy.length;
      worker.postMessage({ chunk: copy }, [copy.buffer]);
    };
    const waitWorker = async (): Promise<void> => {
      while (inFlight >= MAX_IN_FLIGHT && !failure) await new Promise<void>((r) => (wake = r));
    };
    let decEnded: Promise<void> = Promise.resolve();
    const startDecoder = (first: Buffer): void => {
      compression = detectCompression(first);
      dec = decompressor(compression);
      via = dec.via;
      const stream = dec.stream;
      decEnded = new Promise<void>((resolve) => {
        // Hash and hand over on a later turn, not inside zlib's callback: zlib queues its next
        // inflate on the thread pool only after this handler returns, so work done here would
        // serialize with inflate instead of overlapping it. (zlib never rewrites a chunk it
        // emitted: later output goes to later offsets or a new buffer.)
        const pending: Buffer[] = [];
        let scheduled = false;
        const drain = (): void => {
          scheduled = false;
          for (const d of pending.splice(0)) toWorker(d);
          if (inFlight >= MAX_IN_FLIGHT && !stream.isPaused()) {
            stream.pause();
            waitWorker().then(() => stream.resume());
          }
        };
        stream.on('data', (d: Buffer) => {
          pending.push(d);
          if (!scheduled) {
            scheduled = true;
            setImmediate(drain);
          }
        });
        stream.on('end', () => {
          if (pending.length) drain();
        });
        stream.on('end', () => resolve());
        stream.on('error', (e) => {
          decError = e;
          failure ??= describe(compression, e);
          kick();
          resolve();
        });
      });
    };
    const feed = async (chunk: Buffer): Promise<void> => {
      const s = dec!.stream;
      if (!s.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            s.off('drain', done);
            s.off('close', done);
            clearInterval(t);
            resolve();
          };
          s.on('drain', done);
          s.on('close', done);
          const t = setInterval(() => failure && done(), 50);
        });
      }
    };
    for await (const raw of o.source) {
      if (failure) break;
      const chunk = raw as Buffer;
      hashC.update(chunk);
      compressedSize += chunk.length;
      if (blobFd !== undefined) {
        let off = 0;
        while (off < chunk.length) off += writeSync(blobFd, chunk, off, chunk.length - off);
      }
      if (!dec) {
        head = head ? Buffer.concat([head, chunk]) : chunk;
        if (head.length < 6) continue;
        startDecoder(head);
        await feed(head);
        head = undefined;
        continue;
      }
      await feed(chunk);
    }
    if (!failure) {
      if (!dec) startDecoder(head ?? Buffer.alloc(0));
      if (head) await feed(head);
      dec!.stream.end();
      await decEnded;
    }
    if (failure) throw failure;
    if (decError) throw describe(compression, decError);
    worker?.postMessage({ end: true });
    const stats = await workerDone;
    return {
      digest: `sha256:${hashC.digest('hex')}`,
      diffId: `sha256:${hashU.digest('hex')}`,
      compressedSize,
      size,
      compression,
      via,
      stats,
    };
  } catch (e) {
    o.source.destroy();
    throw describe(compression, failure ?? e);
  } finally {
    await worker?.terminate();
    if (blobFd !== undefined) closeSync(blobFd);
  }
}

function emptyStats(): ApplyStats {
  return {
    entries: 0, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, whiteouts: 0, opaques: 0,
    devicesSkipped: 0, chownSkipped: 0, xattrsSkipped: 0, bytes: 0, notes: [],
  };
}
