// The build cache: one entry per step, keyed by a chain (the previous step's key, the
// instruction after substitution, what it sees: the RUN's ARGs, the SHELL, the network;
// for COPY/ADD the selected files' names, modes, owners, link targets and contents), holding
// what the step left: the image's layers (by chain ID) and its config. A hit restores the
// image from layers still in the store (no ingest) with the very same config bytes, so a
// fully cached rebuild gives the same image ID. An entry whose layers were removed since
// (rmi and GC) is a miss, never an error.
import { createReadStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageConfig } from '../../image/config.js';
import { imageSource, type LayerSource } from '../../image/source.js';
import { storeImage } from '../../image/store-image.js';
import type { LayerContext } from '../../layer/context.js';
import { readJson, writeJsonAtomic } from '../../store/atomic.js';
import { chainIds, sha256Hex } from '../../store/digest.js';
import type { ImageRecord, Store } from '../../store/store.js';

export interface CacheEntry {
  /** The image's layers after the step, bottom first. */
  diffIds: string[];
  /** The image config after the step, as it was stored (or kept in memory). */
  config: ImageConfig;
}

export class BuildCache {
  private readonly dir: string;
  constructor(
    private readonly store: Store,
    private readonly enabled: boolean,
  ) {
    this.dir = join(store.root, 'build-cache');
  }

  /** The key of a step after PREVIOUS with these INPUTS. */
  static key(previous: string, inputs: unknown): string {
    return sha256Hex(`${previous}\n${JSON.stringify(inputs)}`);
  }

  get(key: string): CacheEntry | undefined {
    if (!this.enabled) return undefined;
    const e = readJson<CacheEntry>(join(this.dir, `${key}.json`));
    if (!e || !Array.isArray(e.diffIds) || typeof e.config !== 'object') return undefined;
    // every layer must still be in the store: otherwise a miss
    return chainIds(e.diffIds).every((c) => this.store.getLayer(c) !== undefined) ? e : undefined;
  }

  put(key: string, entry: CacheEntry): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeJsonAtomic(join(this.dir, `${key}.json`), entry);
  }

  /** The image of an entry, stored again from its layers (already there: nothing ingested). */
  async image(entry: CacheEntry, ctx: LayerContext): Promise<ImageRecord | undefined> {
    const layers: LayerSource[] = [];
    for (const chain of chainIds(entry.diffIds)) {
      const rec = this.store.getLayer(chain);
      if (!rec || !this.store.hasBlob(rec.digest)) return undefined;
      layers.push({
        digest: rec.digest,
        diffId: rec.diffId,
        mediaType: rec.mediaType,
        size: rec.compressedSize,
        uncompressedSize: rec.size,
        label: `cached layer ${rec.diffId}`,
        open: () => createReadStream(this.store.blobPath(rec.digest)),
      });
    }
    return await storeImage(this.store, imageSource({ configBytes: Buffer.from(JSON.stringify(entry.config)), layers }), ctx);
  }
}

/** Where an image built with BUILDKIT_INLINE_CACHE=1 keeps its steps' keys (a config field of
 * hx's own, beside the OCI ones, as buildkit keeps moby.buildkit.cache.v0 there). */
export const INLINE_CACHE_FIELD = 'hx.build.cache.v0';

/** One step of an image's build: its key, and how many layers and history entries the image
 * had after it. */
export interface InlineStep {
  key: string;
  layers: number;
  history: number;
}

/** `--cache-from IMAGE`: the steps of images built with an inline cache, by key. A hit names
 * the image and where its layers and history stood after that step. */
export class InlineCache {
  private readonly steps = new Map<string, { config: ImageConfig; step: InlineStep }>();

  add(config: ImageConfig): number {
    const list = (config as unknown as Record<string, unknown>)[INLINE_CACHE_FIELD];
    if (!Array.isArray(list)) return 0;
    let added = 0;
    for (const s of list as Partial<InlineStep>[]) {
      const ok = typeof s?.key === 'string' && /^[a-f0-9]{64}$/.test(s.key) && Number.isInteger(s.layers) && Number.isInteger(s.history);
      if (!ok || s.layers! > config.rootfs.diff_ids.length || s.history! > (config.history ?? []).length) continue;
      this.steps.set(s.key!, { config, step: s as InlineStep });
      added++;
    }
    return added;
  }

  get(key: string): { config: ImageConfig; step: InlineStep } | undefined {
    return this.steps.get(key);
  }
}
