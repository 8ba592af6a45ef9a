// --detach-keys: docker's moby/term ToBytes. "ctrl-p,ctrl-q" (the default) is two bytes;
// a key is a single character or ctrl-X with X one of a-z @ [ \ ] ^ _.
import { UsageError } from '../../errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

export function parseDetachKeys(keys: string): Buffer {
  const out: number[] = [];
  for (const raw of keys.split(',')) {
    const key = raw.trim();
    if (key.length > 1 && key.toLowerCase().startsWith('ctrl-')) {
      const c = key.slice(5).toLowerCase();
      const code = c.length === 1 ? c.charCodeAt(0) : -1;
      if (code >= 0x61 && code <= 0x7a) out.push(code - 0x60);
      else if (c.length === 1 && '@[\\]^_'.includes(c)) out.push(c.charCodeAt(0) - 0x40);
      else throw badKeys(keys);
    } else if (key.length === 1) {
      out.push(key.charCodeAt(0));
    } else throw badKeys(keys);
  }
  return Buffer.from(out);
}

function badKeys(keys: string): UsageError {
  return new UsageError(`Invalid detach keys (${keys}) provided`, 'use a comma-separated list of keys: a single character, or ctrl-a..ctrl-z, ctrl-@, ctrl-[, ctrl-\\, ctrl-], ctrl-^, ctrl-_');
}

/**
 * moby/term's escape proxy: bytes pass through until the whole SEQUENCE is typed; a
 * partial match is held back and let through as soon as it stops matching.
 */
export class EscapeFilter {
  private held = 0;
  constructor(private readonly sequence: Buffer) {}

  /** The bytes to forward, and whether the sequence was completed (then stop reading). */
  push(chunk: Buffer): { data: Buffer; escaped: boolean } {
    if (this.sequence.length === 0) return { data: chunk, escaped: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.sequence[this.held]) {
        this.held++;
        if (this.held === this.sequence.length) return { data: Buffer.from(out), escaped: true };
        continue;
      }
      for (let i = 0; i < this.held; i++) out.push(this.sequence[i]!);
      this.held = 0;
      if (b === this.sequence[0]) this.held = 1;
      else out.push(b);
    }
    return { data: Buffer.from(out), escaped: false };
  }
}
