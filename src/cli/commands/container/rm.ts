// `hx rm [-f] [-v] CONTAINER...`, `hx container prune [-f] [--filter]`.
import { Filters } from '../../../engine/filters.js';
import type { CommandRun } from '../../spec.js';
import { forEachContainer } from './each.js';

export const rm: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  return forEachContainer(ctx, inv.args, async (ref) => void (await engine.containers.remove(ref, { force: inv.flags.force === true, volumes: inv.flags.volumes === true })));
};

export const prune: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const r = await engine.containers.prune(Filters.fromFlags(inv.flags.filter as string[]));
  if (r.deleted.length) {
    ctx.stdout.write('Deleted Containers:\n');
    for (const id of r.deleted) ctx.stdout.write(`${id}\n`);
    ctx.stdout.write('\n');
  }
  ctx.stdout.write('Total reclaimed space: 0B\n');
};
