// `hx images` as docker formats it (docker/cli cli/command/formatter/image.go): the table,
// the headers, and a row context per ImageRow with docker's values, all strings.
import type { ImageRow } from '../../engine/images/list.js';
import type { ListSpec } from './formatter.js';
import { goTimeString, humanSize, humanSizeWithPrecision, timeAgo, truncateId } from './units.js';

const HEADERS = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE', // deprecated by docker, equal to Size
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

export const IMAGE_LIST: ListSpec = {
  defaultFormat: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}',
  quietFormat: '{{.ID}}',
  headers: HEADERS,
  rowType: '*formatter.imageContext',
};

/** `--digests`: the digest column after the tag. */
export const IMAGE_LIST_DIGESTS: ListSpec = {
  ...IMAGE_LIST,
  defaultFormat: 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}',
};

export interface ImageRowOptions {
  /** Truncated IDs (docker's default; --no-trunc turns it off). */
  trunc?: boolean;
  now?: number;
  /** The zone CreatedAt is printed in (default: the local one). */
  timeZone?: string;
}

/** docker's imageContext for one row: the fields `--format` can name. */
export function imageListRow(row: ImageRow, options: ImageRowOptions = {}): Record<string, unknown> {
  const created = Date.parse(row.created);
  return {
    ID: options.trunc === false ? row.id : truncateId(row.id),
    Repository: row.repository,
    Tag: row.tag,
    Digest: row.digest,
    CreatedSince: Number.isFinite(created) ? timeAgo(created, options.now) : '',
    // a method, as ps's: Intl's first formatting costs ~40 ms (ICU), paid only when shown
    CreatedAt: () => (Number.isFinite(created) ? goTimeString(Math.floor(created / 1000) * 1000, options.timeZone) : ''),
    Size: humanSizeWithPrecision(row.size, 3),
    Containers: String(row.containers),
    VirtualSize: humanSize(row.size),
    SharedSize: humanSize(row.sharedSize),
    UniqueSize: humanSize(row.uniqueSize),
  };
}
