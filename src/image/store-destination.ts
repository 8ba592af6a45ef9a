// The store as a pull's destination (registry/pull.ts PullDestination): images found by
// repo digest or tag, blobs already stored, a pin on what the image needs while it comes
// in, downloaded blobs published as each finishes (a killed pull keeps what it verified),
// and storeImage() as the sink. The registry client reaches the store only through this.
import { createReadStream } from 'node:fs';
import type { LayerContext } from '../layer/context.js';
import { chainIds } from '../store/digest.js';
import type { Store } from '../store/store.js';
import { parseImageConfig } from './config.js';
import type { LocalImage, PullDestination, PullReception } from './registry/pull.js';
import { findImage } from './resolve.js';
import { imageId, type ImageSource } from './source.js';
import { storeImage } from './store-image.js';

export function storeDestination(store: Store, ctx: LayerContext): PullDestination {
  return {
    findImage(by): LocalImage | undefined {
      const rec = 'repoDigest' in by ? store.listImages().find((i) => i.repoDigests.includes(by.repoDigest)) : findImage(store, by.name);
      if (!rec) return undefined;
      let config;
      try {
        config = parseImageConfig(store.readBlob(rec.id));
      } catch {
        config = undefined;
      }
      return { id: rec.id, repoDigests: rec.repoDigests, config };
    },
    readBlob: (digest) => (store.hasBlob(digest) ? store.readBlob(digest) : undefined),
    begin: (src) => receive(store, ctx, src),
  };
}

async function receive(store: Store, ctx: LayerContext, src: ImageSource): Promise<PullReception> {
  const chains = chainIds(src.config.rootfs.diff_ids);
  const blobs = [...src.layers.flatMap((l) => (l.digest ? [l.digest] : [])), imageId(src)];
  const pin = await store.locked(() => store.pin(chains, blobs));
  let temp;
  try {
    temp = store.tempDir('pull');
  } catch (e) {
    pin.release();
    throw e;
  }
  const dir = temp;
  return {
    dir: dir.path,
    has(index) {
      const digest = src.layers[index]?.digest;
      if (!digest) return undefined;
      const existing = store.getLayer(chains[index]!);
      if (existing && (existing.digest === digest || store.hasBlob(digest))) return 'layer';
      return store.hasBlob(digest) ? 'blob' : undefined;
    },
    publishBlob: (file, digest) =>
      store.locked(() => {
        pin.add([], [digest]);
        store.commitBlob(file, digest);
      }),
    openBlob: (digest) => createReadStream(store.blobPath(digest), { highWaterMark: 1 << 20 }),
    async storeImage(image, onLayer) {
      const rec = await storeImage(store, image, ctx, (e) => {
        if (e.type === 'layer-start') onLayer(e.index, 'extracting');
        else if (e.type === 'layer-done') onLayer(e.index, 'complete');
      });
      return rec.id;
    },
    release() {
      dir.release(true);
      pin.release();
    },
  };
}
