// One blob download: streamed into a temp file with its digest computed as bytes arrive,
// resumed with Range after a dropped connection, verified, then published into the blob
// store. A reader can follow the file while it grows (tail), so a layer is applied while
// it is still downloading and later layers download meanwhile.
import { createHash, type Hash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { HxError } from '../../errors.js';
import { BLOB_ALGORITHMS, checkDigest } from '../descriptor.js';
import type { RepositoryClient } from './client.js';
import { DigestMismatchError } from './errors.js';
import { classifyNetworkError, TransientError, withRetries, type HttpResponse } from './http.js';
import { refuseManifest } from './manifest.js';

export interface DownloadProgress {
  written: number;
  total: number;
}

/**
 * Events: 'grow' (bytes were written), 'progress' (DownloadProgress, at most every 100 ms), 'retry' (TransientError, delayMs, attempt),
 * 'done' (verified, in `file` or published), 'failed' (Error).
 */
export class BlobDownload extends EventEmitter {
  written = 0;
  finished = false;
  error: Error | undefined;
  private lastEmit = 0;
  private aborted: Error | undefined;
  private current: { destroy(e?: Error): void } | undefined;

  constructor(
    readonly repo: RepositoryClient,
    readonly digest: string,
    readonly total: number,
    /** The temp file to write (created here). */
    readonly file: string,
    private readonly retries: { retries: number; maxDelayMs: number },
  ) {
    super();
    this.setMaxListeners(0);
    // parseManifest refused other algorithms already; this keeps Node's "Digest method not supported" out for good.
    checkDigest(digest, `${repo.name} blob`, refuseManifest, BLOB_ALGORITHMS);
    // Exists from the start so a follower can open it before the first byte arrives.
    closeSync(openSync(file, 'w', 0o600));
  }

  /** Stop: the running attempt fails with `reason` and no retry follows. */
  abort(reason: Error): void {
    this.aborted ??= reason;
    this.current?.destroy(reason);
  }

  /** Download and verify. Rejects with the reason; `finished`/`error` tell followers. */
  async run(): Promise<void> {
    const fd = openSync(this.file, 'r+');
    const [algorithm] = this.digest.split(':') as [string];
    const hash = createHash(algorithm);
    try {
      await withRetries(this.retries, () => {
        if (this.aborted) throw this.aborted;
        return this.attempt(fd, hash);
      }, (e, delayMs, n) => this.emit('retry', e, delayMs, n));
      if (this.aborted) throw this.aborted;
      const actual = `${algorithm}:${hash.digest('hex')}`;
      if (actual !== this.digest) throw new DigestMismatchError(`${this.repo.name} blob ${this.digest}`, this.digest, actual);
      this.finished = true;
      this.emit('progress', { written: this.written, total: this.total });
      this.emit('done');
    } catch (e) {
      this.error = e as Error;
      this.emit('failed', e);
      throw e;
    } finally {
      closeSync(fd);
    }
  }

  /** One GET from the current offset. Bytes we already have are skipped if the server ignores Range. */
  private async attempt(fd: number, hash: Hash): Promise<void> {
    const res = await this.repo.openBlob(this.digest, this.written);
    if (this.aborted) {
      res.body.destroy();
      throw this.aborted;
    }
    this.current = res.body;
    let skip = 0;
    if (res.status === 206) {
      const m = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
      const start = m ? Number(m[1]) : -1;
      if (start !== this.written) {
        res.body.destroy();
        throw new HxError(`${this.repo.name} answered a range request for ${this.digest} from byte ${start}, not ${this.written}`);
      }
    } else {
      skip = this.written;
    }
    try {
      for await (const raw of res.body as AsyncIterable<Buffer>) {
        let chunk = raw;
        if (skip > 0) {
          const drop = Math.min(skip, chunk.length);
          skip -= drop;
          chunk = chunk.subarray(drop);
          if (chunk.length === 0) continue;
        }
        if (this.written + chunk.length > this.total) {
          res.body.destroy();
          throw new HxError(`${this.repo.name} sent more than the ${this.total} bytes the manifest gives for ${this.digest}`, {
            hint: 'the registry or a proxy altered the data; nothing of it was kept',
          });
        }
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off, this.written + off);
        hash.update(chunk);
        this.written += chunk.length;
        this.emit('grow');
        const now = Date.now();
        if (now - this.lastEmit >= 100) {
          this.lastEmit = now;
          this.emit('progress', { written: this.written, total: this.total });
        }
      }
    } catch (e) {
      if (this.aborted) throw this.aborted;
      throw classifyNetworkError(e, res.url);
    } finally {
      this.current = undefined;
    }
    if (this.written < this.total) {
      throw new TransientError(`connection to ${res.url.host} ended after ${this.written} of ${this.total} bytes of ${this.digest}`);
    }
  }
}

