// The sink of every image source (archive, import, registry, built-in): storeImage puts
// one ImageSource into the store. Every layer is ingested (or found by chain ID), its blob
// digest, size and diff_id checked against what the source and its config promise, then
// the image record is written. On failure nothing of it stays referenced and GC removes
// what was published on the way.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HxError } from '../errors.js';
import { LayerError } from '../layer/apply.js';
import type { LayerContext } from '../layer/context.js';
import { ingestLayer, type IngestResult } from '../layer/ingest.js';
import { chainIds, sha256Digest } from '../store/digest.js';
import type { ImageRecord, LayerRecord, Pin, Store } from '../store/store.js';
import { imageSummary, parseImageConfig } from './config.js';
import { OCI_CONFIG, OCI_MANIFEST, type Manifest } from './media.js';
import type { ImageSource, LayerSource } from './source.js';

export type StoreImageEvent =
  | { type: 'layer-exists'; index: number; chainId: string }
  | { type: 'layer-start'; index: number; label: string }
  | { type: 'layer-done'; index: number; chainId: string; result: IngestResult };

export class ImageSourceError extends HxError {
  constructor(message: string, hint?: string) {
    super(message, { kind: 'data', hint: hint ?? 'the image source is corrupt or was tampered with; nothing was stored' });
    this.name = 'ImageSourceError';
  }
}

/** Store BYTES as a blob (write to a temp file, then rename). */
export function putBlobBytes(store: Store, bytes: Buffer): string {
  const digest = sha256Digest(bytes);
  if (store.hasBlob(digest)) return digest;
  const t = store.tempDir('blob');
  try {
    const f = join(t.path, 'blob');
    writeFileSync(f, bytes, { mode: 0o600 });
    store.commitBlob(f, digest);
  } finally {
    t.release(true);
  }
  return digest;
}

