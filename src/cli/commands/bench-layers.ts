import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

/** A one-line progress bar on a terminal (redrawn at most 10 times a second); nothing otherwise. */
export class ProgressBar {
  private last = 0;
  private shown = false;
  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, private readonly enabled: boolean) {}

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
export function installInterruptCleanup(stderr: NodeJS.WritableStream, bar: ProgressBar): { set(c: () => Promise<void>): void; dispose(): void } {
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

export class BenchLayersCommand extends HxCommand {
  static override paths = [['bench', 'layers']];
  static override usage = Command.Usage({
    category: 'Benchmarks',
    description: 'Measure layer throughput stage by stage (unpack, hash, parse, write, pack), optionally against GNU tar, sha256sum, umoci and skopeo',
    details:
      'Measures each stage alone and the whole ingest pipeline on a layer: of an image in the store, a layer file (.tar, .tar.gz, .tar.zst), or a generated synthetic layer. Reports MB/s of uncompressed bytes and entries/s (median and spread over the iterations), the CPU, the storage driver and the filesystem of the work dir. Temporary files go under --dir, $TMPDIR or the store, and are removed at the end, on error and on Ctrl-C; the free space is checked before anything is written. JSON output: docs/BENCH-JSON.md.',
    examples: [
      ['A synthetic layer of small files, against the usual tools', '$0 bench layers --synthetic small-files --size 128M --compare'],
      ['Every layer of an image, as JSON', '$0 bench layers alpine --format json'],
      ['A layer file on a memory-backed dir, with a chart', '$0 bench layers --dir /dev/shm layer.tar.gz --plot layer.svg'],
    ],
  });
  input = Option.String({ name: 'IMAGE|FILE', required: false });
  synthetic = Option.String('--synthetic', { description: 'Generate a layer: small-files, large-files or mixed' });
  size = Option.String('--size', { description: 'Bytes of file data in the synthetic layer, e.g. 256M, 1G (default 256M)' });
  seed = Option.String('--seed', { description: 'Seed of the synthetic layer (same seed, same bytes; default 1)' });
  iterations = Option.String('-n,--iterations', { description: 'Timed runs of each stage (default 3)' });
  format = Option.String('--format', { description: 'json for the documented JSON (docs/BENCH-JSON.md)' });
  compare = Option.Boolean('--compare', false, { description: 'Also run GNU tar, gzip, sha256sum, umoci and skopeo (those installed) on the same files' });
  plot = Option.String('--plot', { description: 'Write a bar chart of the stage throughput to FILE.svg' });
  dir = Option.String('--dir', { description: 'Put temporary files under DIR (e.g. /dev/shm to leave the disk out)' });
  stages = Option.String('--stages', { description: 'Comma-separated stage ids to run, e.g. decompress,parse-wasm,write (default: all; a wrong id lists them)' });
  quiet = Option.Boolean('-q,--quiet', false, { description: 'No progress output' });

  async run(): Promise<number> {
    const { UsageError } = await import('../../errors.js');
    const { parseSize } = await import('../../bench/stats.js');
    if (this.format !== undefined && this.format !== 'json' && this.format !== 'table') throw new UsageError(`--format ${this.format}: use json or table`);
    const int = (flag: string, v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v)) throw new UsageError(`${flag} ${v}: give a whole number`);
      return Number(v);
    };
    let size: number | undefined;
    if (this.size !== undefined) {
      size = parseSize(this.size);
      if (size === undefined) throw new UsageError(`--size ${this.size}: give a size like 128M or 1G`);
    }
    const iterations = int('--iterations', this.iterations);
    const seed = int('--seed', this.seed);
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { benchLayers } = await import('../../engine/bench.js');
    const stderr = this.context.stderr;
    const bar = new ProgressBar(stderr as NodeJS.WriteStream, !this.quiet);
    const interrupt = installInterruptCleanup(stderr, bar);
    try {
      const result = await benchLayers(
        {
          ...(this.input !== undefined ? { input: this.input } : {}),
          ...(this.synthetic !== undefined ? { synthetic: this.synthetic } : {}),
          ...(size !== undefined ? { size } : {}),
          ...(seed !== undefined ? { seed } : {}),
          ...(iterations !== undefined ? { iterations } : {}),
          ...(this.dir !== undefined ? { dir: this.dir } : {}),
          ...(this.stages !== undefined ? { stages: this.stages.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
          compare: this.compare,
        },
        {
          onCleanup: (c) => interrupt.set(c),
          onEvent: (e) => {
            if (e.type === 'progress') bar.update(e.done, e.total, e.what);
            else if (e.type === 'layer') bar.line(`measuring ${e.label}`);
          },
        },
      );
      bar.clear();
      const { renderLayersText, renderLayersSvg } = await import('../../bench/report.js');
      if (this.plot) {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(this.plot, renderLayersSvg(result));
      }
      this.context.stdout.write(this.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderLayersText(result));
      const failed = result.layers.flatMap((l) => l.stages.filter((s) => s.status === 'failed').map((s) => `${l.label}: ${s.name}: ${s.reason}`));
      if (failed.length) {
        stderr.write(`hx: ${failed.length} stage(s) failed:\n${failed.map((f) => `  ${f}\n`).join('')}`);
        return 125;
      }
      return 0;
    } finally {
      bar.clear();
      interrupt.dispose();
    }
  }
}
