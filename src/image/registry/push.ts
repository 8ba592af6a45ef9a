// `hx push`: an image from the store to a registry. Each blob is checked with HEAD and
// skipped when present, mounted from another repository of the same registry when the
// image came from there, or uploaded (monolithic, or chunked when configured) at the
// Location the registry gives, used exactly. Layers stored uncompressed are gzipped on
// the way out. The manifest goes last, with its media type.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { HxError, UsageError } from '../../errors.js';
import type { ImageRecord, Store } from '../../store/store.js';
import { formatReference, parseReference, repositoryName, type ImageReference } from '../reference.js';
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
  image: ImageRecord;
  destination: ImageReference;
  format?: PushFormat | undefined;
  session: RegistrySession;
  store: Store;
  onEvent?: RegistryEventSink;
}

export interface PushResult {
  reference: string;
  digest: string;
  size: number;
}

interface BlobToSend {
  descriptor: Descriptor;
  /** A file holding exactly the blob's bytes. */
  file: string;
}

function layerType(format: PushFormat, compression: 'gzip' | 'zstd' | 'none'): string {
  if (format === 'v2s2') {
    if (compression === 'zstd') throw new UsageError('a zstd-compressed layer cannot be pushed in the Docker v2s2 format', 'push with --format oci');
    return compression === 'gzip' ? DOCKER_LAYER_GZIP : DOCKER_LAYER;
  }
  return compression === 'gzip' ? OCI_LAYER_GZIP : compression === 'zstd' ? OCI_LAYER_ZSTD : OCI_LAYER;
}

/** gzip a stored tar into a temp file, hashing the output; returns its descriptor. */
async function compressToFile(src: string, dest: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(createReadStream(src, { highWaterMark: 1 << 20 }), createGzip({ chunkSize: 1 << 20 }), tap, createWriteStream(dest, { mode: 0o600 }));
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** Other repositories of the destination registry this image is known in (mount sources). */
function mountSources(image: ImageRecord, dest: ImageReference): string[] {
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
  const { store, image, destination: dest } = req;
  const emit = req.onEvent ?? (() => {});
  if (dest.digest) throw new UsageError(`cannot push to a digest reference (${formatReference(dest)})`, 'give a tag, e.g. host/repo:1.0');
  const tag = dest.tag ?? 'latest';
  const storedBytes = store.readBlob(image.manifestDigest);
  const stored = JSON.parse(storedBytes.toString('utf8')) as ImageManifest;
  const storedFormat: PushFormat = image.manifestMediaType === DOCKER_MANIFEST ? 'v2s2' : 'oci';
  const format = req.format ?? storedFormat;

  const temp = store.tempDir('push');
  const pin = await store.locked(() => store.pin(image.layers, [image.id, image.manifestDigest, ...stored.layers.map((l) => l.digest)]));
  try {
    // What goes out: each layer compressed (gzip when stored as plain tar), then the config.
    let changed = format !== storedFormat;
    const blobs: BlobToSend[] = [];
    for (const [i, l] of stored.layers.entries()) {
      const compression = layerCompression(l.mediaType);
      if (compression === undefined) throw new HxError(`layer ${i + 1} of the image has media type ${l.mediaType}, which hx cannot push`);
      if (!store.hasBlob(l.digest)) throw new HxError(`the blob of layer ${i + 1} (${l.digest}) is missing from the store`, { hint: 'pull or load the image again' });
      if (compression === 'none') {
        emit({ type: 'push-layer', digest: l.digest, status: 'compressing' });
        const file = join(temp.path, `layer-${i}.tar.gz`);
        const c = await compressToFile(store.blobPath(l.digest), file);
        blobs.push({ descriptor: { mediaType: layerType(format, 'gzip'), digest: c.digest, size: c.size }, file });
        changed = true;
      } else {
        const mediaType = layerType(format, compression);
        if (mediaType !== l.mediaType) changed = true;
        blobs.push({ descriptor: { ...l, mediaType }, file: store.blobPath(l.digest) });
      }
    }
    const configType = format === 'v2s2' ? DOCKER_CONFIG : OCI_CONFIG;
    if (configType !== stored.config.mediaType) changed = true;
    const configBlob: BlobToSend = { descriptor: { mediaType: configType, digest: image.id, size: statSync(store.blobPath(image.id)).size }, file: store.blobPath(image.id) };

    let manifestBytes = storedBytes;
    let manifestType = image.manifestMediaType;
    if (changed) {
      manifestType = format === 'v2s2' ? DOCKER_MANIFEST : OCI_MANIFEST;
      const m: ImageManifest = {
        schemaVersion: 2,
        mediaType: manifestType,
        config: configBlob.descriptor,
        layers: blobs.map((b) => ({ mediaType: b.descriptor.mediaType, digest: b.descriptor.digest, size: b.descriptor.size })),
        ...(format === 'oci' && stored.annotations ? { annotations: stored.annotations } : {}),
      };
      manifestBytes = Buffer.from(JSON.stringify(m));
    }

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

    const digest = await withRetries(req.session.retryPolicy(), () => repo.putManifest(tag, manifestBytes, manifestType));
    // Record where the image now is, like docker's RepoDigests after a push.
    await store.locked(() => {
      const fresh = store.getImage(image.id);
      const entry = `${repositoryName(dest)}@${digest}`;
      if (fresh && !fresh.repoDigests.includes(entry)) store.putImage({ ...fresh, repoDigests: [...fresh.repoDigests, entry] });
    });
    const reference = formatReference({ ...dest, tag });
    emit({ type: 'pushed', reference, tag, digest, size: manifestBytes.length });
    return { reference, digest, size: manifestBytes.length };
  } finally {
    pin.release();
    temp.release(true);
  }
}

/** A counting stream over a file, for progress. */
function fileStream(file: string, start: number, end: number | undefined, onBytes: (n: number) => void): Readable {
  const s = createReadStream(file, { start, ...(end !== undefined ? { end } : {}), highWaterMark: 1 << 20 });
  s.on('data', (c) => onBytes((c as Buffer).length));
  return s;
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
        for (let start = 0; start < size; start += chunk) {
          const end = Math.min(size, start + chunk);
          const piece = await readRange(b.file, start, end);
          location = await repo.uploadChunk(location, piece, start);
          onBytes(piece.length);
        }
        await repo.completeUpload(location, digest, undefined, 0);
      } else {
        await repo.completeUpload(location, digest, () => fileStream(b.file, 0, undefined, onBytes), size);
      }
    } catch (e) {
      await repo.cancelUpload(location);
      if (e instanceof TransientError) sent = 0;
      throw e;
    }
    report('pushed', { current: size });
  });
}

async function readRange(file: string, start: number, end: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(file, { start, end: end - 1 })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

