// `hx pull`: reference -> (mirror or) registry -> a RemoteImage for the platform (manifest
// or index, config) -> layers downloaded in parallel into files (verified while streaming)
// and published as they finish, while the destination stores the image with each layer
// read as its download follows -> the image's id. What is local comes in through a
// PullDestination the engine passes (the store); this module imports no store.
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { HxError } from '../../errors.js';
import type { ImageConfig } from '../config.js';
import { checkDigest, MANIFEST_ALGORITHMS } from '../descriptor.js';
import { formatPlatform, hostPlatform, imagePlatform, platformMatches, type Platform } from '../platform.js';
import { formatReference, repositoryName, type ImageReference } from '../reference.js';
import type { ImageSource } from '../source.js';
import type { RegistrySession, RepositoryClient } from './client.js';
import { BlobDownload, DownloadFollower } from './download.js';
import { DigestMismatchError } from './errors.js';
import type { RegistryEventSink } from './events.js';
import { ManifestError, refuseManifest } from './manifest.js';
import { resolveRemoteImage } from './remote-image.js';

/** An image the destination has already. */
export interface LocalImage {
  id: string;
  repoDigests: readonly string[];
  /** Its config; undefined when it cannot be read. */
  config: ImageConfig | undefined;
}

/** The local side of a pull: what a pull asks of the store, and nothing else. */
export interface PullDestination {
  /** The first image here recorded under REPODIGEST (repo@digest), or tagged NAME (repo:tag). */
  findImage(by: { repoDigest: string } | { name: string }): LocalImage | undefined;
  /** A blob's bytes, when they are here (the caller checks them against their digest). */
  readBlob(digest: string): Buffer | undefined;
  /** Start receiving SRC: what it needs (its layers, config and blobs) is kept until release(). */
  begin(src: ImageSource): Promise<PullReception>;
}

export interface PullReception {
  /** A directory for downloads in progress (removed at release). */
  readonly dir: string;
  /** What is here of layer INDEX: applied ('layer', with its blob or an equivalent one), its blob only ('blob'), or nothing. */
  has(index: number): 'layer' | 'blob' | undefined;
  /** A downloaded, verified blob: FILE becomes the destination's (moved). */
  publishBlob(file: string, digest: string): Promise<void>;
  /** A blob that is here, as a stream. */
  openBlob(digest: string): Readable;
  /** Store the image, each layer read through its open(); resolves with the image's id. */
  storeImage(src: ImageSource, onLayer: (index: number, status: 'extracting' | 'complete') => void): Promise<string>;
  release(): void;
}

export interface PullRequest {
  reference: ImageReference;
  /** Explicit --platform; the host's platform when undefined. */
  platform?: Platform | undefined;
  session: RegistrySession;
  destination: PullDestination;
  onEvent?: RegistryEventSink;
}

export interface PullResult {
  id: string;
  /** The digest the reference resolved to (an index's, when it was one). */
  digest: string;
  reference: string;
  upToDate: boolean;
}

interface Source {
  repo: RepositoryClient;
  label: string;
  mirror: boolean;
}

function platformOk(image: LocalImage, wanted: Platform): boolean {
  return image.config !== undefined && platformMatches(imagePlatform(image.config), wanted);
}

/** Try each mirror, then the registry; a mirror's failure is a warning, the registry's is the error. */
export async function pullImage(req: PullRequest): Promise<PullResult> {
  const emit = req.onEvent ?? (() => {});
  const ref = req.reference;
  if (ref.tag === undefined && ref.digest === undefined) throw new HxError('internal: pull needs a tag or a digest');
  const wanted = req.platform ?? hostPlatform();
  const repoName = repositoryName(ref);
  if (ref.digest) checkDigest(ref.digest, formatReference(ref), refuseManifest, MANIFEST_ALGORITHMS);
  // A digest already pulled for this repository and platform costs no request at all.
  if (ref.digest) {
    const have = req.destination.findImage({ repoDigest: `${repoName}@${ref.digest}` });
    if (have && platformOk(have, wanted)) {
      emit({ type: 'pulled', id: have.id, digest: ref.digest, reference: formatReference(ref), upToDate: true });
      return { id: have.id, digest: ref.digest, reference: formatReference(ref), upToDate: true };
    }
  }
  const sources: Source[] = req.session.mirrors(ref.domain).map((m) => ({
    repo: m.endpoint.repository(m.prefix ? `${m.prefix}/${ref.path}` : ref.path),
    label: `mirror ${m.endpoint.name}`,
    mirror: true,
  }));
  sources.push({ repo: req.session.endpoint(ref.domain).repository(ref.path), label: ref.domain, mirror: false });
  for (const source of sources) {
    try {
      return await pullFrom(req, source, wanted, emit);
    } catch (e) {
      if (!source.mirror || e instanceof ManifestError) throw e;
      emit({ type: 'warning', message: `${source.label} failed (${(e as Error).message}); trying the next source` });
    }
  }
  throw new HxError('internal: no pull source');
}

