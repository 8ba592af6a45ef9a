// `hx __complete images|containers|volumes`: names for the shell completion scripts (quiet on any error).
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  try {
    const engine = await ctx.engine();
    if (inv.args[0] === 'images') {
      const names = new Set<string>();
      for (const r of engine.images.list()) if (r.repository !== '<none>') names.add(r.tag === '<none>' ? r.repository : `${r.repository}:${r.tag}`);
      ctx.stdout.write([...names].sort().join('\n') + (names.size ? '\n' : ''));
    } else if (inv.args[0] === 'containers') {
      const names = engine.containers.list({ all: true }).map((r) => r.name).sort();
      ctx.stdout.write(names.join('\n') + (names.length ? '\n' : ''));
    } else if (inv.args[0] === 'volumes') {
      const names = engine.volumes.list().map((v) => v.Name);
      ctx.stdout.write(names.join('\n') + (names.length ? '\n' : ''));
    }
  } catch {
    /* completion must never print errors into the user's command line */
  }
  return 0;
};
