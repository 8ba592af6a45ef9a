// `hx builder prune [-a]`: the build cache emptied. Without -a, what no image can use any
// more: the RUN --mount=type=cache directories no build holds now, and the step entries
// whose layers are gone; with -a, every step entry too (the next build runs every step).
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readJson } from '../../store/atomic.js';
import { chainIds } from '../../store/digest.js';
import type { EngineContext } from '../context.js';
import type { CacheEntry } from './cache.js';
import { pruneCacheMounts } from './mount-cache.js';

export interface BuilderPruneResult {
  /** Step entries removed. */
  entries: number;
  /** Cache mount directories removed. */
  mounts: number;
  /** Bytes freed (the cache mounts' files and the entries). */
  reclaimed: number;
}

export function pruneBuilder(ctx: EngineContext, opts: { all?: boolean } = {}): BuilderPruneResult {
  const store = ctx.store;
  const mounts = pruneCacheMounts(store);
  const dir = join(store.root, 'build-cache');
  let entries = 0;
  let reclaimed = mounts.bytes;
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    /* no cache yet */
  }
  for (const name of names) {
    const path = join(dir, name);
    const entry = readJson<CacheEntry>(path);
    const dangling = !entry || !Array.isArray(entry.diffIds) || !chainIds(entry.diffIds).every((c) => store.getLayer(c) !== undefined);
    if (!opts.all && !dangling) continue;
    reclaimed += statSync(path, { throwIfNoEntry: false })?.size ?? 0;
    rmSync(path, { force: true });
    entries++;
  }
  return { entries, mounts: mounts.removed, reclaimed };
}
