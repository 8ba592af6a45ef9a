import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class BenchRunCommand extends HxCommand {
  static override paths = [['bench', 'run']];
  static override usage = Command.Usage({
    category: 'Benchmarks',
    description: 'Measure container start-to-exit latency of `hx run --rm`, with where the time goes, optionally against podman, runc and crun',
    details:
      'Runs `hx run --rm IMAGE [CMD]` N times (after warm-up runs), timed from outside, and splits each run into phases: launcher, Node start, store lookup, mount, network, spawn, exec, teardown. The image defaults to the built-in hello-world (no network needed). --compare runs the same image and command with podman (runc and its default runtime) and with runc and crun on an OCI bundle, each when installed. JSON output: docs/BENCH-JSON.md.',
    examples: [
      ['hello-world, 20 runs', '$0 bench run'],
      ['An image and command, against podman/runc/crun, with a chart', '$0 bench run --compare --plot run.svg busybox -- true'],
    ],
  });
  // IMAGE and CMD as one list: clipanion gives an optional positional before a rest nothing.
  args = Option.Rest({ name: 'IMAGE [--] [CMD...]' });
  iterations = Option.String('-n,--iterations', { description: 'Timed runs (default 20)' });
  warmup = Option.String('--warmup', { description: 'Untimed runs first (default 3)' });
  format = Option.String('--format', { description: 'json for the documented JSON (docs/BENCH-JSON.md)' });
  compare = Option.Boolean('--compare', false, { description: 'Also run podman, runc and crun (those installed) on the same image' });
  plot = Option.String('--plot', { description: 'Write a bar chart of the latency breakdown to FILE.svg' });
  dir = Option.String('--dir', { description: 'Put temporary files under DIR' });
  quiet = Option.Boolean('-q,--quiet', false, { description: 'No progress output' });

  async run(): Promise<number> {
    const { UsageError } = await import('../../errors.js');
    if (this.format !== undefined && this.format !== 'json' && this.format !== 'table') throw new UsageError(`--format ${this.format}: use json or table`);
    const int = (flag: string, v: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v)) throw new UsageError(`${flag} ${v}: give a whole number`);
      return Number(v);
    };
    const iterations = int('--iterations', this.iterations);
    const warmup = int('--warmup', this.warmup);
    const [first, ...more] = this.args;
    const image = first === '--' ? undefined : first;
    const rest = first === '--' ? this.args : more;
    const command = rest[0] === '--' ? rest.slice(1) : rest;
    const { ProgressBar, installInterruptCleanup } = await import('./bench-layers.js');
    const { benchRun } = await import('../../engine/bench.js');
    const stderr = this.context.stderr;
    const bar = new ProgressBar(stderr as NodeJS.WriteStream, !this.quiet);
    const interrupt = installInterruptCleanup(stderr, bar);
    try {
      const result = await benchRun(
        {
          ...(image !== undefined ? { image } : {}),
          ...(command.length ? { command } : {}),
          ...(iterations !== undefined ? { iterations } : {}),
          ...(warmup !== undefined ? { warmup } : {}),
          ...(this.dir !== undefined ? { dir: this.dir } : {}),
          compare: this.compare,
        },
        {
          onCleanup: (c) => interrupt.set(c),
          onEvent: (e) => {
            if (e.type === 'progress') bar.update(e.done, e.total, e.what);
            else if (e.type === 'phase') bar.line(e.text);
          },
        },
      );
      bar.clear();
      const { renderRunText, renderRunSvg } = await import('../../bench/report.js');
      if (this.plot) {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(this.plot, renderRunSvg(result));
      }
      this.context.stdout.write(this.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderRunText(result));
      return 0;
    } finally {
      bar.clear();
      interrupt.dispose();
    }
  }
}
