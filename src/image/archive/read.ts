// What images an archive holds, as ImageSources: docker-archive (manifest.json, legacy
// <id>/layer.tar or Docker 25+ blobs/), OCI image layout (oci-layout, index.json, blobs/),
// or both at once. Every JSON document is verified against the digest that names it; a
// layer is read only when its open() is.
import { createHash } from 'node:crypto';
import { HxError, wrap } from '../../errors.js';
import { detectCompression } from '../../layer/decompress.js';
import { formatReference, parseNormalized } from '../reference.js';
import { ArchiveError, type ArchiveSource } from './source.js';
import { parseImageConfig } from '../config.js';
import { BLOB_ALGORITHMS, checkDescriptor, refuseSize } from '../descriptor.js';
import { INDEX_TYPES, MANIFEST_TYPES, ociLayerType, type Descriptor, type Index, type Manifest } from '../media.js';
import type { ImageSource, LayerSource, RawManifest } from '../source.js';

/** A layer as the archive's metadata lists it. */
interface ListedLayer {
  member: string;
  /** The blob digest the manifest promises (OCI, Docker 25+); absent for legacy layer.tar. */
  digest?: string;
  /** Absent in a docker-archive's manifest.json: the blob's magic bytes tell. */
  mediaType?: string;
}

/** An image as the archive's metadata lists it, before its config is parsed. */
interface ListedImage {
  configBytes: Buffer;
  configDigest: string;
  layers: ListedLayer[];
  names: string[];
  manifest?: RawManifest;
}

const HEX64 = /[a-f0-9]{64}/;

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function json<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (e) {
    throw new ArchiveError(`${what} is not valid JSON (${(e as Error).message})`);
  }
}

function blobMember(digest: string): string {
  const m = /^([a-z0-9]+):([a-f0-9]+)$/.exec(digest);
  if (!m || (m[1] === 'sha256' && m[2]!.length !== 64)) throw new ArchiveError(`invalid digest "${digest}" in the archive`);
  return `blobs/${m[1]}/${m[2]}`;
}

function refuseArchive(message: string, hint?: string): never {
  throw new ArchiveError(message, hint);
}

/** A descriptor of the layout, checked as the spec types it; blobs here are sha256 only. */
function descriptor(d: unknown, where: string): Descriptor {
  return checkDescriptor(d, where, refuseArchive, BLOB_ALGORITHMS);
}

function readBlob(src: ArchiveSource, desc: Descriptor, what: string, where: string): Buffer {
  const member = blobMember(desc.digest);
  if (!src.has(member)) throw new ArchiveError(`the archive lacks ${what} ${desc.digest}`, 'the archive is incomplete: create it again');
  const bytes = src.readFile(member);
  if (sha256(bytes) !== desc.digest) throw new ArchiveError(`${what} ${desc.digest} does not match its digest`, 'the archive is corrupt');
  // The right bytes, but a descriptor that lies about their length.
  if (bytes.length !== desc.size) refuseSize(desc.size, bytes.length, where, refuseArchive);
  return bytes;
}

/**
 * Is NAME (manifest.json, index.json, oci-layout) in the archive as a regular file?
 * A link is refused as what it is, not reported as a missing file.
 */
function hasMetadata(src: ArchiveSource, name: string): boolean {
  const e = src.entry(name);
  if (!e) return false;
  const hint = 'docker save, podman save and skopeo write it as a plain file: create the archive again with one of them';
  if (e.type === 'symlink') throw new ArchiveError(`${name} is a symlink (to ${e.target}); archives must hold regular files`, hint);
  if (e.type === 'other') throw new ArchiveError(`${name} is not a regular file; archives must hold regular files`, hint);
  if (e.type === 'hardlink' && !src.has(name)) throw new ArchiveError(`${name} is a hard link to ${e.target}, which is not a file in the archive`, hint);
  return true;
}

/** A name from an archive, normalized; undefined for a bare tag or something unparsable. */
function normalizeName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  try {
    if (!/[/:]/.test(name) && name !== name.toLowerCase()) return undefined;
    const ref = parseNormalized(name);
    if (ref.digest) return undefined;
    return formatReference(ref);
  } catch {
    return undefined;
  }
}

function hostArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;
}

function readOci(src: ArchiveSource): ListedImage[] {
  const index = json<Index>(src.readFile('index.json'), 'index.json');
  if (!Array.isArray(index.manifests)) throw new ArchiveError('index.json has no manifests list');
  const byConfig = new Map<string, ListedImage>();
  const walk = (entry: unknown, where: string, names: string[], depth: number): void => {
    if (depth > 4) throw new ArchiveError('index.json nests indexes too deeply');
    const type = (entry as Partial<Descriptor> | null)?.mediaType;
    // unknown types MUST NOT be errors (image-index.md): only what is read is checked
    if (typeof type === 'string' && !INDEX_TYPES.has(type) && !MANIFEST_TYPES.has(type)) return;
    const desc = descriptor(entry, where);
    if (INDEX_TYPES.has(desc.mediaType)) {
      const inner = json<Index>(readBlob(src, desc, 'image index', where), `index ${desc.digest}`);
      const list: unknown[] = Array.isArray(inner.manifests) ? inner.manifests : [];
      const arch = hostArch();
      const pick = list.findIndex((d) => {
        const e = d as Partial<Descriptor> | null;
        return typeof e?.mediaType === 'string' && MANIFEST_TYPES.has(e.mediaType) && (!e.platform || (e.platform.os === 'linux' && e.platform.architecture === arch));
      });
      if (pick < 0) throw new ArchiveError(`index ${desc.digest} has no image for linux/${arch}`);
      walk(list[pick], `index ${desc.digest} manifests[${pick}]`, names, depth + 1);
      return;
    }
    const bytes = readBlob(src, desc, 'manifest', where);
    const m = json<Manifest>(bytes, `manifest ${desc.digest}`);
    if (m.schemaVersion !== 2 || !m.config || !Array.isArray(m.layers)) throw new ArchiveError(`manifest ${desc.digest} is not a schema 2 image manifest`);
    const config = descriptor(m.config, `manifest ${desc.digest} config`);
    const layerDescs = m.layers.map((l, i) => descriptor(l, `manifest ${desc.digest} layers[${i}]`));
    const configBytes = readBlob(src, config, 'image config', `manifest ${desc.digest} config`);
    const configDigest = config.digest;
    const existing = byConfig.get(configDigest);
    if (existing) {
      for (const n of names) if (!existing.names.includes(n)) existing.names.push(n);
      return;
    }
    byConfig.set(configDigest, {
      configBytes,
      configDigest,
      layers: layerDescs.map((l, i) => {
        const member = blobMember(l.digest);
        if (!src.has(member)) throw new ArchiveError(`the archive lacks layer ${l.digest}`, 'the archive is incomplete: create it again');
        const size = src.size(member);
        if (size !== l.size) refuseSize(l.size, size, `manifest ${desc.digest} layers[${i}]`, refuseArchive);
        return { member, digest: l.digest, mediaType: l.mediaType };
      }),
      names: [...names],
      manifest: { bytes, digest: desc.digest, mediaType: m.mediaType ?? desc.mediaType },
    });
  };
  index.manifests.forEach((desc: Partial<Descriptor> | null, i) => {
    const ann = desc?.annotations ?? {};
    // ref.name is often a bare tag (skopeo's oci:DIR:TAG writes just "TAG"): not a name.
    const refName = ann['org.opencontainers.image.ref.name'];
    const name = normalizeName(ann['io.containerd.image.name']) ?? (refName && /[/:]/.test(refName) ? normalizeName(refName) : undefined);
    walk(desc, `index.json manifests[${i}]`, name ? [name] : [], 0);
  });
  return [...byConfig.values()];
}

