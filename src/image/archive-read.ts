// What images an archive holds: docker-archive (manifest.json, legacy <id>/layer.tar or
// Docker 25+ blobs/), OCI image layout (oci-layout, index.json, blobs/), or both at once.
// Every JSON document is verified against the digest that names it.
import { createHash } from 'node:crypto';
import { formatReference, parseNormalized } from './reference.js';
import { ArchiveError, type ArchiveSource } from './archive-source.js';
import { INDEX_TYPES, MANIFEST_TYPES, type Descriptor, type Index, type Manifest } from './media.js';

export interface SourceLayer {
  member: string;
  /** The blob digest the manifest promises (OCI, Docker 25+); absent for legacy layer.tar. */
  digest?: string;
  mediaType?: string;
}

export interface SourceImage {
  configBytes: Buffer;
  configDigest: string;
  layers: SourceLayer[];
  names: string[];
  manifest?: { bytes: Buffer; digest: string; mediaType: string };
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

function readBlob(src: ArchiveSource, desc: Descriptor, what: string): Buffer {
  const member = blobMember(desc.digest);
  if (!src.has(member)) throw new ArchiveError(`the archive lacks ${what} ${desc.digest}`, 'the archive is incomplete: create it again');
  const bytes = src.readFile(member);
  if (sha256(bytes) !== desc.digest) throw new ArchiveError(`${what} ${desc.digest} does not match its digest`, 'the archive is corrupt');
  return bytes;
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

function readOci(src: ArchiveSource): SourceImage[] {
  const index = json<Index>(src.readFile('index.json'), 'index.json');
  if (!Array.isArray(index.manifests)) throw new ArchiveError('index.json has no manifests list');
  const byConfig = new Map<string, SourceImage>();
  const walk = (desc: Descriptor, names: string[], depth: number): void => {
    if (depth > 4) throw new ArchiveError('index.json nests indexes too deeply');
    if (INDEX_TYPES.has(desc.mediaType)) {
      const inner = json<Index>(readBlob(src, desc, 'image index'), `index ${desc.digest}`);
      const list = inner.manifests ?? [];
      const arch = hostArch();
      const pick = list.find((d) => MANIFEST_TYPES.has(d.mediaType) && (!d.platform || (d.platform.os === 'linux' && d.platform.architecture === arch)));
      if (!pick) throw new ArchiveError(`index ${desc.digest} has no image for linux/${arch}`);
      walk(pick, names, depth + 1);
      return;
    }
    if (!MANIFEST_TYPES.has(desc.mediaType)) return; // unknown types MUST NOT be errors (image-index.md)
    const bytes = readBlob(src, desc, 'manifest');
    const m = json<Manifest>(bytes, `manifest ${desc.digest}`);
    if (m.schemaVersion !== 2 || !m.config || !Array.isArray(m.layers)) throw new ArchiveError(`manifest ${desc.digest} is not a schema 2 image manifest`);
    const configBytes = readBlob(src, m.config, 'image config');
    const configDigest = m.config.digest;
    const existing = byConfig.get(configDigest);
    if (existing) {
      for (const n of names) if (!existing.names.includes(n)) existing.names.push(n);
      return;
    }
    byConfig.set(configDigest, {
      configBytes,
      configDigest,
      layers: m.layers.map((l) => ({ member: blobMember(l.digest), digest: l.digest, mediaType: l.mediaType })),
      names: [...names],
      manifest: { bytes, digest: desc.digest, mediaType: m.mediaType ?? desc.mediaType },
    });
  };
  for (const desc of index.manifests) {
    const ann = desc.annotations ?? {};
    // ref.name is often a bare tag (skopeo's oci:DIR:TAG writes just "TAG"): not a name.
    const refName = ann['org.opencontainers.image.ref.name'];
    const name = normalizeName(ann['io.containerd.image.name']) ?? (refName && /[/:]/.test(refName) ? normalizeName(refName) : undefined);
    walk(desc, name ? [name] : [], 0);
  }
  return [...byConfig.values()];
}

interface DockerEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function readDocker(src: ArchiveSource): SourceImage[] {
  const list = json<DockerEntry[]>(src.readFile('manifest.json'), 'manifest.json');
  if (!Array.isArray(list)) throw new ArchiveError('manifest.json is not a list of images');
  const out: SourceImage[] = [];
  for (const e of list) {
    if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers)) throw new ArchiveError('manifest.json has an entry without Config or Layers');
    if (!src.has(e.Config)) throw new ArchiveError(`the archive lacks the image config ${e.Config}`, 'the archive is incomplete: create it again');
    const configBytes = src.readFile(e.Config);
    const configDigest = sha256(configBytes);
    const named = HEX64.exec(e.Config);
    if (named && configDigest !== `sha256:${named[0]}`) throw new ArchiveError(`image config ${e.Config} does not match its digest`, 'the archive is corrupt');
    const layers = e.Layers.map((member): SourceLayer => {
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

/** The images in SRC (docker-archive, OCI layout, or the dual format Docker 25+ writes). */
export function readArchive(src: ArchiveSource): SourceImage[] {
  const docker = src.has('manifest.json');
  const oci = src.has('index.json') && src.has('oci-layout');
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
      if (o.manifest) d.manifest = o.manifest;
      for (const n of o.names) if (!d.names.includes(n)) d.names.push(n);
    }
  }
  return images;
}
