// `-t`: the container's terminal. The child opens a pty in the container's own devpts (so
// `tty` inside says /dev/pts/0) and hands the master here. This side copies the user's
// keystrokes in (raw mode: Ctrl-C travels as a byte and the container's line discipline
// turns it into SIGINT), copies output out, and keeps the window size in step.
import { writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { getWinsize, setWinsize } from '../sys/spawn.js';

export interface TerminalIO {
  /** The user's terminal input, when -i (a TTY stream gets raw mode). */
  input?: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  output: NodeJS.WritableStream & { columns?: number; rows?: number };
}

export class TerminalSession {
  private readonly master: ReadStream;
  private rawSet = false;
  private closed = false;
  /** Resolves when the container side of the terminal is gone and all output is copied. */
  readonly drained: Promise<void>;
  private readonly onInput = (chunk: Buffer | string) => this.write(chunk);
  private readonly restoreOnExit = () => this.restore();

  constructor(
    private readonly fd: number,
    private readonly io: TerminalIO,
  ) {
    this.resize();
    this.master = new ReadStream(fd);
    this.drained = new Promise<void>((resolve) => {
      const done = () => resolve();
      this.master.on('end', done);
      this.master.on('close', done);
      // Reading a master whose slave side is closed gives EIO: that is the end of output.
      this.master.on('error', done);
    });
    this.master.on('data', (chunk: Buffer) => io.output.write(chunk));
    const input = io.input;
    if (input) {
      if (input.isTTY && input.setRawMode) {
        input.setRawMode(true);
        this.rawSet = true;
        process.on('exit', this.restoreOnExit);
      }
      input.on('data', this.onInput);
      input.resume();
    }
  }

  private write(chunk: Buffer | string): void {
    if (this.closed) return;
    try {
      writeSync(this.fd, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    } catch {
      /* the container closed its side: input has nowhere to go */
    }
  }

  /** Copy the user's window size to the container's terminal (SIGWINCH reaches it). */
  resize(): void {
    let { columns, rows } = this.io.output;
    if (!columns || !rows) {
      // output is not a terminal (`hx run -it ... | cat`): docker still sizes the
      // container's terminal, from the one the user types in
      const size = getWinsize(0);
      columns = size?.cols;
      rows = size?.rows;
    }
    if (this.closed || !columns || !rows) return;
    try {
      setWinsize(this.fd, rows, columns);
    } catch {
      /* gone already */
    }
  }

  /** Put the user's terminal back (safe to call more than once, from any exit path). */
  restore(): void {
    if (this.rawSet && this.io.input?.setRawMode) {
      this.io.input.setRawMode(false);
      this.rawSet = false;
    }
    process.off('exit', this.restoreOnExit);
  }

  /** Stop copying, restore the terminal, release the master. */
  close(): void {
    this.restore();
    if (this.closed) return;
    this.closed = true;
    const input = this.io.input;
    if (input) {
      input.off('data', this.onInput);
      input.pause();
    }
    this.master.destroy(); // closes the fd
  }
}