async function pullFrom(req: PullRequest, source: Source, wanted: Platform, emit: RegistryEventSink): Promise<PullResult> {
  const { destination, reference: ref } = req;
  const repo = source.repo;
  const repoName = repositoryName(ref);
  const refText = formatReference(ref);
  const tagName = ref.digest === undefined ? `${repoName}:${ref.tag}` : undefined;

  // A tag pulled before: HEAD first, so an unchanged image costs no manifest GET.
  if (tagName) {
    const existing = destination.findImage({ name: tagName });
    if (existing) {
      const head = await repo.headManifest(ref.tag!).catch(() => undefined);
      if (head?.digest && existing.repoDigests.includes(`${repoName}@${head.digest}`) && platformOk(existing, wanted)) {
        emit({ type: 'pulled', id: existing.id, digest: head.digest, reference: refText, upToDate: true });
        return { id: existing.id, digest: head.digest, reference: refText, upToDate: true };
      }
    }
  }

  const remote = await resolveRemoteImage(repo, ref, {
    platform: req.platform,
    knownBlob: (d) => destination.readBlob(d),
    onWarning: (message) => emit({ type: 'warning', message }),
  });
  const descs = remote.parsedManifest.layers;
  emit({ type: 'resolved', reference: refText, digest: remote.digest, platform: formatPlatform(remote.platform), source: source.label });
  emit({ type: 'layers', layers: descs.map((l) => ({ digest: l.digest, size: l.size })) });

  const reception = await destination.begin(remote);
  const downloads: (BlobDownload | undefined)[] = [];
  const published = new Set<number>();
  let failure: Error | undefined;
  const followers = new Set<DownloadFollower>();
  try {
    // What to download: layers not here (by chain ID with this blob) and blobs not kept from an earlier pull.
    descs.forEach((l, i) => {
      const have = reception.has(i);
      if (have === 'layer') {
        emit({ type: 'layer', index: i, digest: l.digest, status: 'exists' });
        return;
      }
      if (have === 'blob') {
        emit({ type: 'layer', index: i, digest: l.digest, status: 'downloaded', current: l.size, total: l.size });
        return;
      }
      const d = new BlobDownload(repo, l.digest, l.size, join(reception.dir, `${i}-${l.digest.replace(':', '-')}`), req.session.retryPolicy());
      d.on('progress', (p: { written: number; total: number }) => emit({ type: 'layer', index: i, digest: l.digest, status: 'downloading', current: p.written, total: p.total }));
      d.on('retry', (e: Error, delayMs: number, attempt: number) => emit({ type: 'retry', what: `layer ${l.digest.slice(7, 19)}`, reason: e.message, delayMs, attempt }));
      downloads[i] = d;
      emit({ type: 'layer', index: i, digest: l.digest, status: 'waiting', current: 0, total: l.size });
    });

    const abortAll = (e: Error): void => {
      failure ??= e;
      for (const d of downloads) d?.abort(e);
      for (const f of followers) f.destroy(e);
    };

    // Downloads run N at a time in manifest order, so the layer applied next is always among them.
    const queue = downloads.map((d, i) => ({ d, i })).filter((x): x is { d: BlobDownload; i: number } => x.d !== undefined);
    const limit = Math.max(1, req.session.config.maxConcurrentDownloads);
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next && !failure; next = queue.shift()) {
        const { d, i } = next;
        await d.run();
        await reception.publishBlob(d.file, d.digest);
        published.add(i);
        emit({ type: 'layer', index: i, digest: d.digest, status: 'downloaded', current: d.total, total: d.total });
      }
    };
    const downloading = Promise.all(Array.from({ length: Math.min(limit, queue.length) }, () => worker())).catch((e: Error) => {
      abortAll(e);
      throw e;
    });
    downloading.catch(() => {});

    // Each layer read from the destination once its blob is there, else following its download.
    const open = (i: number): Readable => {
      if (failure) throw failure;
      const d = downloads[i];
      if (!d || published.has(i)) return reception.openBlob(descs[i]!.digest);
      const f = new DownloadFollower(d);
      followers.add(f);
      f.on('close', () => followers.delete(f));
      return f;
    };
    const following: ImageSource = {
      configBytes: remote.configBytes,
      config: remote.config,
      manifest: remote.manifest,
      names: remote.names,
      repoDigests: remote.repoDigests,
      layers: remote.layers.map((l, i) => ({ ...l, open: () => open(i) })),
    };
    const onLayer = (index: number, status: 'extracting' | 'complete'): void => emit({ type: 'layer', index, digest: descs[index]!.digest, status });
    let id: string;
    try {
      id = await reception.storeImage(following, onLayer);
    } catch (e) {
      abortAll(e as Error);
      await downloading.catch(() => {});
      // A download's own failure says more than the layer writer's "stream destroyed".
      throw failure instanceof DigestMismatchError || (failure && failure !== e) ? failure : e;
    }
    await downloading;
    emit({ type: 'pulled', id, digest: remote.digest, reference: refText, upToDate: false });
    return { id, digest: remote.digest, reference: refText, upToDate: false };
  } finally {
    reception.release();
  }
}
