// An image in a registry resolved for one platform, as an ImageSource: the manifest (the
// platform's entry when the reference names an index), the config fetched whole (exactly
// its descriptor's size), verified and validated before any layer is asked for, and the
// layers as verified blob streams. Nothing here knows a store: a pull (pull.ts) downloads
// the layers into files and gives the sink layers that follow those downloads.
import type { Readable } from 'node:stream';
import { HxError } from '../../errors.js';
import { parseImageConfig, type ImageConfig } from '../config.js';
import { checkDigest, MANIFEST_ALGORITHMS, refuseSize } from '../descriptor.js';
import { formatPlatform, hostPlatform, imagePlatform, platformMatches, type Platform } from '../platform.js';
import { repositoryName, type ImageReference } from '../reference.js';
import type { ImageSource, LayerSource, RawManifest } from '../source.js';
import { digestOf, type RepositoryClient } from './client.js';
import { blobStream } from './download.js';
import { ManifestError, parseManifest, refuseManifest, selectPlatform, type Descriptor, type ImageManifest } from './manifest.js';

export interface ResolveOptions {
  /** The platform asked for (--platform); the host's when undefined, and then a mismatch is only a warning. */
  platform?: Platform | undefined;
  /** A blob the caller holds already (a config pulled before), checked here against the manifest. */
  knownBlob?: (digest: string) => Buffer | undefined;
  onWarning?: (message: string) => void;
}

export class RemoteImage implements ImageSource {
  readonly names: readonly string[];
  readonly repoDigests: readonly string[];
  readonly layers: readonly LayerSource[];

  constructor(
    readonly repository: RepositoryClient,
    readonly reference: ImageReference,
    /** The digest the reference resolved to (the index's, when it named one). */
    readonly digest: string,
    readonly manifest: RawManifest,
    readonly parsedManifest: ImageManifest,
    readonly configBytes: Buffer,
    readonly config: ImageConfig,
  ) {
    const repo = repositoryName(reference);
    this.names = reference.digest === undefined && reference.tag !== undefined ? [`${repo}:${reference.tag}`] : [];
    this.repoDigests = [`${repo}@${digest}`];
    this.layers = parsedManifest.layers.map((d) => remoteLayer(repository, d));
  }

  /** The platform the config gives (a missing os or architecture is the host's, as docker reads it). */
  get platform(): Platform {
    return imagePlatform(this.config);
  }
}

function remoteLayer(repo: RepositoryClient, d: Descriptor): LayerSource {
  return {
    digest: d.digest,
    mediaType: d.mediaType,
    size: d.size,
    label: `layer ${d.digest.slice(7, 19)}`,
    open: (): Readable => blobStream(repo, d.digest, d.size),
  };
}

/**
 * REFERENCE (a tag or a digest) in REPO, for the platform wanted: the top manifest, the
 * platform's manifest out of an index, the config. Throws ManifestError for what the
 * registry serves wrongly.
 */
export async function resolveRemoteImage(repo: RepositoryClient, reference: ImageReference, o: ResolveOptions = {}): Promise<RemoteImage> {
  const wanted = o.platform ?? hostPlatform();
  const ref = reference.digest ?? reference.tag;
  if (ref === undefined) throw new HxError('internal: a registry image needs a tag or a digest');
  const what = `${repo.name}:${ref}`;
  const top = await repo.getManifest(ref);
  let parsed = parseManifest(top.bytes, top.mediaType, what);
  let manifest: RawManifest = { bytes: top.bytes, digest: top.digest, mediaType: parsed.mediaType };
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
  const image = parsed.manifest;

  const configWhere = `${what}: manifest config`;
  let configBytes = o.knownBlob?.(image.config.digest);
  if (configBytes !== undefined) {
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
  if (!fromIndex && !platformMatches(imagePlatform(config), wanted)) {
    const have = formatPlatform(imagePlatform(config));
    if (o.platform) throw new ManifestError(`${what} is for ${have}, not ${formatPlatform(wanted)}`, 'the registry has no image for the platform asked for');
    o.onWarning?.(`the image's platform (${have}) does not match this host (${formatPlatform(wanted)})`);
  }
  if (config.rootfs.diff_ids.length !== image.layers.length) {
    throw new ManifestError(`${what}: the config lists ${config.rootfs.diff_ids.length} layers but the manifest ${image.layers.length}`);
  }
  return new RemoteImage(repo, reference, top.digest, manifest, image, configBytes, config);
}
