// `hx volume ls` as docker formats it (docker/cli cli/command/formatter/volume.go): the
// table, the headers and a row context per volume.
import type { VolumeRow } from '../../engine/index.js';
import type { ListSpec } from './formatter.js';

export const VOLUME_LIST: ListSpec = {
  defaultFormat: 'table {{.Driver}}\t{{.Name}}',
  quietFormat: '{{.Name}}',
  headers: {
    Name: 'VOLUME NAME',
    Driver: 'DRIVER',
    Scope: 'SCOPE',
    Mountpoint: 'MOUNTPOINT',
    Labels: 'LABELS',
    Links: 'LINKS',
    Size: 'SIZE',
    Group: 'GROUP',
    Availability: 'AVAILABILITY',
    Status: 'STATUS',
  },
  rowType: '*formatter.volumeContext',
};

/** docker's volumeContext: Links and Size are "N/A" unless usage data was asked for (system df -v). */
export function volumeListRow(v: VolumeRow): Record<string, unknown> {
  const labels = v.Labels ?? {};
  return {
    /** {{.Label "key"}}: one label's value, "" when absent (docker's volumeContext.Label). */
    Label: (name: string) => labels[name] ?? '',
    Name: v.Name,
    Driver: v.Driver,
    Scope: v.Scope,
    Mountpoint: v.Mountpoint,
    Labels: Object.entries(labels).map(([k, val]) => `${k}=${val}`).join(','),
    Links: 'N/A',
    Size: 'N/A',
    Group: 'N/A',
    Availability: 'N/A',
    Status: 'N/A',
  };
}
