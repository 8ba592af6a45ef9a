// The bench commands' one-line progress bar, and their Ctrl-C cleanup.
import type { Output } from '../output.js';

/** A one-line progress bar on a terminal (redrawn at most 10 times a second); nothing otherwise. */
export class ProgressBar {
  private last = 0;
  private shown = false;
  constructor(private readonly out: Output, private readonly enabled: boolean) {}

  update(done: number, total: number, what: string): void {
    if (!this.enabled || !this.out.isTTY) return;
    const now = Date.now();
    if (now - this.last < 100 && done < total) return;
    this.last = now;
    const width = 28;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const fill = Math.round(frac * width);
    const cols = (this.out.columns || 80) - width - 10;
    const label = what.length > cols ? `${what.slice(0, Math.max(0, cols - 1))}…` : what;
    this.out.write(`\r\x1b[K[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(Math.round(frac * 100)).padStart(3)}% ${label}`);
    this.shown = true;
  }

  line(text: string): void {
    if (!this.enabled) return;
    this.clear();
    this.out.write(`${text}\n`);
  }

  clear(): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}

/**
 * Ctrl-C and SIGTERM while a bench runs: remove the temp dir (the engine hands over its
 * cleanup), then exit 130 / 143 like a shell would report the signal.
 */
export function installInterruptCleanup(stderr: Output, bar: ProgressBar): { set(c: () => Promise<void>): void; dispose(): void } {
  let cleanup: (() => Promise<void>) | undefined;
  let fired = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (fired) return;
    fired = true;
    bar.clear();
    stderr.write(`hx: interrupted (${signal}); removing temporary files\n`);
    const code = signal === 'SIGINT' ? 130 : 143;
    (cleanup ? cleanup() : Promise.resolve()).finally(() => process.exit(code));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    set: (c) => (cleanup = c),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
