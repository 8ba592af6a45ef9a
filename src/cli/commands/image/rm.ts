// `hx rmi`: docker's semantics: a name of an image with other names is untagged; the
// last name (or an ID) deletes the image; each name is tried, errors reported after the
// others were removed, exit 1 if any failed.
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  let failed = 0;
  for (const ref of inv.args) {
    try {
      const r = await engine.images.remove([ref], Boolean(inv.flags.force));
      for (const u of r.untagged) ctx.stdout.write(`Untagged: ${u}\n`);
      for (const d of r.deleted) ctx.stdout.write(`Deleted: ${d}\n`);
    } catch (e) {
      failed++;
      const hint = (e as { hint?: string }).hint;
      ctx.stderr.write(`hx: ${(e as Error).message}${hint ? `\n  hint: ${hint}` : ''}\n`);
    }
  }
  return failed ? 1 : 0;
};
