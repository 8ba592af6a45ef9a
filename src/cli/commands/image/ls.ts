// `hx images`, `hx image ls`: docker's table, --format, --filter, -q, --digests, --no-trunc.
import { Filters } from '../../../engine/filters.js';
import { renderList } from '../../format/formatter.js';
import { IMAGE_LIST, IMAGE_LIST_DIGESTS, imageListRow } from '../../format/images.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const filters = Filters.fromFlags(f.filter as string[]);
  // engine.images.list without the Engine facade: loading every verb's module (and Node's
  // stream, crypto, child_process, http, ...) cost more than the listing (bench/RESULTS.md)
  const { listImages } = await import('../../../engine/images/list.js');
  const rows = listImages(await ctx.engineContext(), { filters, ...(inv.args[0] ? { filterRef: inv.args[0] } : {}) });
  const now = Date.now();
  const view = rows.map((r) => imageListRow(r, { trunc: !f['no-trunc'], now }));
  ctx.stdout.write(renderList(view, f.format as string | undefined, f.digests ? IMAGE_LIST_DIGESTS : IMAGE_LIST, { quiet: Boolean(f.quiet) }));
};
