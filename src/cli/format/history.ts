// `hx history` as docker formats it (docker/cli cli/command/formatter/history.go).
import type { HistoryRow } from '../../engine/index.js';
import type { ListSpec } from './formatter.js';
import { ellipsis, humanSizeWithPrecision, timeAgo, truncateId } from './units.js';

export const HISTORY_LIST: ListSpec = {
  defaultFormat: 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}',
  quietFormat: '{{.ID}}',
  headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' },
  rowType: '*formatter.historyContext',
};

export function historyRow(r: HistoryRow, o: { trunc: boolean; human: boolean; now?: number }): Record<string, string> {
  const created = Date.parse(r.created);
  const known = Number.isFinite(created);
  const iso = known ? new Date(created).toISOString().replace(/\.\d{3}Z$/, 'Z') : '';
  const by = r.createdBy.replace(/\t/g, ' ');
  return {
    ID: r.id === '<missing>' || !o.trunc ? r.id : truncateId(r.id),
    CreatedSince: !known ? 'N/A' : o.human ? timeAgo(created, o.now) : iso,
    CreatedAt: iso,
    CreatedBy: o.trunc ? ellipsis(by, 45) : by,
    Size: o.human ? humanSizeWithPrecision(r.size, 3) : String(r.size),
    Comment: r.comment,
  };
}
