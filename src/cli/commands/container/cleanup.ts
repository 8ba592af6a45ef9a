// `hx container __cleanup ID` (hidden): what a container's monitor runs once the
// container is gone for good.
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  await engine.containers.cleanup(inv.args[0]!);
};
