// `hx volume ls`: docker's table (DRIVER, VOLUME NAME), --format, --filter, -q.
import { Filters } from '../../../engine/filters.js';
import { renderList } from '../../format/formatter.js';
import { VOLUME_LIST, volumeListRow } from '../../format/volumes.js';
import type { CommandRun } from '../../spec.js';
import { daemonCall } from '../daemon-call.js';

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const filters = Filters.fromFlags((f.filter as string[] | undefined) ?? []);
  const engine = await ctx.engine();
  let out = '';
  const ok = await daemonCall((l) => ctx.stderr.write(l), () => {
    const rows = engine.volumes.list({ filters }).map(volumeListRow);
    out = renderList(rows, f.format as string | undefined, VOLUME_LIST, { quiet: Boolean(f.quiet) });
  });
  ctx.stdout.write(out);
  return ok ? 0 : 1;
};
