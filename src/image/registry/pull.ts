// `hx pull`: reference -> (mirror or) registry -> manifest or index -> the platform's
// manifest -> config -> layers downloaded in parallel into the blob store (verified while
// streaming) and applied in order while later ones still download -> image record.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { HxError } from '../../errors.js';
import type { LayerContext } from '../../layer/context.js';
import { chainIds } from '../../store/digest.js';
import type { ImageRecord, Store } from '../../store/store.js';
import { storeImage, type StoreImageEvent } from '../store-image.js';
import { parseImageConfig, type ImageConfig } from '../config.js';
import { checkDigest, MANIFEST_ALGORITHMS, refuseSize } from '../descriptor.js';
import { formatPlatform, hostPlatform, platformMatches, type Platform } from '../platform.js';
import { formatReference, repositoryName, type ImageReference } from '../reference.js';
import { findImage } from '../resolve.js';
import type { RegistrySession, RepositoryClient } from './client.js';
import { digestOf } from './client.js';
import { BlobDownload, DownloadFollower } from './download.js';
import { DigestMismatchError } from './errors.js';
import type { RegistryEventSink } from './events.js';
import { parseManifest, refuseManifest, selectPlatform, ManifestError, type ImageManifest } from './manifest.js';

export interface PullRequest {
  reference: ImageReference;
  /** Explicit --platform; the host's platform when undefined. */
  platform?: Platform | undefined;
  session: RegistrySession;
  store: Store;
  layerContext: LayerContext;
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

/** A config's platform; a missing os or architecture is the host's, as docker reads it. */
function configPlatform(c: ImageConfig): Platform {
  const host = hostPlatform();
  return { os: c.os || host.os, architecture: c.architecture || host.architecture, variant: c.variant ?? undefined };
}

function imagePlatformOk(store: Store, rec: ImageRecord, wanted: Platform): boolean {
  try {
    return platformMatches(configPlatform(parseImageConfig(store.readBlob(rec.id))), wanted);
  } catch {
    return false;
  }
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
    const have = req.store.listImages().find((i) => i.repoDigests.includes(`${repoName}@${ref.digest}`));
    if (have && imagePlatformOk(req.store, have, wanted)) {
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
  const { store, reference: ref } = req;
  const repo = source.repo;
  const repoName = repositoryName(ref);
  const refText = formatReference(ref);
  const reference = ref.digest ?? ref.tag!;
  const tagName = ref.digest === undefined ? `${repoName}:${ref.tag}` : undefined;

  // A tag pulled before: HEAD first, so an unchanged image costs no manifest GET.
  if (tagName) {
    const existing = findImage(store, tagName);
    if (existing) {
      const head = await repo.headManifest(reference).catch(() => undefined);
      if (head?.digest && existing.repoDigests.includes(`${repoName}@${head.digest}`) && imagePlatformOk(store, existing, wanted)) {
        emit({ type: 'pulled', id: existing.id, digest: head.digest, reference: refText, upToDate: true });
        return { id: existing.id, digest: head.digest, reference: refText, upToDate: true };
      }
    }
  }

  const what = `${repo.name}:${reference}`;
  const top = await repo.getManifest(reference);
  let parsed = parseManifest(top.bytes, top.mediaType, what);
  let manifest = { bytes: top.bytes, digest: top.digest, mediaType: parsed.mediaType };
  let fromIndex = false;
  if (parsed.kind === 'index') {
    const entry = selectPlatform(parsed.index, wanted, what);
    checkDigest(entry.digest, `${what}: index entry for ${formatPlatform(wanted)}`, refuseManifest, MANIFEST_ALGORITHMS);
    const fetched = await repo.getManifest(entry.digest);
    parsed = parseManifest(fetched.bytes, fetched.mediaType ?? entry.mediaType, `${what} (${formatPlatform(wanted)})`);
    if (parsed.kind !== 'image') throw new ManifestError(`${what}: the index entry for ${formatPlatform(wanted)} is itself an index`);
    manifest = { bytes: fetched.bytes, digest: fetched.digest, mediaType: parsed.mediaType };
    fromIndex = true;
  }
  const image: ImageManifest = parsed.manifest;

  // The config: small, fetched whole (exactly its descriptor's size) and verified, then
  // validated before any layer is requested.
  const configWhere = `${what}: manifest config`;
  let configBytes: Buffer | undefined;
  if (store.hasBlob(image.config.digest)) {
    configBytes = store.readBlob(image.config.digest);
    if (digestOf(configBytes, 'sha256') !== image.config.digest) configBytes = undefined;
    else if (configBytes.length !== image.config.size) refuseSize(image.config.size, configBytes.length, configWhere, refuseManifest);
  }
  configBytes ??= await repo.getBlobBytes(image.config.digest, image.config.size, configWhere);
  let config: ImageConfig;
  try {
    config = parseImageConfig(configBytes);
  } catch (e) {
    throw new ManifestError(`${what}: ${(e as Error).message}`, e instanceof HxError ? e.hint : undefined);
  }
  if (!fromIndex && !platformMatches(configPlatform(config), wanted)) {
    const have = formatPlatform(configPlatform(config));
    if (req.platform) throw new ManifestError(`${what} is for ${have}, not ${formatPlatform(wanted)}`, 'the registry has no image for the platform asked for');
    emit({ type: 'warning', message: `the image's platform (${have}) does not match this host (${formatPlatform(wanted)})` });
  }
  if (config.rootfs.diff_ids.length !== image.layers.length) {
    throw new ManifestError(`${what}: the config lists ${config.rootfs.diff_ids.length} layers but the manifest ${image.layers.length}`);
  }
  emit({ type: 'resolved', reference: refText, digest: top.digest, platform: formatPlatform(configPlatform(config)), source: source.label });
  emit({ type: 'layers', layers: image.layers.map((l) => ({ digest: l.digest, size: l.size })) });

  const chains = chainIds(config.rootfs.diff_ids);
  const pin = await store.locked(() => store.pin(chains, [...image.layers.map((l) => l.digest), image.config.digest]));
  const temp = store.tempDir('pull');
  const downloads: (BlobDownload | undefined)[] = [];
  const published = new Set<number>();
  let failure: Error | undefined;
  const followers = new Set<DownloadFollower>();
  try {
    // What to download: layers not in the store (by chain ID with this blob) and blobs not kept from an earlier pull.
    image.layers.forEach((l, i) => {
      const existing = store.getLayer(chains[i]!);
      if (existing && (existing.digest === l.digest || store.hasBlob(l.digest))) {
        emit({ type: 'layer', index: i, digest: l.digest, status: 'exists' });
        return;
      }
      if (store.hasBlob(l.digest)) {
        emit({ type: 'layer', index: i, digest: l.digest, status: 'downloaded', current: l.size, total: l.size });
        return;
      }
      const d = new BlobDownload(repo, l.digest, l.size, join(temp.path, `${i}-${l.digest.replace(':', '-')}`), req.session.retryPolicy());
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
        await store.locked(() => {
          pin.add([], [d.digest]);
          store.commitBlob(d.file, d.digest);
          published.add(i);
        });
        emit({ type: 'layer', index: i, digest: d.digest, status: 'downloaded', current: d.total, total: d.total });
      }
    };
    const downloading = Promise.all(Array.from({ length: Math.min(limit, queue.length) }, () => worker())).catch((e: Error) => {
      abortAll(e);
      throw e;
    });
    downloading.catch(() => {});

    const open = (i: number): Readable => {
      if (failure) throw failure;
      const d = downloads[i];
      const digest = image.layers[i]!.digest;
      if (!d || published.has(i)) return createReadStream(store.blobPath(digest), { highWaterMark: 1 << 20 });
      const f = new DownloadFollower(d);
      followers.add(f);
      f.on('close', () => followers.delete(f));
      return f;
    };
    const onStore = (e: StoreImageEvent): void => {
      const digest = image.layers[e.index]!.digest;
      if (e.type === 'layer-start') emit({ type: 'layer', index: e.index, digest, status: 'extracting' });
      else if (e.type === 'layer-done') emit({ type: 'layer', index: e.index, digest, status: 'complete' });
    };
    const storing = storeImage(
      store,
      {
        configBytes,
        layers: image.layers.map((l, i) => ({ open: () => open(i), digest: l.digest, mediaType: l.mediaType, label: `layer ${l.digest.slice(7, 19)}` })),
        names: tagName ? [tagName] : [],
        manifest,
        repoDigests: [`${repoName}@${top.digest}`],
      },
      req.layerContext,
      onStore,
    );
    let rec: ImageRecord;
    try {
      rec = await storing;
    } catch (e) {
      abortAll(e as Error);
      await downloading.catch(() => {});
      // A download's own failure says more than the layer writer's "stream destroyed".
      throw failure instanceof DigestMismatchError || (failure && failure !== e) ? failure : e;
    }
    await downloading;
    emit({ type: 'pulled', id: rec.id, digest: top.digest, reference: refText, upToDate: false });
    return { id: rec.id, digest: top.digest, reference: refText, upToDate: false };
  } finally {
    temp.release(true);
    pin.release();
  }
}
