// Bytes a stage reads: held in memory when they fit the budget (so a stage measures its own
// work, not the disk), otherwise read from a file in 1 MiB chunks (from the page cache).
import { closeSync, openSync, readSync } from 'node:fs';
import { totalmem } from 'node:os';
import { setImmediate as tick } from 'node:timers/promises';

export const CHUNK = 1 << 20;

export interface ByteSource {
  size: number;
  memory?: Buffer;
  file?: string;
}

/** How many bytes of layer data a bench keeps in memory at most (HX_BENCH_MEMORY overrides, for tests). */
export function memoryBudget(): number {
  const forced = Number(process.env.HX_BENCH_MEMORY);
  if (Number.isSafeInteger(forced) && forced >= 0 && process.env.HX_BENCH_MEMORY !== '') return forced;
  return Math.min(2 * 1024 ** 3, Math.floor(totalmem() / 4));
}

/**
 * The bytes of SRC in chunks of up to CHUNK. From memory the chunks are views; from a file
 * one buffer is reused, so consume each chunk before asking for the next.
 */
export function* chunksOf(src: ByteSource, chunk = CHUNK): Generator<Buffer> {
  if (src.memory) {
    for (let off = 0; off < src.memory.length; off += chunk) yield src.memory.subarray(off, Math.min(off + chunk, src.memory.length));
    return;
  }
  if (!src.file) throw new Error('byte source has neither memory nor file');
  const fd = openSync(src.file, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunk);
    for (;;) {
      const n = readSync(fd, buf, 0, chunk, null);
      if (n === 0) break;
      yield buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Lets a long synchronous loop give the event loop a turn now and then (so Ctrl-C is
 * handled promptly) without costing measurable time: at most once per 100 ms.
 */
export class Yielder {
  private last = performance.now();
  async maybe(): Promise<void> {
    const now = performance.now();
    if (now - this.last < 100) return;
    await tick();
    this.last = performance.now();
  }
}
