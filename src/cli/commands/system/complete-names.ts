// `hx __complete images`: names for the shell completion scripts (quiet on any error).
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  try {
    const engine = await ctx.engine();
    if (inv.args[0] === 'images') {
      const names = new Set<string>();
      for (const r of engine.images.list()) if (r.repository !== '<none>') names.add(r.tag === '<none>' ? r.repository : `${r.repository}:${r.tag}`);
      ctx.stdout.write([...names].sort().join('\n') + (names.size ? '\n' : ''));
    }
  } catch {
    /* completion must never print errors into the user's command line */
  }
  return 0;
};
