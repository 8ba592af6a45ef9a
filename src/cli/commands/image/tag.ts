// `hx tag SOURCE TARGET`.
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  await engine.images.tag(inv.args[0]!, inv.args[1]!);
};