/** Store SRC in STORE (layers written as CTX says); resolves with the image record. */
export async function storeImage(
  store: Store,
  src: ImageSource,
  ctx: LayerContext,
  onEvent: (e: StoreImageEvent) => void = () => {},
): Promise<ImageRecord> {
  // Before anything is written: a config hx cannot read never gets a layer stored for it.
  // Parsed again here, whatever the source parsed: the bytes are what gets stored.
  const config = parseImageConfig(src.configBytes);
  const id = sha256Digest(src.configBytes);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== src.layers.length) {
    throw new ImageSourceError(`the image config lists ${diffIds.length} layer(s) but the manifest ${src.layers.length}`);
  }
  src.layers.forEach((layer, i) => {
    if (layer.diffId !== undefined && layer.diffId !== diffIds[i]) {
      throw new ImageSourceError(`layer ${i + 1} (${layer.label}) has diff_id ${layer.diffId}, but the image config says ${diffIds[i]}`);
    }
  });
  const chains = chainIds(diffIds);
  const pin: Pin = await store.locked(() => store.pin(chains, [id]));
  try {
    const blobs: { digest: string; mediaType: string; size: number }[] = [];
    for (let i = 0; i < chains.length; i++) {
      const chainId = chains[i]!;
      const layer = src.layers[i]!;
      const existing = store.getLayer(chainId);
      if (existing && (!layer.digest || layer.digest === existing.digest || store.hasBlob(layer.digest))) {
        onEvent({ type: 'layer-exists', index: i, chainId });
        blobs.push(layerBlob(store, existing, layer));
        continue;
      }
      onEvent({ type: 'layer-start', index: i, label: layer.label });
      const lowers = chains.slice(0, i).reverse().map((c) => store.layerDiff(c));
      const staged = store.tempDir('layer');
      try {
        const diff = join(staged.path, 'diff');
        if (!existing) mkdirSync(diff, { mode: 0o755 });
        // A blob file the source gives away is moved in, not copied while read.
        const blobFile = layer.ownedFile ?? join(staged.path, 'blob');
        let result: IngestResult;
        try {
          result = await ingestLayer({
            source: layer.open(),
            ...(layer.ownedFile ? {} : { blobFile }),
            ...(existing ? {} : { apply: { ...ctx, root: diff, lowers } }),
          });
        } catch (e) {
          if (e instanceof LayerError) throw new ImageSourceError(`layer ${i + 1} (${layer.label}): ${e.message}`);
          throw e;
        }
        if (layer.digest && result.digest !== layer.digest) {
          throw new ImageSourceError(`layer ${i + 1} (${layer.label}) has digest ${result.digest}, but the manifest says ${layer.digest}`);
        }
        if (layer.size !== undefined && result.compressedSize !== layer.size) {
          throw new ImageSourceError(`layer ${i + 1} (${layer.label}) has ${result.compressedSize} bytes, but the manifest says ${layer.size}`);
        }
        if (result.diffId !== diffIds[i]) {
          throw new ImageSourceError(`layer ${i + 1} (${layer.label}) has diff_id ${result.diffId}, but the image config says ${diffIds[i]}`);
        }
        const mediaType = layer.mediaType;
        await store.locked(() => {
          pin.add([], [result.digest]);
          store.commitBlob(blobFile, result.digest);
          if (!existing) {
            store.commitLayer(staged.path, {
              chainId,
              diffId: result.diffId,
              parent: i === 0 ? null : chains[i - 1]!,
              digest: result.digest,
              mediaType,
              compressedSize: result.compressedSize,
              size: result.size,
              ...(result.stats.notes.length ? { notes: result.stats.notes } : {}),
            });
          }
        });
        blobs.push({ digest: result.digest, mediaType, size: result.compressedSize });
        onEvent({ type: 'layer-done', index: i, chainId, result });
      } finally {
        staged.release(true);
      }
    }
    return await store.locked(() => {
      for (const c of chains) {
        if (!store.getLayer(c)) throw new HxError(`layer ${c} vanished while the image was being stored`, { hint: 'run the command again' });
      }
      putBlobBytes(store, src.configBytes);
      let manifest = src.manifest;
      if (!manifest) {
        const m: Manifest = {
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: OCI_CONFIG, digest: id, size: src.configBytes.length },
          layers: blobs.map((b) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size })),
        };
        const bytes = Buffer.from(JSON.stringify(m));
        manifest = { bytes, digest: sha256Digest(bytes), mediaType: OCI_MANIFEST };
      }
      putBlobBytes(store, manifest.bytes);
      const prior = store.getImage(id);
      const names = [...new Set([...(prior?.names ?? []), ...src.names])];
      const repoDigests = [...new Set([...(prior?.repoDigests ?? []), ...src.repoDigests])];
      // A tag names one image: move it.
      for (const other of store.listImages()) {
        if (other.id === id) continue;
        const keep = other.names.filter((n) => !src.names.includes(n));
        if (keep.length !== other.names.length) store.putImage({ ...other, names: keep });
      }
      const rec: ImageRecord = {
        id,
        names,
        repoDigests,
        manifestDigest: prior?.manifestDigest ?? manifest.digest,
        manifestMediaType: prior?.manifestMediaType ?? manifest.mediaType,
        layers: chains,
        created: prior?.created ?? new Date().toISOString(),
        summary: imageSummary(config),
      };
      store.putImage(rec);
      return rec;
    });
  } finally {
    pin.release();
  }
}

/** The blob an image's manifest names for a layer already stored: the record's, or the source's when the store has it too. */
function layerBlob(store: Store, rec: LayerRecord, layer: LayerSource): { digest: string; mediaType: string; size: number } {
  if (!layer.digest || layer.digest === rec.digest) return { digest: rec.digest, mediaType: rec.mediaType, size: rec.compressedSize };
  return { digest: layer.digest, mediaType: layer.mediaType, size: statSync(store.blobPath(layer.digest)).size };
}
