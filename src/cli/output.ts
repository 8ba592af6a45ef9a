// Writing to the user's stdout and stderr without Node's stream objects (creating
// process.stdout costs ~3 ms, and a TTY stream loads node:tty and node:net): synchronous
// writes to the fd, waiting when it is a non-blocking pipe that is full.
import { fstatSync, writeSync } from 'node:fs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export interface Output {
  write(text: string | Uint8Array): void;
  /** Is it a terminal (progress bars, column widths)? */
  readonly isTTY: boolean;
  readonly columns: number;
}

/** A terminal by its device number (tty 4, console/ptmx 5, pts 136-143): fstat, no node:tty. */
export function fdIsTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    const major = (st.rdev >> 8) & 0xfff;
    return major === 4 || major === 5 || (major >= 136 && major <= 143);
  } catch {
    return false;
  }
}

export class FdOutput implements Output {
  private tty: boolean | undefined;
  constructor(readonly fd: number) {}

  write(text: string | Uint8Array): void {
    const buf = typeof text === 'string' ? Buffer.from(text) : text;
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(sleeper, 0, 0, 1);
          continue;
        }
        if (code === 'EPIPE') return; // the reader went away (`| head`): nothing more to say
        throw e;
      }
    }
  }

  get isTTY(): boolean {
    this.tty ??= fdIsTerminal(this.fd);
    return this.tty;
  }

  get columns(): number {
    const env = Number(process.env.COLUMNS);
    if (Number.isInteger(env) && env > 0) return env;
    if (!this.isTTY) return 80;
    const s = this.fd === 1 ? process.stdout : this.fd === 2 ? process.stderr : undefined;
    return (s as NodeJS.WriteStream | undefined)?.columns || 80;
  }
}