interface DockerEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function readDocker(src: ArchiveSource): ListedImage[] {
  const list = json<DockerEntry[]>(src.readFile('manifest.json'), 'manifest.json');
  if (!Array.isArray(list)) throw new ArchiveError('manifest.json is not a list of images');
  const out: ListedImage[] = [];
  for (const e of list) {
    if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers)) throw new ArchiveError('manifest.json has an entry without Config or Layers');
    if (!src.has(e.Config)) throw new ArchiveError(`the archive lacks the image config ${e.Config}`, 'the archive is incomplete: create it again');
    const configBytes = src.readFile(e.Config);
    const configDigest = sha256(configBytes);
    const named = HEX64.exec(e.Config);
    if (named && configDigest !== `sha256:${named[0]}`) throw new ArchiveError(`image config ${e.Config} does not match its digest`, 'the archive is corrupt');
    const layers = e.Layers.map((member): ListedLayer => {
      if (typeof member !== 'string') throw new ArchiveError('manifest.json lists a layer that is not a path');
      if (!src.has(member)) throw new ArchiveError(`the archive lacks layer ${member}`, 'the archive is incomplete: create it again');
      const blob = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(member.replace(/^\.\//, ''));
      return blob ? { member, digest: `sha256:${blob[1]}` } : { member };
    });
    const names = (e.RepoTags ?? []).map((t) => normalizeName(t)).filter((n): n is string => n !== undefined);
    const existing = out.find((i) => i.configDigest === configDigest);
    if (existing) {
      for (const n of names) if (!existing.names.includes(n)) existing.names.push(n);
      continue;
    }
    out.push({ configBytes, configDigest, layers, names });
  }
  return out;
}

/**
 * The images in SRC (docker-archive, OCI layout, or the dual format Docker 25+ writes),
 * their configs validated. Their layers read from SRC: use them while it is open.
 */
export function readArchive(src: ArchiveSource): ImageSource[] {
  // Every config is validated before the first image is stored (load is all or nothing).
  return readImages(src).map((img) => {
    let config;
    try {
      config = parseImageConfig(img.configBytes);
    } catch (e) {
      throw e instanceof HxError ? wrap(e, img.names[0] ?? img.configDigest) : e;
    }
    return {
      configBytes: img.configBytes,
      config,
      ...(img.manifest ? { manifest: img.manifest } : {}),
      names: img.names,
      repoDigests: [],
      layers: img.layers.map((l) => layerSource(src, l)),
    };
  });
}

function layerSource(src: ArchiveSource, l: ListedLayer): LayerSource {
  return {
    open: () => src.open(l.member),
    ...(l.digest ? { digest: l.digest } : {}),
    // A docker-archive names no media type: the blob's codec gives the OCI one.
    mediaType: l.mediaType ?? ociLayerType(detectCompression(src.head(l.member, 6))),
    size: src.size(l.member),
    label: l.member,
  };
}

function readImages(src: ArchiveSource): ListedImage[] {
  const docker = hasMetadata(src, 'manifest.json');
  const oci = hasMetadata(src, 'index.json') && hasMetadata(src, 'oci-layout');
  if (!docker && !oci) {
    throw new ArchiveError(`${src.description} is neither a docker-archive (no manifest.json) nor an OCI layout (no oci-layout and index.json)`, 'hx load takes what docker save, podman save or skopeo copy (oci-archive:, oci:, docker-archive:) write');
  }
  if (oci) {
    const layout = json<{ imageLayoutVersion?: string }>(src.readFile('oci-layout'), 'oci-layout');
    if (typeof layout.imageLayoutVersion !== 'string') throw new ArchiveError('oci-layout has no imageLayoutVersion');
  }
  if (!docker) return readOci(src);
  const images = readDocker(src);
  if (oci) {
    // Docker 25+: the same images, also described by OCI manifests (which carry the digests).
    for (const o of readOci(src)) {
      const d = images.find((i) => i.configDigest === o.configDigest);
      if (!d) continue;
      if (o.manifest) {
        d.manifest = o.manifest;
        // The OCI manifest names the layers' media types; manifest.json does not.
        d.layers.forEach((l, i) => {
          const named = o.layers[i];
          if (named?.mediaType && named.digest === l.digest) l.mediaType = named.mediaType;
        });
      }
      for (const n of o.names) if (!d.names.includes(n)) d.names.push(n);
    }
  }
  return images;
}
