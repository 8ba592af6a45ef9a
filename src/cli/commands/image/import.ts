// `hx import FILE|- [REPOSITORY[:TAG]]`: prints the image's ID as docker does.
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const [input, ref] = inv.args as [string, string | undefined];
  const rec = await engine.images.import(input === '-' ? ctx.stdin : input, ref, inv.flags.change as string[], inv.flags.message as string | undefined);
  ctx.stdout.write(`${rec.id}\n`);
};
