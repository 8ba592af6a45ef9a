// Put one image into the store from any source (archive, import, registry, built-in):
// every layer is ingested (or found by chain ID), its blob digest and diff_id checked
// against what the manifest and config promise, then the image record is written. On
// failure nothing of it stays referenced and GC removes what was published on the way.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { HxError } from '../errors.js';
import { LayerError } from '../layer/apply.js';
import type { LayerContext } from '../layer/context.js';
import { ingestLayer, type IngestResult } from '../layer/ingest.js';
import { chainIds, sha256Digest } from '../store/digest.js';
import type { ImageRecord, LayerRecord, Pin, Store } from '../store/store.js';
import { parseImageConfig } from './config.js';
import { OCI_CONFIG, OCI_MANIFEST, ociLayerType, type Manifest } from './media.js';

export interface LayerInput {
  open(): Readable;
  /** The blob digest the manifest promises, when there is one. */
  digest?: string;
  mediaType?: string;
  /** For messages: archive member, URL... */
  label: string;
}

export interface ImageInput {
  configBytes: Buffer;
  layers: LayerInput[];
  names: string[];
  manifest?: { bytes: Buffer; digest: string; mediaType: string };
  repoDigests?: string[];
}

export type StoreImageEvent =
  | { type: 'layer-exists'; index: number; chainId: string }
  | { type: 'layer-start'; index: number; label: string }
  | { type: 'layer-done'; index: number; chainId: string; result: IngestResult };

export class ImageInputError extends HxError {
  constructor(message: string, hint?: string) {
    super(message, { kind: 'data', hint: hint ?? 'the image source is corrupt or was tampered with; nothing was stored' });
    this.name = 'ImageInputError';
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

export async function storeImage(
  store: Store,
  input: ImageInput,
  ctx: LayerContext,
  onEvent: (e: StoreImageEvent) => void = () => {},
): Promise<ImageRecord> {
  // Before anything is written: a config hx cannot read never gets a layer stored for it.
  const config = parseImageConfig(input.configBytes);
  const id = sha256Digest(input.configBytes);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== input.layers.length) {
    throw new ImageInputError(`the image config lists ${diffIds.length} layer(s) but the manifest ${input.layers.length}`);
  }
  const chains = chainIds(diffIds);
  const pin: Pin = await store.locked(() => store.pin(chains, [id]));
  try {
    const blobs: { digest: string; mediaType: string; size: number }[] = [];
    for (let i = 0; i < chains.length; i++) {
      const chainId = chains[i]!;
      const layer = input.layers[i]!;
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
        const blobFile = join(staged.path, 'blob');
        let result: IngestResult;
        try {
          result = await ingestLayer({
            source: layer.open(),
            blobFile,
            ...(existing ? {} : { apply: { ...ctx, root: diff, lowers } }),
          });
        } catch (e) {
          if (e instanceof LayerError) throw new ImageInputError(`layer ${i + 1} (${layer.label}): ${e.message}`);
          throw e;
        }
        if (layer.digest && result.digest !== layer.digest) {
          throw new ImageInputError(`layer ${i + 1} (${layer.label}) has digest ${result.digest}, but the manifest says ${layer.digest}`);
        }
        if (result.diffId !== diffIds[i]) {
          throw new ImageInputError(`layer ${i + 1} (${layer.label}) has diff_id ${result.diffId}, but the image config says ${diffIds[i]}`);
        }
        const mediaType = layer.mediaType ?? ociLayerType(result.compression);
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
      putBlobBytes(store, input.configBytes);
      let manifest = input.manifest;
      if (!manifest) {
        const m: Manifest = {
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: OCI_CONFIG, digest: id, size: input.configBytes.length },
          layers: blobs.map((b) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size })),
        };
        const bytes = Buffer.from(JSON.stringify(m));
        manifest = { bytes, digest: sha256Digest(bytes), mediaType: OCI_MANIFEST };
      }
      putBlobBytes(store, manifest.bytes);
      const prior = store.getImage(id);
      const names = [...new Set([...(prior?.names ?? []), ...input.names])];
      const repoDigests = [...new Set([...(prior?.repoDigests ?? []), ...(input.repoDigests ?? [])])];
      // A tag names one image: move it.
      for (const other of store.listImages()) {
        if (other.id === id) continue;
        const keep = other.names.filter((n) => !input.names.includes(n));
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
      };
      store.putImage(rec);
      return rec;
    });
  } finally {
    pin.release();
  }
}

function layerBlob(store: Store, rec: LayerRecord, input: LayerInput): { digest: string; mediaType: string; size: number } {
  if (!input.digest || input.digest === rec.digest) return { digest: rec.digest, mediaType: rec.mediaType, size: rec.compressedSize };
  return { digest: input.digest, mediaType: input.mediaType ?? rec.mediaType, size: statSync(store.blobPath(input.digest)).size };
}
