// `hx bench layers`: layer throughput stage by stage (docs/BENCH-JSON.md for --format json).
import { writeFileSync } from 'node:fs';
import { UsageError } from '../../../errors.js';
import { installInterruptCleanup, ProgressBar } from '../../ui/progress-bar.js';
import type { CommandRun } from '../../spec.js';

export function wholeNumber(flag: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new UsageError(`${flag} ${String(v)}: give a whole number`);
  return Number(v);
}

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const format = f.format as string | undefined;
  if (format !== undefined && format !== 'json' && format !== 'table') throw new UsageError(`--format ${format}: use json or table`);
  const { parseSize, renderLayersSvg, renderLayersText } = await import('../../../engine/bench.js');
  let size: number | undefined;
  if (f.size !== undefined) {
    size = parseSize(f.size as string);
    if (size === undefined) throw new UsageError(`--size ${String(f.size)}: give a size like 128M or 1G`);
  }
  const iterations = wholeNumber('--iterations', f.iterations);
  const seed = wholeNumber('--seed', f.seed);
  const engine = await ctx.engine();
  const bar = new ProgressBar(ctx.stderr, !f.quiet);
  const interrupt = installInterruptCleanup(ctx.stderr, bar);
  try {
    const result = await engine.bench.layers(
      {
        ...(inv.args[0] !== undefined ? { input: inv.args[0] } : {}),
        ...(f.synthetic !== undefined ? { synthetic: f.synthetic as string } : {}),
        ...(size !== undefined ? { size } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(iterations !== undefined ? { iterations } : {}),
        ...(f.dir !== undefined ? { dir: f.dir as string } : {}),
        ...(f.stages !== undefined ? { stages: (f.stages as string).split(',').map((s) => s.trim()).filter(Boolean) } : {}),
        compare: Boolean(f.compare),
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
    if (f.plot) writeFileSync(f.plot as string, renderLayersSvg(result));
    ctx.stdout.write(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderLayersText(result));
    const failed = result.layers.flatMap((l) => l.stages.filter((s) => s.status === 'failed').map((s) => `${l.label}: ${s.name}: ${s.reason}`));
    if (failed.length) {
      ctx.stderr.write(`hx: ${failed.length} stage(s) failed:\n${failed.map((x) => `  ${x}\n`).join('')}`);
      return 125;
    }
    return 0;
  } finally {
    bar.clear();
    interrupt.dispose();
  }
};
