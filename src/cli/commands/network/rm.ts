// `hx network rm [-f] NETWORK...` and `hx network prune [--filter] [-f]`.
import { Filters } from '../../../engine/filters.js';
import type { CommandRun } from '../../spec.js';
import { daemonCall } from '../daemon-call.js';

/** Each network is tried; the removed ones are printed as given, the errors after them (exit 1). */
export const rm: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const errors: string[] = [];
  for (const ref of inv.args) {
    if (await daemonCall((l) => errors.push(l), async () => { await engine.networks.remove(ref, inv.flags.force === true); })) ctx.stdout.write(`${ref}\n`);
  }
  for (const e of errors) ctx.stderr.write(e);
  return errors.length ? 1 : 0;
};

/** docker's prune output: "Deleted Networks:" and the names (nothing when none was removed). */
export const prune: CommandRun = async (ctx, inv) => {
  const filters = Filters.fromFlags((inv.flags.filter as string[] | undefined) ?? [], '--filter');
  const engine = await ctx.engine();
  let deleted: string[] = [];
  const ok = await daemonCall((l) => ctx.stderr.write(l), async () => {
    deleted = (await engine.networks.prune({ filters })).deleted;
  });
  if (!ok) return 1;
  if (deleted.length) ctx.stdout.write(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}`);
  return 0;
};
