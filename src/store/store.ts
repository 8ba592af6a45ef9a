// The on-disk store (docs/STORAGE.md): blobs by digest, layer dirs by chain ID, image
// and container records. Mutations of the shared indexes happen under store.lock;
// long work (extracting layers, copying blobs) happens in private temp dirs outside
// it and is published by rename, so a killed command leaves only temp dirs that the
// next command deletes.
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from './atomic.js';
import { digestHex, isDigest } from './digest.js';
import { FileLock } from './lock.js';
import { ContainerRecords, type ContainerRecord } from './containers.js';
import { ContainerOwners } from './owners.js';
import { EventLog } from './events.js';
import { VolumeRecords } from './volumes.js';
import { NetworkRecords } from './networks.js';
import { cleanTempDirs, createTempDir, liveTempNames, type CleanResult, type TempDir } from './temp.js';

export interface LayerRecord {
  chainId: string;
  diffId: string;
  parent: string | null;
  /** Digest of the blob this layer came from, as stored in blobs/ (compressed or not). */
  digest: string;
  mediaType: string;
  compressedSize: number;
  /** Bytes of the uncompressed tar. */
  size: number;
  /** Short name under l/ used in overlay mount options. */
  link: string;
  created: string;
  notes?: string[];
}

export interface ImageRecord {
  id: string; // sha256 of the config JSON
  names: string[]; // normalized references with tags, e.g. docker.io/library/busybox:latest
  repoDigests: string[]; // name@sha256:...
  manifestDigest: string;
  manifestMediaType: string;
  layers: string[]; // chain IDs, base first
  created: string; // when it entered this store
  /** What `hx images` shows of the config, copied when the image is stored (the config is
   * immutable: its digest is the ID) so listing reads no config blob. Records written by
   * older hx have none; readers fall back to the config. */
  summary?: ImageSummary;
}

export interface ImageSummary {
  /** The config's `created`, when it has one. */
  created?: string;
  labels: Record<string, string>;
}

export { ANONYMOUS_LABEL, type VolumeRecord } from './volumes.js';
export { NETWORK_ID, type NetworkRecord, type NetworkPoolRecord } from './networks.js';
export { CONTAINER_ID, EMPTY_STATE, type ContainerRecord, type ContainerState, type ContainerStatus, type ContainerOwner } from './containers.js';

function randomLink(): string {
  // 26 chars of base32, like containers/storage: short enough for ~130 layers in 4 KiB.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(26);
  let s = '';
  for (const b of bytes) s += alphabet[b & 31];
  return s;
}

export type { CleanResult, TempDir };

export interface Pin {
  add(layers: string[], blobs: string[]): void;
  release(): void;
}