/**
 * A stream of a download's bytes from the start, following the temp file as it grows;
 * ends only once the download is verified, errors if it fails.
 */
export class DownloadFollower extends Readable {
  private fd: number | undefined;
  private pos = 0;
  private waiting = false;

  constructor(private readonly download: BlobDownload) {
    super({ highWaterMark: 1 << 20 });
    // Opened now, synchronously: the file may be renamed into the store later; the fd stays valid.
    this.fd = openSync(download.file, 'r');
  }

  override _read(size: number): void {
    if (this.fd === undefined) return;
    const d = this.download;
    if (this.pos < d.written) {
      const want = Math.min(Math.max(size, 1 << 20), d.written - this.pos);
      const buf = Buffer.allocUnsafe(want);
      const n = readSync(this.fd, buf, 0, want, this.pos);
      this.pos += n;
      this.push(n === want ? buf : buf.subarray(0, n));
      return;
    }
    if (d.error) {
      this.destroy(d.error);
      return;
    }
    if (d.finished) {
      this.push(null);
      return;
    }
    if (this.waiting) return;
    this.waiting = true;
    const wake = (): void => {
      d.off('grow', wake);
      d.off('done', wake);
      d.off('failed', wake);
      this.waiting = false;
      this._read(size);
    };
    d.on('grow', wake);
    d.on('done', wake);
    d.on('failed', wake);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    callback(error);
  }
}

/**
 * A blob straight off the wire, no file: one GET, its bytes counted and hashed as they
 * pass; the stream fails (instead of ending) when they are more or fewer than SIZE or do
 * not hash to DIGEST. For sources read once (a validator, a copy); pulls use BlobDownload.
 */
export function blobStream(repo: RepositoryClient, digest: string, size: number): Readable {
  checkDigest(digest, `${repo.name} blob`, refuseManifest, BLOB_ALGORITHMS);
  const hash = createHash(digest.split(':')[0]!);
  let seen = 0;
  let body: HttpResponse['body'] | undefined;
  const out = new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > size) {
        cb(new HxError(`${repo.name} sent more than the ${size} bytes the manifest gives for ${digest}`, { kind: 'data' }));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      if (seen !== size) {
        cb(new TransientError(`connection ended after ${seen} of ${size} bytes of ${digest}`));
        return;
      }
      const actual = `${digest.split(':')[0]}:${hash.digest('hex')}`;
      cb(actual === digest ? null : new DigestMismatchError(`${repo.name} blob ${digest}`, digest, actual));
    },
    destroy(e, cb) {
      body?.destroy();
      cb(e);
    },
  });
  repo.openBlob(digest, 0).then(
    (res) => {
      body = res.body;
      if (out.destroyed) {
        res.body.destroy();
        return;
      }
      res.body.on('error', (e) => out.destroy(classifyNetworkError(e, res.url)));
      res.body.pipe(out);
    },
    (e: Error) => out.destroy(e),
  );
  return out;
}
