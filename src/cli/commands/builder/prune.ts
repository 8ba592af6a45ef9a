// `hx builder prune [-a] [-f]`: docker's words; without -f it asks first, as docker does,
// and a "no" (or no answer: stdin at its end) removes nothing.
import { createInterface } from 'node:readline';
import { humanSize } from '../../format/units.js';
import type { CommandRun } from '../../spec.js';

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  process.stdout.write(question);
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export const run: CommandRun = async (ctx, inv) => {
  const all = inv.flags.all === true;
  if (inv.flags.force !== true) {
    const what = all ? 'all build cache' : 'all dangling build cache';
    if (!(await confirm(`WARNING! This will remove ${what}.\nAre you sure you want to continue? [y/N] `))) return;
  }
  const engine = await ctx.engine();
  const r = engine.builder.prune({ all });
  ctx.stdout.write(`Deleted build cache objects: ${r.entries} steps, ${r.mounts} cache mounts\n`);
  ctx.stdout.write(`Total:\t${humanSize(r.reclaimed)}\n`);
};
