// `hx push`: an ImageSource (the store's, from the engine) to a registry. Each blob is
// checked with HEAD and skipped when present, mounted from another repository of the same
// registry when the image came from there, or uploaded (monolithic, or chunked when
// configured) at the Location the registry gives, used exactly. Uncompressed layers are
// gzipped on the way out (into the work dir the caller gives). The manifest goes last,
// with its media type; the caller records where the image now is.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { writeCompressed } from '../../layer/compress.js';
import { HxError, UsageError } from '../../errors.js';
import { formatReference, parseReference, type ImageReference } from '../reference.js';
import { imageId, layerDescriptor, type ImageSource } from '../source.js';
import type { RegistrySession, RepositoryClient } from './client.js';
import { AuthError } from './errors.js';
import type { RegistryEventSink } from './events.js';
import { TransientError, withRetries } from './http.js';
import {
  DOCKER_CONFIG, DOCKER_LAYER, DOCKER_LAYER_GZIP, DOCKER_MANIFEST, OCI_CONFIG, OCI_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD, OCI_MANIFEST,
  layerCompression,
} from './media-types.js';
import type { Descriptor, ImageManifest } from './manifest.js';

export type PushFormat = 'oci' | 'v2s2';

export interface PushRequest {
  image: ImageSource;
  destination: ImageReference;
  format?: PushFormat | undefined;
  session: RegistrySession;
  /** A directory the push may write temporary files into (gzipped layers). */
  workDir: string;
  onEvent?: RegistryEventSink;
}

export interface PushResult {
  reference: string;
  digest: string;
  size: number;
}

interface BlobToSend {
  descriptor: Descriptor;
  /** Exactly the blob's bytes, from the start (called again for a retry). */
  open(): Readable;
}

function layerType(format: PushFormat, compression: 'gzip' | 'zstd' | 'none'): string {
  if (format === 'v2s2') {
    if (compression === 'zstd') throw new UsageError('a zstd-compressed layer cannot be pushed in the Docker v2s2 format', 'push with --format oci');
    return compression === 'gzip' ? DOCKER_LAYER_GZIP : DOCKER_LAYER;
  }
  return compression === 'gzip' ? OCI_LAYER_GZIP : compression === 'zstd' ? OCI_LAYER_ZSTD : OCI_LAYER;
}

/** gzip a tar into a temp file (on every core: layer/compress.ts), hashing the output; returns its descriptor. */
async function compressToFile(src: Readable, dest: string): Promise<{ digest: string; size: number }> {
  const blob = await writeCompressed(src, dest, { compression: 'gzip' });
  return { digest: blob.digest, size: blob.compressedSize };
}

/** Other repositories of the destination registry this image is known in (mount sources). */
function mountSources(image: ImageSource, dest: ImageReference): string[] {
  const out = new Set<string>();
  for (const name of [...image.repoDigests, ...image.names]) {
    try {
      const r = parseReference(name);
      if (r.domain === dest.domain && r.path !== dest.path) out.add(r.path);
    } catch {
      /* not a reference */
    }
  }
  return [...out];
}

export async function pushImage(req: PushRequest): Promise<PushResult> {
  const { image, destination: dest } = req;
  const emit = req.onEvent ?? (() => {});
  if (dest.digest) throw new UsageError(`cannot push to a digest reference (${formatReference(dest)})`, 'give a tag, e.g. host/repo:1.0');
  const tag = dest.tag ?? 'latest';
  const stored = image.manifest ? (JSON.parse(image.manifest.bytes.toString('utf8')) as ImageManifest) : undefined;
  const storedFormat: PushFormat = image.manifest?.mediaType === DOCKER_MANIFEST ? 'v2s2' : 'oci';
  const format = req.format ?? storedFormat;

  // What goes out: each layer compressed (gzip when it is a plain tar), then the config.
  let changed = !stored || format !== storedFormat;
  const blobs: BlobToSend[] = [];
  for (const [i, l] of image.layers.entries()) {
    const compression = layerCompression(l.mediaType);
    if (compression === undefined) throw new HxError(`layer ${i + 1} of the image has media type ${l.mediaType}, which hx cannot push`);
    if (compression === 'none') {
      emit({ type: 'push-layer', digest: l.digest ?? l.label, status: 'compressing' });
      const file = join(req.workDir, `layer-${i}.tar.gz`);
      const c = await compressToFile(l.open(), file);
      blobs.push({ descriptor: { mediaType: layerType(format, 'gzip'), digest: c.digest, size: c.size }, open: () => createReadStream(file, { highWaterMark: 1 << 20 }) });
      changed = true;
    } else {
      const mediaType = layerType(format, compression);
      if (mediaType !== l.mediaType) changed = true;
      const d = await layerDescriptor(l);
      blobs.push({ descriptor: { ...d, mediaType }, open: () => l.open() });
    }
  }
  const configType = format === 'v2s2' ? DOCKER_CONFIG : OCI_CONFIG;
  if (configType !== stored?.config.mediaType) changed = true;
  const configBlob: BlobToSend = { descriptor: { mediaType: configType, digest: imageId(image), size: image.configBytes.length }, open: () => Readable.from([image.configBytes]) };

  const manifest = !changed && image.manifest ? image.manifest : newManifest(format, configBlob, blobs, stored);

  const repo = req.session.endpoint(dest.domain).repository(dest.path, ['pull', 'push']);
  // Fail before sending anything when the token says we may not push here.
  const granted = await repo.grantedActions().catch((e: unknown) => {
    if (e instanceof AuthError) throw e;
    return undefined;
  });
  if (granted && !granted.has('push') && !granted.has('*')) {
    throw new AuthError(
      `${dest.domain} does not grant push access to ${dest.path}${granted.size ? ` (granted: ${[...granted].join(', ')})` : ''}`,
      401,
      false,
      `log in with an account that may push there (hx login ${dest.domain})`,
    );
  }

  const sources = mountSources(image, dest);
  const all = [...blobs, configBlob];
  for (const b of blobs) emit({ type: 'push-layer', digest: b.descriptor.digest, status: 'preparing' });
  const queue = [...all];
  const limit = Math.max(1, req.session.config.maxConcurrentUploads);
  const worker = async (): Promise<void> => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      await sendBlob(repo, b, sources, req.session, emit, b !== configBlob);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, all.length) }, () => worker()));

  const digest = await withRetries(req.session.retryPolicy(), () => repo.putManifest(tag, manifest.bytes, manifest.mediaType));
  const reference = formatReference({ ...dest, tag });
  emit({ type: 'pushed', reference, tag, digest, size: manifest.bytes.length });
  return { reference, digest, size: manifest.bytes.length };
}

