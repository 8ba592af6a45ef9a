// `hx bench run [IMAGE [--] [CMD...]]`: start-to-exit latency of `hx run`, with phases.
import { writeFileSync } from 'node:fs';
import { UsageError } from '../../../errors.js';
import { installInterruptCleanup, ProgressBar } from '../../ui/progress-bar.js';
import type { CommandRun } from '../../spec.js';
import { wholeNumber } from './layers.js';

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const format = f.format as string | undefined;
  if (format !== undefined && format !== 'json' && format !== 'table') throw new UsageError(`--format ${format}: use json or table`);
  const iterations = wholeNumber('--iterations', f.iterations);
  const warmup = wholeNumber('--warmup', f.warmup);
  const [first, ...more] = inv.args;
  const image = first === '--' ? undefined : first;
  const rest = first === '--' ? inv.args : more;
  const command = rest[0] === '--' ? rest.slice(1) : rest;
  const { renderRunSvg, renderRunText } = await import('../../../engine/bench.js');
  const engine = await ctx.engine();
  const bar = new ProgressBar(ctx.stderr, !f.quiet);
  const interrupt = installInterruptCleanup(ctx.stderr, bar);
  try {
    const result = await engine.bench.run(
      {
        ...(image !== undefined ? { image } : {}),
        ...(command.length ? { command } : {}),
        ...(iterations !== undefined ? { iterations } : {}),
        ...(warmup !== undefined ? { warmup } : {}),
        ...(f.dir !== undefined ? { dir: f.dir as string } : {}),
        compare: Boolean(f.compare),
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
    if (f.plot) writeFileSync(f.plot as string, renderRunSvg(result));
    ctx.stdout.write(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderRunText(result));
    return 0;
  } finally {
    bar.clear();
    interrupt.dispose();
  }
};
