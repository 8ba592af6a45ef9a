// `hx system df`: docker's table (TYPE TOTAL ACTIVE SIZE RECLAIMABLE) or --format.
import type { DiskUsage } from '../../../engine/index.js';
import { renderList, type ListSpec } from '../../format/formatter.js';
import { humanSize } from '../../format/units.js';
import type { CommandRun } from '../../spec.js';

const DF_LIST: ListSpec = {
  defaultFormat: 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}',
  headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
  rowType: '*formatter.diskUsageImagesContext',
};

function rows(u: DiskUsage): Record<string, string>[] {
  const pct = (a: number, b: number): string => (b ? ` (${Math.round((a / b) * 100)}%)` : '');
  return [
    { Type: 'Images', TotalCount: String(u.images.total), Active: String(u.images.active), Size: humanSize(u.images.size), Reclaimable: humanSize(u.images.reclaimable) + pct(u.images.reclaimable, u.images.size) },
    { Type: 'Containers', TotalCount: String(u.containers.total), Active: String(u.containers.active), Size: humanSize(u.containers.size), Reclaimable: humanSize(u.containers.reclaimable) + pct(u.containers.reclaimable, u.containers.size) },
    { Type: 'Local Volumes', TotalCount: String(u.volumes.total), Active: String(u.volumes.active), Size: humanSize(u.volumes.size), Reclaimable: humanSize(u.volumes.reclaimable) + pct(u.volumes.reclaimable, u.volumes.size) },
    { Type: 'Layer blobs', TotalCount: String(u.blobs.count), Active: String(u.blobs.count), Size: humanSize(u.blobs.size), Reclaimable: '0B' },
  ];
}

// docker's `system df -v` section for volumes (formatter/disk_usage.go: VOLUME NAME, LINKS, SIZE)
const DF_VOLUMES: ListSpec = {
  defaultFormat: 'table {{.Name}}\t{{.Links}}\t{{.Size}}',
  headers: { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' },
  rowType: '*formatter.volumeContext',
};

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const u = engine.system.df();
  ctx.stdout.write(renderList(rows(u), inv.flags.format as string | undefined, DF_LIST));
  if (inv.flags.verbose && inv.flags.format === undefined) {
    const volumes = u.volumes.each.map((v) => ({ Name: v.name, Links: String(v.links), Size: humanSize(v.size) }));
    ctx.stdout.write(`\nLocal Volumes space usage:\n\n${renderList(volumes, undefined, DF_VOLUMES)}`);
  }
};
