// Compressing a layer while it is written, with both digests taken on the way: diff_id
// over the tar, the blob digest over what is stored.
//
// gzip runs on every core: the tar is cut into 1 MiB blocks, each compressed as a gzip
// member of its own on libuv's thread pool (node:zlib's async gzip), written in order. A
// series of gzip members is one valid gzip file (RFC 1952 2.2; Go's gzip.Reader, GNU gzip
// and node:zlib read it whole), as pigz -i and Go's pgzip make. Deterministic: the same tar
// gives the same blob (node:zlib writes mtime 0). Measured (bench/gzip.mjs, bench/RESULTS.md
// "Parallel gzip"): 1.1-1.6x a single node:zlib stream, with a test suite on the other core.
// zstd: Node 20 has no zstd encoder; the system `zstd` runs beside us (-T0: all cores).
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { HxError } from '../errors.js';
import { findInPath } from '../host/which.js';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

export interface WrittenBlob {
  /** sha256 of the blob as stored. */
  digest: string;
  /** sha256 of the tar. */
  diffId: string;
  size: number;
  compressedSize: number;
  compression: LayerCompression;
}

export interface CompressOptions {
  compression?: LayerCompression;
  /** gzip level (default 6, gzip's and docker's) or zstd level (default 3). */
  level?: number;
  /** gzip blocks compressed at once (default 4: libuv's thread pool). */
  inFlight?: number;
}

const gzipAsync = promisify(zlib.gzip) as (b: Buffer, o: zlib.ZlibOptions) => Promise<Buffer>;
const BLOCK = 1 << 20;

/** gzip members of 1 MiB blocks of INPUT, several compressed at once, yielded in order. */
export async function* parallelGzip(input: AsyncIterable<Buffer> | Iterable<Buffer>, level = 6, inFlight = 4): AsyncGenerator<Buffer> {
  const pending: Promise<Buffer>[] = [];
  let parts: Buffer[] = [];
  let len = 0;
  const cut = (n: number): Buffer => {
    const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts, len);
    const block = all.subarray(0, n);
    const rest = all.subarray(n);
    parts = rest.length ? [rest] : [];
    len = rest.length;
    return block;
  };
  for await (const chunk of input) {
    parts.push(chunk);
    len += chunk.length;
    while (len >= BLOCK) {
      pending.push(gzipAsync(cut(BLOCK), { level }));
      if (pending.length >= inFlight) yield await pending.shift()!;
    }
  }
  if (len > 0 || pending.length === 0) pending.push(gzipAsync(cut(len), { level }));
  while (pending.length) yield await pending.shift()!;
}

async function* zstdOf(input: AsyncIterable<Buffer> | Iterable<Buffer>, level: number): AsyncGenerator<Buffer> {
  const bin = findInPath('zstd');
  if (!bin) throw new HxError('zstd compression needs the `zstd` program, which is not installed', { kind: 'unavailable', hint: 'install it (apt install zstd) or use gzip' });
  const child = spawn(bin, ['-c', '-q', '-T0', `-${level}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new HxError(`zstd failed: ${stderr.trim() || `exit ${code}`}`, { kind: 'unavailable' }))));
  });
  const feeding = pipeline(Readable.from(input), child.stdin);
  for await (const chunk of child.stdout) yield chunk as Buffer;
  await feeding;
  await closed;
}

async function* hashed(input: Iterable<Buffer> | AsyncIterable<Buffer>, hash: ReturnType<typeof createHash>, count: { n: number }): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    hash.update(chunk);
    count.n += chunk.length;
    yield chunk;
  }
}

/** Write TAR (its chunks) to FILE compressed as OPTS says; both digests and sizes. */
export async function writeCompressed(tar: Iterable<Buffer> | AsyncIterable<Buffer>, file: string, opts: CompressOptions = {}): Promise<WrittenBlob> {
  const compression = opts.compression ?? 'gzip';
  const tarHash = createHash('sha256');
  const blobHash = createHash('sha256');
  const tarCount = { n: 0 };
  const blobCount = { n: 0 };
  const plain = hashed(tar, tarHash, tarCount);
  const packed =
    compression === 'gzip' ? parallelGzip(plain, opts.level ?? 6, opts.inFlight ?? 4) : compression === 'zstd' ? zstdOf(plain, opts.level ?? 3) : plain;
  const out = compression === 'none' ? packed : hashed(packed, blobHash, blobCount);
  await pipeline(Readable.from(out), createWriteStream(file, { mode: 0o600 }));
  const diffId = `sha256:${tarHash.digest('hex')}`;
  return {
    diffId,
    digest: compression === 'none' ? diffId : `sha256:${blobHash.digest('hex')}`,
    size: tarCount.n,
    compressedSize: compression === 'none' ? tarCount.n : blobCount.n,
    compression,
  };
}
