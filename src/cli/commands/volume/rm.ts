// `hx volume rm [-f] VOLUME...` and `hx volume prune [-a] [--filter label=...] [-f]`.
import { Filters } from '../../../engine/filters.js';
import { humanSize } from '../../format/units.js';
import type { CommandRun } from '../../spec.js';
import { daemonCall } from '../daemon-call.js';

/** Each volume is tried; the removed ones are printed as given, the errors after them (exit 1). */
export const rm: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const errors: string[] = [];
  for (const name of inv.args) {
    if (await daemonCall((l) => errors.push(l), () => engine.volumes.remove(name, inv.flags.force === true))) ctx.stdout.write(`${name}\n`);
  }
  for (const e of errors) ctx.stderr.write(e);
  return errors.length ? 1 : 0;
};

/** docker 28's prune output: "Deleted Volumes:" and the names, then the space reclaimed. */
export const prune: CommandRun = async (ctx, inv) => {
  const filters = Filters.fromFlags((inv.flags.filter as string[] | undefined) ?? [], '--filter');
  const engine = await ctx.engine();
  let result: { deleted: string[]; reclaimed: number } = { deleted: [], reclaimed: 0 };
  const ok = await daemonCall((l) => ctx.stderr.write(l), async () => {
    result = await engine.volumes.prune({ all: inv.flags.all === true, filters });
  });
  if (!ok) return 1;
  if (result.deleted.length) ctx.stdout.write(`Deleted Volumes:\n${result.deleted.map((n) => `${n}\n`).join('')}\n`);
  ctx.stdout.write(`Total reclaimed space: ${humanSize(result.reclaimed)}\n`);
  return 0;
};