/** The manifest of what goes out, in FORMAT (the source's annotations kept for OCI). */
function newManifest(format: PushFormat, config: BlobToSend, layers: BlobToSend[], source: ImageManifest | undefined): { bytes: Buffer; mediaType: string } {
  const mediaType = format === 'v2s2' ? DOCKER_MANIFEST : OCI_MANIFEST;
  const m: ImageManifest = {
    schemaVersion: 2,
    mediaType,
    config: config.descriptor,
    layers: layers.map((b) => ({ mediaType: b.descriptor.mediaType, digest: b.descriptor.digest, size: b.descriptor.size })),
    ...(format === 'oci' && source?.annotations ? { annotations: source.annotations } : {}),
  };
  return { bytes: Buffer.from(JSON.stringify(m)), mediaType };
}

/** BLOB's bytes, counted for progress. */
function counted(b: BlobToSend, onBytes: (n: number) => void): Readable {
  const s = b.open();
  s.on('data', (c) => onBytes((c as Buffer).length));
  return s;
}

/** STREAM cut into pieces of SIZE bytes (the last one shorter). */
async function* piecesOf(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let length = 0;
  for await (const raw of stream) {
    let chunk = raw as Buffer;
    while (length + chunk.length >= size) {
      const take = size - length;
      held.push(chunk.subarray(0, take));
      yield Buffer.concat(held);
      held = [];
      length = 0;
      chunk = chunk.subarray(take);
    }
    if (chunk.length) {
      held.push(chunk);
      length += chunk.length;
    }
  }
  if (length) yield Buffer.concat(held);
}

async function sendBlob(repo: RepositoryClient, b: BlobToSend, sources: string[], session: RegistrySession, emit: RegistryEventSink, isLayer: boolean): Promise<void> {
  const { digest, size } = b.descriptor;
  const report = (status: 'exists' | 'mounted' | 'pushing' | 'pushed', extra: { current?: number; from?: string } = {}): void => {
    if (isLayer) emit({ type: 'push-layer', digest, status, total: size, ...extra });
  };
  await withRetries(session.retryPolicy(), async () => {
    if ((await repo.headBlob(digest)) !== undefined) {
      report('exists');
      return;
    }
    let location: URL | undefined;
    for (const from of sources) {
      if (!(await repo.mayMountFrom(from))) continue;
      try {
        const r = await repo.startUpload({ digest, from });
        if (r.mounted) {
          report('mounted', { from });
          return;
        }
        // 202: the registry refused the mount and opened an upload session instead.
        location = r.location;
        break;
      } catch (e) {
        if (!(e instanceof AuthError)) throw e;
      }
    }
    let minChunk = 0;
    if (!location) {
      const r = await repo.startUpload();
      if (r.mounted) return;
      location = r.location;
      minChunk = r.minChunk;
    }
    let sent = 0;
    const onBytes = (n: number): void => {
      sent += n;
      report('pushing', { current: sent });
    };
    try {
      // Honour the registry's OCI-Chunk-Min-Length (the last chunk may be shorter).
      const chunk = session.config.chunkSize > 0 ? Math.max(session.config.chunkSize, minChunk) : 0;
      if (chunk > 0 && size > chunk) {
        let start = 0;
        for await (const piece of piecesOf(b.open(), chunk)) {
          location = await repo.uploadChunk(location, piece, start);
          start += piece.length;
          onBytes(piece.length);
        }
        if (start !== size) throw new HxError(`blob ${digest} has ${start} bytes, not the ${size} its descriptor says`, { kind: 'data' });
        await repo.completeUpload(location, digest, undefined, 0);
      } else {
        await repo.completeUpload(location, digest, () => counted(b, onBytes), size);
      }
    } catch (e) {
      await repo.cancelUpload(location);
      if (e instanceof TransientError) sent = 0;
      throw e;
    }
    report('pushed', { current: size });
  });
}
