// One shape for an image wherever it comes from (go-containerregistry's v1.Image, kept
// minimal): the config as bytes and parsed, the manifest when the source has one, the
// names and repository digests it carries, and the layers as streams of the blob as
// stored. Archives (archive/read.ts), the registry (registry/remote-image.ts), the store
// (store-source.ts), import (import.ts) and the built-in hello-world (hello.ts) make one;
// storeImage(), the archive writers and push take one; validateImageSource() checks any.
//
// A source states only what it knows before reading (a manifest's digests and sizes, the
// store's records); the helpers below derive the rest by reading the layers, as
// go-containerregistry's partial package derives a full Image from a minimal one.
import { createHash } from 'node:crypto';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompressor, detectCompression, type Compression } from '../layer/decompress.js';
import { parseImageConfig, type ImageConfig } from './config.js';
import { OCI_CONFIG, OCI_MANIFEST, type Descriptor, type Manifest } from './media.js';
import { sha256Digest } from '../store/digest.js';

/** A manifest exactly as the source holds it. */
export interface RawManifest {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

export interface LayerSource {
  /** The blob's digest, when known before reading (a manifest's, the store's). */
  digest?: string | undefined;
  /**
   * The uncompressed tar's digest, when the source measured it (the store, import). The
   * config's diff_ids are the claim every source makes; this is not a copy of them.
   */
  diffId?: string | undefined;
  /** What the blob is (OCI or Docker layer type); it names the compression. */
  mediaType: string;
  /** The blob's length, when known before reading. */
  size?: number | undefined;
  /** The uncompressed tar's length, when known (the store's records); spares writers a counting pass. */
  uncompressedSize?: number | undefined;
  /** For messages: an archive member, a blob digest, a file. */
  label: string;
  /**
   * A file holding exactly the blob, that the source made for this image and gives away
   * (commit's layer): a sink on the same filesystem moves it into its store instead of
   * writing a copy while it reads open(). open() must read this file.
   */
  ownedFile?: string | undefined;
  /**
   * The blob as stored (compressed or not), from its first byte. May be called again: each
   * call is a new stream. A pull's may follow a download still in progress.
   */
  open(): Readable;
}

export interface ImageSource {
  readonly configBytes: Buffer;
  /** configBytes as parseImageConfig reads them. */
  readonly config: ImageConfig;
  readonly manifest?: RawManifest | undefined;
  /** Normalized tagged references (docker.io/library/busybox:latest). */
  readonly names: readonly string[];
  /** repository@digest entries (docker's RepoDigests). */
  readonly repoDigests: readonly string[];
  readonly layers: readonly LayerSource[];
}

export interface ImageParts {
  configBytes: Buffer;
  layers: LayerSource[];
  names?: readonly string[];
  repoDigests?: readonly string[];
  manifest?: RawManifest | undefined;
}

/** An ImageSource from its parts; the config is parsed here (throws ImageConfigError). */
export function imageSource(parts: ImageParts): ImageSource {
  return {
    configBytes: parts.configBytes,
    config: parseImageConfig(parts.configBytes),
    ...(parts.manifest ? { manifest: parts.manifest } : {}),
    names: parts.names ?? [],
    repoDigests: parts.repoDigests ?? [],
    layers: parts.layers,
  };
}

/** "sha256:HEX" of BYTES (the store's one function, under the name this module's callers use). */
export const sha256Of: (bytes: Uint8Array) => string = sha256Digest;

/** The image ID: the digest of the config bytes. */
export function imageId(src: ImageSource): string {
  return sha256Of(src.configBytes);
}

/** What reading a layer blob once shows. */
export interface LayerFacts {
  digest: string;
  size: number;
  compression: Compression;
  diffId: string;
  uncompressedSize: number;
}

/**
 * STREAM split into its first bytes (enough to recognise a codec) and the same bytes
 * again from the start, so a stream that cannot be reopened can be sniffed.
 */
async function peek(stream: Readable, want = 6): Promise<{ head: Buffer; whole: Readable; abandon(): void }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  try {
    while (length < want) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      chunks.push(r.value);
      length += r.value.length;
    }
  } catch (e) {
    stream.destroy();
    throw e;
  }
  const head = Buffer.concat(chunks);
  async function* again(): AsyncGenerator<Buffer> {
    try {
      if (head.length) yield head;
      if (ended) return;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } finally {
      // Stopped early (an error downstream): let the source go too.
      await it.return?.();
    }
  }
  const whole = Readable.from(again(), { objectMode: false });
  return {
    head,
    whole,
    abandon: () => {
      whole.destroy();
      stream.destroy();
    },
  };
}

/** The codec of HEAD, the stream given up when it is one hx cannot decode. */
function codecOf(head: Buffer, abandon: () => void): Compression {
  try {
    return detectCompression(head);
  } catch (e) {
    abandon();
    throw e;
  }
}

/** The uncompressed tar of LAYER (its codec recognised by magic bytes, not by the media type). */
export async function openUncompressed(layer: LayerSource): Promise<{ stream: Readable; compression: Compression }> {
  const { head, whole, abandon } = await peek(layer.open());
  const compression = codecOf(head, abandon);
  if (compression === 'none') return { stream: whole, compression };
  const d = decompressor(compression).stream;
  whole.on('error', (e) => d.destroy(e));
  d.on('error', () => whole.destroy());
  whole.pipe(d);
  return { stream: d, compression };
}

/** Read LAYER once: the blob's digest and size, its codec, the tar's digest and size (ONTAR sees the tar's bytes). */
export async function measureLayer(layer: LayerSource, onTar?: (chunk: Buffer) => void): Promise<LayerFacts> {
  const { head, whole, abandon } = await peek(layer.open());
  const compression = codecOf(head, abandon);
  const blobHash = createHash('sha256');
  const tarHash = createHash('sha256');
  let size = 0;
  let uncompressedSize = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      blobHash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const sink = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      tarHash.update(chunk);
      uncompressedSize += chunk.length;
      try {
        onTar?.(chunk);
      } catch (e) {
        cb(e as Error);
        return;
      }
      cb();
    },
  });
  await pipeline(whole, tap, decompressor(compression).stream, sink);
  return { digest: `sha256:${blobHash.digest('hex')}`, size, compression, diffId: `sha256:${tarHash.digest('hex')}`, uncompressedSize };
}

/** LAYER's descriptor: what it states, what it lacks measured by reading it. */
export async function layerDescriptor(layer: LayerSource): Promise<Descriptor> {
  if (layer.digest !== undefined && layer.size !== undefined) return { mediaType: layer.mediaType, digest: layer.digest, size: layer.size };
  const facts = await measureLayer(layer);
  return { mediaType: layer.mediaType, digest: layer.digest ?? facts.digest, size: layer.size ?? facts.size };
}

/** The length of LAYER's uncompressed tar: stated, or counted by reading it. */
export async function uncompressedSize(layer: LayerSource): Promise<number> {
  return layer.uncompressedSize ?? (await measureLayer(layer)).uncompressedSize;
}

/** SRC's manifest, or an OCI manifest made from its config and layer descriptors when it has none. */
export async function manifestOf(src: ImageSource): Promise<RawManifest> {
  if (src.manifest) return src.manifest;
  const layers: Descriptor[] = [];
  for (const l of src.layers) layers.push(await layerDescriptor(l));
  const m: Manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: imageId(src), size: src.configBytes.length },
    layers,
  };
  const bytes = Buffer.from(JSON.stringify(m));
  return { bytes, digest: sha256Of(bytes), mediaType: OCI_MANIFEST };
}