export class Store {
  readonly blobsDir: string;
  readonly layersDir: string;
  readonly linksDir: string;
  readonly imagesDir: string;
  readonly containersDir: string;
  readonly tmpDir: string;
  /** Which containers a live command supervises (store/owners.ts). */
  readonly owners: ContainerOwners;
  /** Container records, their states and names (store/containers.ts). */
  readonly containers: ContainerRecords;
  /** Volumes: volumes/<name>/{volume.json,_data} (store/volumes.ts). */
  readonly volumes: VolumeRecords;
  /** What happened, for `hx events` (store/events.ts). */
  readonly events: EventLog;
  /** User-defined networks: networks/<id>.json (store/networks.ts). */
  readonly networks: NetworkRecords;
  private lock: FileLock;

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs', 'sha256');
    this.layersDir = join(root, 'layers');
    this.linksDir = join(root, 'l');
    this.imagesDir = join(root, 'images');
    this.containersDir = join(root, 'containers');
    this.tmpDir = join(root, 'tmp');
    this.lock = new FileLock(join(root, 'store.lock'));
    this.owners = new ContainerOwners(this.containersDir, root);
    this.containers = new ContainerRecords(this.containersDir);
    this.volumes = new VolumeRecords(join(root, 'volumes'));
    this.events = new EventLog(root);
    this.networks = new NetworkRecords(join(root, 'networks'));
  }

  /** Create the layout and delete what killed commands left in tmp/. */
  init(): this {
    for (const d of [this.root, this.blobsDir, this.layersDir, this.linksDir, this.imagesDir, this.containersDir, this.tmpDir]) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
    }
    this.cleanTemp();
    return this;
  }

  // ---- locking ----

  async locked<T>(body: () => Promise<T> | T): Promise<T> {
    if (this.lock.held) return body();
    await this.lock.acquire(true);
    try {
      return await body();
    } finally {
      this.lock.release();
    }
  }

  // ---- temp dirs: each has a sibling .lock held while its owner lives (temp.ts) ----

  tempDir(prefix: string): TempDir {
    return createTempDir(this.tmpDir, prefix);
  }

  /** Remove temp entries whose owner is gone; never touches a live command's. */
  cleanTemp(): CleanResult {
    return cleanTempDirs(this.tmpDir);
  }

  // ---- blobs ----

  blobPath(digest: string): string {
    return join(this.blobsDir, digestHex(digest));
  }

  hasBlob(digest: string): boolean {
    return isDigest(digest) && existsSync(this.blobPath(digest));
  }

  readBlob(digest: string): Buffer {
    return readFileSync(this.blobPath(digest));
  }

  /** Publish a verified temp file as blob DIGEST (keeps an existing copy). */
  commitBlob(tempFile: string, digest: string): void {
    const dest = this.blobPath(digest);
    if (existsSync(dest)) {
      rmSync(tempFile, { force: true });
      return;
    }
    renameSync(tempFile, dest);
  }

  listBlobs(): string[] {
    return readdirSync(this.blobsDir).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  // ---- layers ----

  layerDir(chainId: string): string {
    return join(this.layersDir, digestHex(chainId));
  }

  layerDiff(chainId: string): string {
    return join(this.layerDir(chainId), 'diff');
  }

  getLayer(chainId: string): LayerRecord | undefined {
    if (!isDigest(chainId)) return undefined;
    return readJson<LayerRecord>(join(this.layerDir(chainId), 'layer.json'));
  }

  listLayers(): LayerRecord[] {
    const out: LayerRecord[] = [];
    for (const name of readdirSync(this.layersDir)) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const rec = this.getLayer(`sha256:${name}`);
      if (rec) out.push(rec);
    }
    return out;
  }

  /**
   * Publish a staged layer: STAGED holds diff/ (complete and verified). Writes
   * layer.json inside it, then renames it to layers/<chain>. Call under the store lock.
   * Returns false when the layer already existed (the staged copy is left to the caller).
   */
  commitLayer(staged: string, record: Omit<LayerRecord, 'link' | 'created'>): boolean {
    if (this.getLayer(record.chainId)) return false;
    const dest = this.layerDir(record.chainId);
    // A layer dir without layer.json is debris from an older crash: it was never referenced.
    if (existsSync(dest)) this.discard(dest);
    const link = randomLink();
    const full: LayerRecord = { ...record, link, created: new Date().toISOString() };
    writeJsonAtomic(join(staged, 'layer.json'), full);
    renameSync(staged, dest);
    symlinkSync(`../layers/${digestHex(record.chainId)}/diff`, join(this.linksDir, link));
    return true;
  }

  /** Move a layer out of layers/ (under the lock) and delete it. */
  removeLayer(chainId: string): void {
    const rec = this.getLayer(chainId);
    if (rec) {
      try {
        unlinkSync(join(this.linksDir, rec.link));
      } catch {
        /* link already gone */
      }
    }
    this.discard(this.layerDir(chainId));
  }

  /** Rename PATH into tmp/ and delete it there: a crash midway leaves only tmp debris. */
  discard(path: string): void {
    if (!existsSync(path)) return;
    const t = this.tempDir('trash');
    const dest = join(t.path, 'x');
    renameSync(path, dest);
    t.release(true);
  }

  // ---- images ----

  imagePath(id: string): string {
    return join(this.imagesDir, `${digestHex(id)}.json`);
  }

  getImage(id: string): ImageRecord | undefined {
    if (!isDigest(id)) return undefined;
    return readJson<ImageRecord>(this.imagePath(id));
  }

  listImages(): ImageRecord[] {
    const out: ImageRecord[] = [];
    for (const name of readdirSync(this.imagesDir)) {
      const m = /^([a-f0-9]{64})\.json$/.exec(name);
      if (!m) continue;
      const rec = this.getImage(`sha256:${m[1]}`);
      if (rec) out.push(rec);
    }
    return out.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  }

  putImage(rec: ImageRecord): void {
    writeJsonAtomic(this.imagePath(rec.id), rec);
  }

  deleteImage(id: string): void {
    rmSync(this.imagePath(id), { force: true });
  }

  // ---- containers ----

  containerDir(id: string): string {
    return this.containers.containerDir(id);
  }

  getContainer(id: string): ContainerRecord | undefined {
    return this.containers.get(id);
  }

  listContainers(): ContainerRecord[] {
    return this.containers.list();
  }

  putContainer(rec: ContainerRecord): void {
    this.containers.put(rec);
  }

  // ---- pins: what an unfinished command relies on; GC keeps it while the owner lives ----

  /** Record layers and blobs this process is about to reference. Call under the lock. */
  pin(layers: string[], blobs: string[] = []): Pin {
    const t = this.tempDir('pin');
    const state = { layers: [...layers], blobs: [...blobs] };
    const write = (): void => writeJsonAtomic(join(t.path, 'pins.json'), state);
    write();
    return {
      add(moreLayers: string[], moreBlobs: string[]) {
        state.layers.push(...moreLayers);
        state.blobs.push(...moreBlobs);
        write();
      },
      release: () => t.release(true),
    };
  }

  /** Pins of live commands (their temp lock is held). Creates and removes nothing. */
  livePins(): { layers: Set<string>; blobs: Set<string> } {
    const layers = new Set<string>();
    const blobs = new Set<string>();
    for (const name of liveTempNames(this.tmpDir, 'pin')) {
      // A pin released since the look is gone: it no longer needs anything.
      const p = readJson<{ layers: string[]; blobs: string[] }>(join(this.tmpDir, name, 'pins.json'));
      for (const l of p?.layers ?? []) layers.add(l);
      for (const b of p?.blobs ?? []) blobs.add(b);
    }
    return { layers, blobs };
  }

  /**
   * What GC keeps: layers of images, containers and live pins; blobs of images (config,
   * manifest, the manifest's layers), of kept layers and of live pins. Call under the lock.
   */
  references(): { layers: Set<string>; blobs: Set<string> } {
    const pins = this.livePins();
    const layers = new Set(pins.layers);
    const blobs = new Set(pins.blobs);
    for (const img of this.listImages()) {
      for (const l of img.layers) layers.add(l);
      blobs.add(img.id);
      blobs.add(img.manifestDigest);
      try {
        const m = JSON.parse(this.readBlob(img.manifestDigest).toString()) as { layers?: { digest: string }[] };
        for (const l of m.layers ?? []) blobs.add(l.digest);
      } catch {
        /* a missing manifest blob keeps nothing more */
      }
    }
    for (const c of this.listContainers()) for (const l of c.layers ?? []) layers.add(l);
    for (const l of this.listLayers()) if (layers.has(l.chainId)) blobs.add(l.digest);
    return { layers, blobs };
  }

  /**
   * Delete layers and blobs nothing references: no image, no container, no live pin.
   * Call under the lock. Returns what was removed.
   */
  gc(): { layers: string[]; blobs: string[]; bytes: number } {
    const { layers: keepLayers, blobs: keepBlobs } = this.references();
    const removed = { layers: [] as string[], blobs: [] as string[], bytes: 0 };
    const layers = this.listLayers();
    for (const l of layers) {
      if (keepLayers.has(l.chainId)) continue;
      this.removeLayer(l.chainId);
      removed.layers.push(l.chainId);
      removed.bytes += l.size;
    }
    // Layer dirs that never got a layer.json (crash debris from older versions).
    for (const name of readdirSync(this.layersDir)) {
      if (/^[a-f0-9]{64}$/.test(name) && !this.getLayer(`sha256:${name}`) && !keepLayers.has(`sha256:${name}`)) this.discard(join(this.layersDir, name));
    }
    for (const b of this.listBlobs()) {
      if (keepBlobs.has(b)) continue;
      try {
        removed.bytes += lstatSync(this.blobPath(b)).size;
      } catch {
        /* gone */
      }
      rmSync(this.blobPath(b), { force: true });
      removed.blobs.push(b);
    }
    // Short links whose layer is gone.
    for (const link of readdirSync(this.linksDir)) {
      if (!existsSync(join(this.linksDir, link))) rmSync(join(this.linksDir, link), { force: true });
    }
    return removed;
  }

  /** Is PATH a directory (not following symlinks)? */
  static isDir(path: string): boolean {
    try {
      return lstatSync(path).isDirectory();
    } catch {
      return false;
    }
  }
}
