// Manifests and indexes as they come off the wire: classify by media type, validate the
// fields hx relies on, pick a platform out of an index. Schema 1 is refused here.
import { HxError } from '../../errors.js';
import { BLOB_ALGORITHMS, checkDescriptor as checkWith } from '../descriptor.js';
import { formatPlatform, platformMatches, type Platform } from '../platform.js';
import type { Descriptor, Index, Manifest } from '../media.js';
import { INDEX_TYPES, IMAGE_MANIFEST_TYPES, SCHEMA1_TYPES, OCI_INDEX, OCI_MANIFEST } from './media-types.js';

export type { Descriptor } from '../media.js';
export type ImageManifest = Manifest;
export type ImageIndex = Index;

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; index: ImageIndex }
  | { kind: 'image'; mediaType: string; manifest: ImageManifest };

export class ManifestError extends HxError {
  constructor(message: string, hint?: string) {
    super(message, { kind: 'data', hint });
    this.name = 'ManifestError';
  }
}

export function refuseManifest(message: string, hint?: string): never {
  throw new ManifestError(message, hint);
}

function checkDescriptor(d: unknown, where: string, algorithms?: readonly string[]): Descriptor {
  return checkWith(d, where, refuseManifest, algorithms);
}

/**
 * Parse manifest bytes. `contentType` is the registry's Content-Type (or the descriptor's
 * media type); the body's own mediaType, when present, must agree with it.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, what: string): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ManifestError(`${what}: the manifest is not valid JSON`);
  }
  if (!doc || typeof doc !== 'object') throw new ManifestError(`${what}: the manifest is not a JSON object`);
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const header = contentType?.split(';')[0]?.trim();
  if (doc.schemaVersion === 1 || (header && SCHEMA1_TYPES.has(header) && header !== 'application/json' && !declared)) {
    throw new ManifestError(
      `${what} uses the Docker image manifest schema 1, which is deprecated and not supported`,
      're-push the image with a current tool (e.g. `skopeo copy --format v2s2` or docker 1.10+) so it has a schema 2 or OCI manifest',
    );
  }
  if (doc.schemaVersion !== 2) throw new ManifestError(`${what}: unsupported manifest schemaVersion ${String(doc.schemaVersion)}`);
  // Which type is it? The body's mediaType wins when present (and must match the header);
  // otherwise the header; otherwise the shape (OCI allows mediaType to be absent).
  let mediaType = declared;
  if (declared && header && header !== declared && (INDEX_TYPES.has(header) || IMAGE_MANIFEST_TYPES.has(header))) {
    throw new ManifestError(`${what}: the registry says ${header} but the manifest says ${declared}`);
  }
  if (!mediaType && header && (INDEX_TYPES.has(header) || IMAGE_MANIFEST_TYPES.has(header))) mediaType = header;
  if (!mediaType) mediaType = Array.isArray(doc.manifests) ? OCI_INDEX : OCI_MANIFEST;

  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new ManifestError(`${what}: the index has no "manifests" list`);
    // Entries are checked for form only: the one chosen must use an algorithm hx verifies (pull.ts).
    const manifests = doc.manifests.map((d, i) => checkDescriptor(d, `${what}: index manifests[${i}]`));
    return { kind: 'index', mediaType, index: { ...(doc as unknown as ImageIndex), manifests } };
  }
  if (IMAGE_MANIFEST_TYPES.has(mediaType)) {
    // Every blob is checked before the first is requested: an algorithm hx cannot verify
    // (md5, or sha512 the store does not key by) is refused here, not after a download.
    const config = checkDescriptor(doc.config, `${what}: manifest config`, BLOB_ALGORITHMS);
    if (!Array.isArray(doc.layers)) throw new ManifestError(`${what}: the manifest has no "layers" list`);
    const layers = doc.layers.map((d, i) => checkDescriptor(d, `${what}: manifest layers[${i}]`, BLOB_ALGORITHMS));
    return { kind: 'image', mediaType, manifest: { ...(doc as unknown as ImageManifest), config, layers } };
  }
  throw new ManifestError(`${what} has media type ${mediaType}, which is not an image`, 'hx pulls container images (OCI or Docker schema 2)');
}

/** The first index entry for the platform (image-index.md: first match SHOULD be used). */
export function selectPlatform(index: ImageIndex, wanted: Platform, what: string): Descriptor {
  const images = index.manifests.filter((d) => IMAGE_MANIFEST_TYPES.has(d.mediaType) || INDEX_TYPES.has(d.mediaType));
  const found = images.find((d) => d.platform && platformMatches(d.platform, wanted));
  if (found) return found;
  const available = [...new Set(images.filter((d) => d.platform && d.platform.os !== 'unknown').map((d) => formatPlatform(d.platform!)))];
  throw new ManifestError(
    `${what} has no image for platform ${formatPlatform(wanted)}`,
    available.length ? `it has: ${available.join(', ')}; choose one with --platform` : 'the index lists no platforms',
  );
}
