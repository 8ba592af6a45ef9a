// `hx images`: one row per name (an unnamed image gets one <none> row), with docker's
// filters (dangling, label, before, since, reference, until).
import { imageSummary } from '../../image/config.js';
import { displayName, imageConfigOf, normalizedName, resolveImage } from '../../image/resolve.js';
import type { ImageRecord, ImageSummary, Store } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { createdBound, createdWithin, Filters, matchLabels, matchReference, untilTime } from '../filters.js';

export const IMAGE_FILTERS = ['dangling', 'label', 'label!', 'before', 'since', 'reference', 'until'];

export interface ImageRow {
  id: string;
  repository: string;
  tag: string;
  digest: string;
  created: string;
  size: number;
  sharedSize: number;
  uniqueSize: number;
  containers: number;
  dangling: boolean;
  labels: Record<string, string>;
}

function splitName(name: string): { repository: string; tag: string } {
  const short = displayName(name);
  const colon = short.lastIndexOf(':');
  return colon > short.lastIndexOf('/') ? { repository: short.slice(0, colon), tag: short.slice(colon + 1) } : { repository: short, tag: '<none>' };
}

/** Rows of `hx images`: one per name (an unnamed image gets one <none> row). */
export interface ListImagesOptions {
  all?: boolean;
  /** `hx images REPOSITORY[:TAG]`. */
  filterRef?: string;
  filters?: Filters;
}

/** The record's summary, else (a record older than summaries) the config's fields. */
function summaryOf(store: Store, img: ImageRecord): ImageSummary | undefined {
  if (img.summary) return img.summary;
  try {
    return imageSummary(imageConfigOf(store, img));
  } catch {
    return undefined; // an unreadable config: the store time and no labels
  }
}

function createdOf(store: Store, img: ImageRecord): string {
  return summaryOf(store, img)?.created ?? img.created;
}

export function listImages(ctx: EngineContext, opts: ListImagesOptions = {}): ImageRow[] {
  const store = ctx.store;
  const filters = opts.filters ?? new Filters();
  filters.validate(IMAGE_FILTERS);
  const dangling = filters.contains('dangling') ? filters.getBool('dangling', false) : undefined;
  const timeOf = (ref: string): Date => new Date(createdOf(store, resolveImage(store, ref)));
  const bounds = { before: createdBound(filters, 'before', timeOf), since: createdBound(filters, 'since', timeOf) };
  const until = untilTime(filters);
  const images = store.listImages();
  const layers = new Map(store.listLayers().map((l) => [l.chainId, l]));
  const users = new Map<string, number>();
  for (const img of images) for (const l of img.layers) users.set(l, (users.get(l) ?? 0) + 1);
  const containers = store.listContainers();
  const rows: ImageRow[] = [];
  for (const img of images) {
    let size = 0;
    let shared = 0;
    for (const l of img.layers) {
      const s = layers.get(l)?.size ?? 0;
      size += s;
      if ((users.get(l) ?? 0) > 1) shared += s;
    }
    const summary = summaryOf(store, img);
    const created = summary?.created ?? img.created;
    const labels = summary?.labels ?? {};
    if (dangling !== undefined && dangling !== (img.names.length === 0)) continue;
    if (!matchLabels(filters, labels)) continue;
    if (!createdWithin(new Date(created), bounds)) continue;
    if (until && !(new Date(created) < until)) continue;
    const base = {
      labels,
      id: img.id,
      digest: img.repoDigests[0]?.split('@')[1] ?? '<none>',
      created,
      size,
      sharedSize: shared,
      uniqueSize: size - shared,
      containers: containers.filter((c) => c.image === img.id).length,
      dangling: img.names.length === 0,
    };
    if (img.names.length === 0) {
      if (!filters.contains('reference')) rows.push({ ...base, repository: '<none>', tag: '<none>' });
      continue;
    }
    for (const n of img.names) {
      const name = splitName(n);
      if (!matchReference(filters, name.tag === '<none>' ? name.repository : `${name.repository}:${name.tag}`, name.repository)) continue;
      rows.push({ ...base, ...name });
    }
  }
  if (opts.filterRef) {
    const want = normalizedName(opts.filterRef);
    return rows.filter((r) => r.repository === opts.filterRef || (want !== undefined && normalizedName(`${r.repository}:${r.tag}`) === want));
  }
  return rows;
}
