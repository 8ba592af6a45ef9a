// `hx network ls`: docker's table (NETWORK ID, NAME, DRIVER, SCOPE), --format, --filter, -q, --no-trunc.
import { Filters } from '../../../engine/filters.js';
import { renderList } from '../../format/formatter.js';
import { NETWORK_LIST, networkListRow } from '../../format/networks.js';
import type { CommandRun } from '../../spec.js';
import { daemonCall } from '../daemon-call.js';

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const filters = Filters.fromFlags((f.filter as string[] | undefined) ?? []);
  const engine = await ctx.engine();
  let out = '';
  const ok = await daemonCall((l) => ctx.stderr.write(l), () => {
    const rows = engine.networks.list({ filters }).map((n) => networkListRow(n, f['no-trunc'] === true));
    out = renderList(rows, f.format as string | undefined, NETWORK_LIST, { quiet: Boolean(f.quiet) });
  });
  ctx.stdout.write(out);
  return ok ? 0 : 1;
};
