// Writing image archives: docker-archive (the legacy layout `docker save` and
// `podman save` write: <config>.json, <layer>/layer.tar uncompressed, manifest.json,
// repositories) and oci-archive (oci-layout, index.json, blobs/sha256/*). Streams: a
// layer is never held in memory, and every layer.tar is checked against its diff_id as
// it is written.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { HxError } from '../../errors.js';
import { decompressor, detectCompression } from '../../layer/decompress.js';
import { encodeTarHeader, tarPadding, TAR_END } from '../../layer/tar/write.js';
import { digestHex } from '../../store/digest.js';
import type { ImageRecord, Store } from '../../store/store.js';
import { OCI_INDEX, type Manifest } from '../media.js';
import { parseImageConfig } from '../config.js';
import { familiarName, parseReference } from '../reference.js';

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

function shortNames(rec: ImageRecord): string[] {
  return rec.names.map((n) => {
    try {
      return familiarName(parseReference(n));
    } catch {
      return n;
    }
  });
}

/** The uncompressed layer tar of a stored blob. */
function openUncompressed(store: Store, digest: string): Readable {
  const path = store.blobPath(digest);
  const head = Buffer.alloc(6);
  const fd = openSync(path, 'r');
  const n = readSync(fd, head, 0, 6, 0);
  closeSync(fd);
  const kind = detectCompression(head.subarray(0, n));
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (kind === 'none') return raw;
  return raw.pipe(decompressor(kind).stream);
}


export async function writeDockerArchive(store: Store, images: ImageRecord[], out: Writable): Promise<void> {
  const tar = new TarOut(out);
  const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const written = new Set<string>();
  for (const img of images) {
    const configBytes = store.readBlob(img.id);
    const config = parseImageConfig(configBytes);
    const configName = `${digestHex(img.id)}.json`;
    if (!written.has(configName)) {
      await tar.file(configName, configBytes);
      written.add(configName);
    }
    const layers: string[] = [];
    for (let i = 0; i < img.layers.length; i++) {
      const rec = store.getLayer(img.layers[i]!);
      if (!rec) throw new HxError(`layer ${img.layers[i]} of ${img.id} is missing`, { hint: 'remove the image and load it again' });
      const dir = digestHex(rec.diffId);
      const member = `${dir}/layer.tar`;
      layers.push(member);
      if (written.has(member)) continue;
      written.add(member);
      await tar.dir(dir);
      await tar.file(`${dir}/VERSION`, Buffer.from('1.0'));
      const hash = createHash('sha256');
      await tar.stream(member, rec.size, openUncompressed(store, rec.digest), (c) => hash.update(c));
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== config.rootfs.diff_ids[i]) {
        throw new HxError(`layer ${i + 1} of ${img.id} no longer matches its diff_id`, { hint: 'the store is damaged: remove the image and load it again' });
      }
    }
    const tags = shortNames(img);
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

export async function writeOciArchive(store: Store, images: ImageRecord[], out: Writable): Promise<void> {
  const tar = new TarOut(out);
  await tar.file('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  await tar.dir('blobs');
  await tar.dir('blobs/sha256');
  const written = new Set<string>();
  const blob = async (digest: string): Promise<number> => {
    const path = store.blobPath(digest);
    const size = statSync(path).size;
    if (written.has(digest)) return size;
    written.add(digest);
    const hash = createHash('sha256');
    await tar.stream(`blobs/sha256/${digestHex(digest)}`, size, createReadStream(path, { highWaterMark: 1 << 20 }), (c) => hash.update(c));
    if (`sha256:${hash.digest('hex')}` !== digest) throw new HxError(`blob ${digest} in the store is damaged`, { hint: 'remove the image and load or pull it again' });
    return size;
  };
  const index: { schemaVersion: number; mediaType: string; manifests: object[] } = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
  for (const img of images) {
    const mbytes = store.readBlob(img.manifestDigest);
    const m = JSON.parse(mbytes.toString()) as Manifest;
    for (const l of m.layers) await blob(l.digest);
    await blob(m.config.digest);
    const size = await blob(img.manifestDigest);
    const base = { mediaType: img.manifestMediaType, digest: img.manifestDigest, size };
    if (img.names.length === 0) index.manifests.push(base);
    for (const name of img.names) {
      index.manifests.push({ ...base, annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name } });
    }
  }
  await tar.file('index.json', Buffer.from(JSON.stringify(index)));
  await tar.end();
}
