// `hx image prune [-a]`.
import { humanSize } from '../../format/units.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const r = await engine.images.prune(Boolean(inv.flags.all));
  if (r.untagged.length || r.deleted.length) {
    ctx.stdout.write('Deleted Images:\n');
    for (const u of r.untagged) ctx.stdout.write(`untagged: ${u}\n`);
    for (const d of r.deleted) ctx.stdout.write(`deleted: ${d}\n`);
    ctx.stdout.write('\n');
  }
  ctx.stdout.write(`Total reclaimed space: ${humanSize(r.reclaimed)}\n`);
};
