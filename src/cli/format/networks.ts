// `hx network ls` as docker formats it (docker/cli cli/command/formatter/network.go).
import type { NetworkDocument } from '../../engine/index.js';
import type { ListSpec } from './formatter.js';

export const NETWORK_LIST: ListSpec = {
  defaultFormat: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}',
  quietFormat: '{{.ID}}',
  headers: { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' },
  rowType: '*formatter.networkContext',
};

/** docker's networkContext (ID cut to 12 characters unless --no-trunc; CreatedAt as Go's time.Time String). */
export function networkListRow(n: NetworkDocument, noTrunc: boolean): Record<string, unknown> {
  const labels = n.Labels ?? {};
  return {
    Label: (name: string) => labels[name] ?? '',
    ID: noTrunc ? n.Id : n.Id.slice(0, 12),
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','),
    CreatedAt: n.Created,
  };
}
