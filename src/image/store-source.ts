// An image of the store as an ImageSource, for save and push: the stored config and
// manifest bytes as they are, the layers the manifest names with their blobs read from
// the blob store, diff_ids and uncompressed sizes from the layer records. Opened pinned,
// so a concurrent rmi and GC cannot take its blobs while it is read.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { HxError } from '../errors.js';
import type { ImageRecord, Pin, Store } from '../store/store.js';
import { parseImageConfig, type ImageConfig } from './config.js';
import type { Manifest } from './media.js';
import type { ImageSource, LayerSource, RawManifest } from './source.js';

function damaged(message: string): HxError {
  return new HxError(message, { kind: 'data', hint: 'the store is damaged: remove the image and pull or load it again' });
}

export class StoreImage implements ImageSource {
  readonly names: readonly string[];
  readonly repoDigests: readonly string[];

  private constructor(
    readonly record: ImageRecord,
    readonly configBytes: Buffer,
    readonly config: ImageConfig,
    readonly manifest: RawManifest,
    readonly layers: readonly LayerSource[],
    private readonly pin: Pin,
  ) {
    this.names = record.names;
    this.repoDigests = record.repoDigests;
  }

  /** REC of STORE as a source, pinned until release(). Its blobs are checked to be there, not read. */
  static async open(store: Store, rec: ImageRecord): Promise<StoreImage> {
    let manifestBytes: Buffer | undefined;
    const pin = await store.locked(() => {
      manifestBytes = store.hasBlob(rec.manifestDigest) ? store.readBlob(rec.manifestDigest) : undefined;
      const listed = manifestBytes ? layerDigests(manifestBytes) : [];
      return store.pin(rec.layers, [rec.id, rec.manifestDigest, ...listed]);
    });
    try {
      if (!manifestBytes) throw damaged(`the manifest of image ${rec.id} (${rec.manifestDigest}) is missing from the store`);
      if (!store.hasBlob(rec.id)) throw damaged(`the config of image ${rec.id} is missing from the store`);
      const configBytes = store.readBlob(rec.id);
      const config = parseImageConfig(configBytes);
      let m: Manifest;
      try {
        m = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
      } catch {
        throw damaged(`the manifest of image ${rec.id} is not valid JSON`);
      }
      if (!Array.isArray(m.layers) || m.layers.length !== rec.layers.length) {
        throw damaged(`the manifest of image ${rec.id} lists ${Array.isArray(m.layers) ? m.layers.length : 'no'} layers, the image record ${rec.layers.length}`);
      }
      const layers = m.layers.map((d, i): LayerSource => {
        if (!store.hasBlob(d.digest)) throw new HxError(`the blob of layer ${i + 1} (${d.digest}) is missing from the store`, { kind: 'data', hint: 'pull or load the image again' });
        const layer = store.getLayer(rec.layers[i]!);
        return {
          digest: d.digest,
          mediaType: d.mediaType,
          size: d.size,
          // The record's tar is the same whichever blob of it the manifest names.
          ...(layer ? { diffId: layer.diffId, uncompressedSize: layer.size } : {}),
          label: `blob ${d.digest.slice(7, 19)}`,
          open: (): Readable => createReadStream(store.blobPath(d.digest), { highWaterMark: 1 << 20 }),
        };
      });
      return new StoreImage(rec, configBytes, config, { bytes: manifestBytes, digest: rec.manifestDigest, mediaType: rec.manifestMediaType }, layers, pin);
    } catch (e) {
      pin.release();
      throw e;
    }
  }

  /** Let GC have its blobs again. */
  release(): void {
    this.pin.release();
  }
}

function layerDigests(manifestBytes: Buffer): string[] {
  try {
    const m = JSON.parse(manifestBytes.toString('utf8')) as Partial<Manifest>;
    return Array.isArray(m.layers) ? m.layers.map((l) => l.digest).filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return [];
  }
}
