// `hx images`, `hx image ls`: docker's table, --format, --filter, -q, --digests, --no-trunc.
import { Filters } from '../../../engine/filters.js';
import { renderList } from '../../format/formatter.js';
import { IMAGE_LIST, IMAGE_LIST_DIGESTS, imageListRow } from '../../format/images.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const filters = Filters.fromFlags(f.filter as string[]);
  const engine = await ctx.engine();
  const rows = engine.images.list({ filters, ...(inv.args[0] ? { filterRef: inv.args[0] } : {}) });
  const now = Date.now();
  const view = rows.map((r) => imageListRow(r, { trunc: !f['no-trunc'], now }));
  ctx.stdout.write(renderList(view, f.format as string | undefined, f.digests ? IMAGE_LIST_DIGESTS : IMAGE_LIST, { quiet: Boolean(f.quiet) }));
};
