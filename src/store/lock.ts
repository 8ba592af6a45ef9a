// flock(2)-based locks. A lock file is opened and locked; the kernel drops the lock when
// the process dies, so a killed command never leaves the store locked.
import { closeSync, openSync } from 'node:fs';
import { flock, LOCK } from '../sys/libc.js';

export class FileLock {
  private fd: number | undefined;
  constructor(readonly path: string) {}

  /** Take the lock, waiting without blocking the event loop. */
  async acquire(exclusive = true, signal?: { aborted: boolean }): Promise<void> {
    if (this.fd !== undefined) throw new Error(`lock ${this.path} already held`);
    const fd = openSync(this.path, 'a', 0o600);
    const op = (exclusive ? LOCK.EX : LOCK.SH) | LOCK.NB;
    let wait = 2;
    try {
      while (!flock(fd, op)) {
        if (signal?.aborted) throw new Error('aborted while waiting for a lock');
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 50);
      }
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.fd = fd;
  }

  /** Take the lock only if nobody holds it. */
  tryAcquire(exclusive = true): boolean {
    const fd = openSync(this.path, 'a', 0o600);
    if (!flock(fd, (exclusive ? LOCK.EX : LOCK.SH) | LOCK.NB)) {
      closeSync(fd);
      return false;
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
}

export async function withLock<T>(path: string, body: () => Promise<T> | T, exclusive = true): Promise<T> {
  const lock = new FileLock(path);
  await lock.acquire(exclusive);
  try {
    return await body();
  } finally {
    lock.release();
  }
}
