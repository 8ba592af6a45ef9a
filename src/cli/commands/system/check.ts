// `hx system check`: the store's invariants (docs/STORAGE.md); exit 1 on any problem.
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const r = await engine.system.check({ quick: Boolean(inv.flags.quick) });
  const out = ctx.stdout;
  if (inv.flags.format === 'json') {
    out.write(JSON.stringify(r) + '\n');
    return r.problems.length ? 1 : 0;
  }
  for (const p of r.problems) out.write(`${p.subject}: ${p.problem}\n  fix: ${p.fix}\n`);
  const c = r.checked;
  const what = `${c.images} images, ${c.layers} layers, ${c.blobs} blobs, ${c.links} links, ${c.containers} containers, ${c.temp} temp dirs`;
  out.write(r.problems.length ? `${r.problems.length} problem(s) in ${r.root} (${what})\n` : `No problems in ${r.root} (${what})\n`);
  return r.problems.length ? 1 : 0;
};
