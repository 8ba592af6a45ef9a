// `hx container __healthcheck ID` (hidden): the probe a container's monitor runs.
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  return engine.containers.healthcheck(inv.args[0]!);
};
