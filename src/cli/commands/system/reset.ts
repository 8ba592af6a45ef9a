// `hx system reset -f`.
import { UsageError } from '../../../errors.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  if (!inv.flags.force) throw new UsageError('hx system reset deletes all images, layers, containers and volumes', 'run it again with -f to confirm');
  const engine = await ctx.engine();
  await engine.system.reset();
  ctx.stdout.write('Store reset: all images, layers and containers removed\n');
};
