// A build's progress as buildkit shows it. Every step is a vertex numbered in the order it
// starts: `#N [stage k/n] INSTRUCTION`, then its output (`#N 0.123 line`, the seconds since
// the step started), then `#N CACHED`, `#N DONE 0.3s` or `#N ERROR: ...`. Concurrent stages
// interleave whole lines, each prefixed with its vertex, so plain output stays readable.
//
// tty: a live view redrawn in place (each running step's header and its last lines), with
// finished steps printed above it as they end; it ends with the same step lines as plain.
// Escape codes are written only in this mode. quiet: nothing.
import { Writable } from 'node:stream';

export type ProgressMode = 'plain' | 'tty' | 'quiet';

/** What `--progress` names, as docker resolves auto: tty on a terminal, plain elsewhere. */
export function progressMode(flag: string | undefined, quiet: boolean, isTTY: boolean): ProgressMode {
  if (quiet || flag === 'quiet') return 'quiet';
  if (flag === 'plain') return 'plain';
  if (flag === 'tty') return 'tty';
  return isTTY ? 'tty' : 'plain';
}

const LIVE_LINES = 6; // of output shown per running step in the live view
const REDRAW_MS = 120;

export class BuildStep {
  readonly started = Date.now();
  readonly tail: string[] = [];
  private partial = '';
  result: string | undefined;
  /** The step's own output streams (RUN's stdout and stderr go here). */
  readonly output: Writable;

  constructor(
    private readonly progress: BuildProgress,
    readonly id: number,
    readonly label: string,
  ) {
    this.output = new Writable({
      write: (chunk: Buffer | string, _enc, done) => {
        this.take(chunk.toString());
        done();
      },
    });
  }

  private take(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  /** One line of the step's output. */
  line(text: string): void {
    const stamp = ((Date.now() - this.started) / 1000).toFixed(3);
    this.tail.push(text);
    if (this.tail.length > LIVE_LINES) this.tail.shift();
    this.progress.emit(this, `#${this.id} ${stamp} ${text}`);
  }

  private end(result: string): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
    this.result = result;
    this.progress.finish(this);
  }

  cached(): void {
    this.end('CACHED');
  }

  done(): void {
    this.end(`DONE ${((Date.now() - this.started) / 1000).toFixed(1)}s`);
  }

  failed(message: string): void {
    this.end(`ERROR: ${message}`);
  }
}

export class BuildProgress {
  private next = 0;
  private readonly running = new Set<BuildStep>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  readonly steps: BuildStep[] = [];

  constructor(
    private readonly out: Writable,
    readonly mode: ProgressMode,
    private readonly columns = 80,
  ) {}

  /** A new vertex: LABEL is "[stage k/n] INSTRUCTION" (or a message of the build itself). */
  start(label: string): BuildStep {
    const step = new BuildStep(this, ++this.next, label);
    this.steps.push(step);
    this.running.add(step);
    if (this.mode === 'plain') this.write(`#${step.id} ${label}\n`);
    else this.touch();
    return step;
  }

  /** A line of the build itself (not of a step): COMMIT, the image ID. */
  say(line: string): void {
    if (this.mode === 'quiet') return;
    if (this.mode === 'tty') this.clear();
    this.write(`${line}\n`);
    if (this.mode === 'tty') this.draw();
  }

  emit(_step: BuildStep, line: string): void {
    if (this.mode === 'plain') this.write(`${line}\n`);
    else this.touch();
  }

  finish(step: BuildStep): void {
    this.running.delete(step);
    if (this.mode === 'plain') this.write(`#${step.id} ${step.result ?? ''}\n\n`);
    else if (this.mode === 'tty') {
      // a finished step leaves the live view and is printed above it, for good
      this.clear();
      const lines = [`#${step.id} ${step.label}`];
      if (step.result?.startsWith('ERROR')) lines.push(...step.tail.map((l) => `#${step.id} ${l}`));
      lines.push(`#${step.id} ${step.result ?? ''}`);
      this.write(`${lines.map((l) => this.fit(l)).join('\n')}\n`);
      this.draw();
    }
  }

  /** Stop redrawing (at the end, or on an error). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.mode === 'tty') this.clear();
  }

  private write(text: string): void {
    this.out.write(text);
  }

  private fit(line: string): string {
    return line.length > this.columns - 1 ? `${line.slice(0, this.columns - 2)}…` : line;
  }

  private touch(): void {
    if (this.mode !== 'tty') return;
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) this.draw();
    }, REDRAW_MS);
  }

  private clear(): void {
    if (this.drawn > 0) this.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    this.dirty = false;
    this.clear();
    const lines: string[] = [];
    for (const step of this.running) {
      const secs = ((Date.now() - step.started) / 1000).toFixed(1);
      lines.push(`\x1b[1m${this.fit(`#${step.id} ${step.label}  ${secs}s`)}\x1b[0m`);
      for (const l of step.tail) lines.push(`\x1b[2m${this.fit(`  ${l}`)}\x1b[0m`);
    }
    if (lines.length) this.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
    // keep the clock of running steps moving
    if (this.running.size) this.touch();
  }
}
