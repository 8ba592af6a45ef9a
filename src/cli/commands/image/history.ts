// `hx history`: docker's table (IMAGE CREATED CREATED BY SIZE COMMENT), --format, -q, -H.
import { renderList } from '../../format/formatter.js';
import { HISTORY_LIST, historyRow } from '../../format/history.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const engine = await ctx.engine();
  const rows = engine.images.history(inv.args[0]!);
  const now = Date.now();
  const view = rows.map((r) => historyRow(r, { trunc: !f['no-trunc'], human: f.human !== false, now }));
  ctx.stdout.write(renderList(view, f.format as string | undefined, HISTORY_LIST, { quiet: Boolean(f.quiet) }));
};
