// flock(2)-based locks on files that are never deleted (store.lock): the file is opened
// (created if need be) and locked; the kernel drops the lock when the process dies, so a
// killed command never leaves the store locked. Temp-dir locks, whose files come and go,
// follow their own protocol (temp.ts).
import { closeSync, openSync } from 'node:fs';
import { HxError } from '../errors.js';
import { flock, LOCK } from '../sys/libc.js';

export class FileLock {
  private fd: number | undefined;
  constructor(readonly path: string) {}

  /** Take the lock, waiting without blocking the event loop. */
  async acquire(exclusive = true, signal?: { aborted: boolean }): Promise<void> {
    if (this.fd !== undefined) throw new HxError(`lock ${this.path} already held`, { kind: 'internal' });
    const fd = openSync(this.path, 'a', 0o600);
    const op = (exclusive ? LOCK.EX : LOCK.SH) | LOCK.NB;
    let wait = 2;
    try {
      while (!flock(fd, op)) {
        if (signal?.aborted) throw new HxError(`aborted while waiting for ${this.path}`, { kind: 'cancelled' });
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 50);
      }
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.fd = fd;
  }

  /** Take the lock if nobody holds it (synchronous callers: the orphan sweep). */
  tryAcquire(exclusive = true): boolean {
    if (this.fd !== undefined) throw new HxError(`lock ${this.path} already held`, { kind: 'internal' });
    const fd = openSync(this.path, 'a', 0o600);
    try {
      if (!flock(fd, (exclusive ? LOCK.EX : LOCK.SH) | LOCK.NB)) {
        closeSync(fd);
        return false;
      }
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.fd = fd;
    return true;
  }

  release(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd); // closing the last fd drops the flock
    this.fd = undefined;
  }

  get held(): boolean {
    return this.fd !== undefined;
  }

  /** The locked descriptor, for a child process to inherit: a flock belongs to the open file,
   * so the lock then lasts until both this holder releases it and that child exits. */
  get descriptor(): number | undefined {
    return this.fd;
  }
}

export async function withLock<T>(path: string, body: (lock: FileLock) => Promise<T> | T, exclusive = true): Promise<T> {
  const lock = new FileLock(path);
  await lock.acquire(exclusive);
  try {
    return await body(lock);
  } finally {
    lock.release();
  }
}
