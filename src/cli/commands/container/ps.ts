// `hx ps`, `hx container ls`: docker's table, -a, -q, -n, -l, -s, --no-trunc, --filter, --format.
import { Filters } from '../../../engine/filters.js';
import { renderList } from '../../format/formatter.js';
import { CONTAINER_LIST, CONTAINER_LIST_SIZE, containerListRow } from '../../format/containers.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  // engine.containers.list without the Engine facade (see image/ls.ts)
  const { listContainers } = await import('../../../engine/containers/list.js');
  const format = f.format as string | undefined;
  // docker computes sizes when asked (-s) or when the template names .Size
  const size = f.size === true || (format !== undefined && format.includes('.Size'));
  const last = f.latest ? 1 : typeof f.last === 'number' ? f.last : undefined;
  const rows = listContainers(await ctx.engineContext(), { all: f.all === true, filters: Filters.fromFlags(f.filter as string[]), ...(last !== undefined ? { last } : {}), size });
  const now = Date.now();
  const view = rows.map((r) => containerListRow(r, { trunc: !f['no-trunc'], now }));
  ctx.stdout.write(renderList(view, format, f.size && !format ? CONTAINER_LIST_SIZE : CONTAINER_LIST, { quiet: f.quiet === true }));
};
