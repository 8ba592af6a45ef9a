// Writing image archives from ImageSources (the store's, for `hx save`): docker-archive
// (the legacy layout `docker save` and `podman save` write: <config>.json,
// <layer>/layer.tar uncompressed, manifest.json, repositories) and oci-archive
// (oci-layout, index.json, blobs/sha256/*). Streams: a layer is never held in memory,
// every layer.tar is checked against its diff_id and every blob against its digest as it
// is written.
import { createHash } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { HxError } from '../../errors.js';
import { encodeTarHeader, tarPadding, TAR_END } from '../../layer/tar/write.js';
import { OCI_INDEX, type Manifest } from '../media.js';
import { familiarName, parseReference } from '../reference.js';
import { imageId, layerDescriptor, manifestOf, openUncompressed, uncompressedSize, type ImageSource } from '../source.js';

const MTIME = 0; // fixed: the same images give the same archive bytes

class TarOut {
  constructor(private readonly out: Writable) {}

  private async put(buf: Buffer): Promise<void> {
    if (buf.length === 0) return;
    if (!this.out.write(buf)) await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.out.off('error', onError);
        resolve();
      };
      const onError = (e: Error): void => {
        this.out.off('drain', onDrain);
        reject(e);
      };
      this.out.once('drain', onDrain);
      this.out.once('error', onError);
    });
  }

  async dir(name: string): Promise<void> {
    await this.put(encodeTarHeader({ name: `${name}/`, type: 'dir', mode: 0o755, mtime: MTIME }));
  }

  async file(name: string, data: Buffer): Promise<void> {
    await this.put(encodeTarHeader({ name, type: 'file', mode: 0o644, size: data.length, mtime: MTIME }));
    await this.put(data);
    await this.put(tarPadding(data.length));
  }

  async symlink(name: string, target: string): Promise<void> {
    await this.put(encodeTarHeader({ name, type: 'symlink', mode: 0o777, linkname: target, mtime: MTIME }));
  }

  /** A member of SIZE bytes from SOURCE; CHECK sees every byte (and may throw). */
  async stream(name: string, size: number, source: Readable, check?: (chunk: Buffer) => void): Promise<void> {
    await this.put(encodeTarHeader({ name, type: 'file', mode: 0o644, size, mtime: MTIME }));
    let n = 0;
    for await (const raw of source) {
      const chunk = raw as Buffer;
      n += chunk.length;
      if (n > size) throw new HxError(`${name}: more data than the ${size} bytes recorded`, { hint: 'the store is damaged: remove the image and load it again' });
      check?.(chunk);
      await this.put(chunk);
    }
    if (n !== size) throw new HxError(`${name}: ${n} bytes instead of the ${size} recorded`, { hint: 'the store is damaged: remove the image and load it again' });
    await this.put(tarPadding(size));
  }

  async end(): Promise<void> {
    await this.put(TAR_END);
  }
}

function shortNames(names: readonly string[]): string[] {
  return names.map((n) => {
    try {
      return familiarName(parseReference(n));
    } catch {
      return n;
    }
  });
}

/** The hex of a sha256 digest, for member names. */
function hexOf(digest: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m) throw new HxError(`not a sha256 digest: ${digest}`, { kind: 'data' });
  return m[1]!;
}

export async function writeDockerArchive(images: readonly ImageSource[], out: Writable): Promise<void> {
  const tar = new TarOut(out);
  const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const written = new Set<string>();
  for (const img of images) {
    const id = imageId(img);
    const configName = `${hexOf(id)}.json`;
    if (!written.has(configName)) {
      await tar.file(configName, img.configBytes);
      written.add(configName);
    }
    const diffIds = img.config.rootfs.diff_ids;
    const layers: string[] = [];
    for (const [i, layer] of img.layers.entries()) {
      const diffId = diffIds[i];
      if (diffId === undefined) throw new HxError(`image ${id} has more layers than its config lists`, { kind: 'data' });
      const dir = hexOf(diffId);
      const member = `${dir}/layer.tar`;
      layers.push(member);
      if (written.has(member)) continue;
      written.add(member);
      await tar.dir(dir);
      await tar.file(`${dir}/VERSION`, Buffer.from('1.0'));
      const size = await uncompressedSize(layer);
      const hash = createHash('sha256');
      await tar.stream(member, size, (await openUncompressed(layer)).stream, (c) => hash.update(c));
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== diffId) {
        throw new HxError(`layer ${i + 1} of ${id} no longer matches its diff_id`, { hint: 'the store is damaged: remove the image and load it again' });
      }
    }
    const tags = shortNames(img.names);
    manifest.push({ Config: configName, RepoTags: tags.length ? tags : null, Layers: layers });
    const top = layers.at(-1)?.split('/')[0] ?? '';
    for (const t of tags) {
      const colon = t.lastIndexOf(':');
      const repo = t.slice(0, colon);
      (repositories[repo] ??= {})[t.slice(colon + 1)] = top;
    }
  }
  await tar.file('manifest.json', Buffer.from(JSON.stringify(manifest)));
  await tar.file('repositories', Buffer.from(JSON.stringify(repositories)));
  await tar.end();
}

export async function writeOciArchive(images: readonly ImageSource[], out: Writable): Promise<void> {
  const tar = new TarOut(out);
  await tar.file('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  await tar.dir('blobs');
  await tar.dir('blobs/sha256');
  const written = new Set<string>();
  const blob = async (digest: string, size: number, open: () => Readable): Promise<void> => {
    if (written.has(digest)) return;
    written.add(digest);
    const hash = createHash('sha256');
    await tar.stream(`blobs/sha256/${hexOf(digest)}`, size, open(), (c) => hash.update(c));
    if (`sha256:${hash.digest('hex')}` !== digest) throw new HxError(`blob ${digest} in the store is damaged`, { hint: 'remove the image and load or pull it again' });
  };
  const bytes = (b: Buffer) => (): Readable => readableOf(b);
  const index: { schemaVersion: number; mediaType: string; manifests: object[] } = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
  for (const img of images) {
    const manifest = await manifestOf(img);
    const m = JSON.parse(manifest.bytes.toString()) as Manifest;
    if (!Array.isArray(m.layers) || m.layers.length !== img.layers.length) {
      throw new HxError(`the manifest of ${imageId(img)} does not list its ${img.layers.length} layers`, { kind: 'data', hint: 'the store is damaged: remove the image and load it again' });
    }
    for (const [i, layer] of img.layers.entries()) {
      const d = await layerDescriptor(layer);
      // The manifest names the blobs: write the ones it names, from the layer that is each.
      if (d.digest !== m.layers[i]!.digest) throw new HxError(`layer ${i + 1} of ${imageId(img)} is not the blob its manifest names`, { kind: 'data' });
      await blob(d.digest, d.size, () => layer.open());
    }
    await blob(imageId(img), img.configBytes.length, bytes(img.configBytes));
    await blob(manifest.digest, manifest.bytes.length, bytes(manifest.bytes));
    const base = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length };
    if (img.names.length === 0) index.manifests.push(base);
    for (const name of img.names) {
      index.manifests.push({ ...base, annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name } });
    }
  }
  await tar.file('index.json', Buffer.from(JSON.stringify(index)));
  await tar.end();
}

function readableOf(b: Buffer): Readable {
  return Readable.from([b]);
}
