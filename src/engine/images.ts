// The image half of the Engine API: load, save, import, list, tag, rmi, inspect,
// history, prune, df, reset, check. Every function here expects to run where layer files can
// be written (rootful, or inside the rootless namespace: see namespace.ts).
import { closeSync, createReadStream, createWriteStream, existsSync, lstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ArchiveError, DirSource, spoolIfNeeded, TarFileSource, type ArchiveSource } from '../image/archive-source.js';
import { readArchive } from '../image/archive-read.js';
import { commitImage, type CommitEvent } from '../image/commit.js';
import { parseImageConfig, type ImageConfig } from '../image/config.js';
import { displayName, findImage, normalizedName, resolveImage } from '../image/resolve.js';
import { layerContext } from '../layer/context.js';
import { storageRoot } from '../runtime/paths.js';
import type { ImageRecord, Store as StoreType } from '../store/store.js';
import { Store } from '../store/store.js';
import { verifyStore, type StoreCheck, type VerifyOptions } from '../store/verify.js';
import { HxError, UsageError } from '../errors.js';
import { sweepOrphans } from './orphans.js';

export type { ImageRecord, StoreCheck };

let opened: Store | undefined;

/** The store at the storage root, created and cleaned of dead commands' temp files and
 * of containers whose owner died. */
export function openStore(root = storageRoot()): Store {
  if (opened && opened.root === root) return opened;
  opened = new Store(root).init();
  sweepOrphans(opened);
  return opened;
}

// ---------------------------------------------------------------- load

export interface LoadEvent {
  type: 'image';
  id: string;
  names: string[];
}

async function openArchive(store: StoreType, input: string): Promise<{ src: ArchiveSource; done: () => void }> {
  const temps: { release(remove?: boolean): void }[] = [];
  const done = (): void => {
    for (const t of temps) t.release(true);
  };
  try {
    if (input !== '-' && existsSync(input) && statSync(input).isDirectory()) return { src: new DirSource(input), done };
    let file = input;
    let description = input;
    if (input === '-') {
      const t = store.tempDir('stdin');
      temps.push(t);
      file = join(t.path, 'archive');
      description = 'standard input';
      await pipeline(process.stdin, createWriteStream(file, { mode: 0o600 }));
    } else if (!existsSync(input)) {
      throw new UsageError(`open ${input}: no such file or directory`);
    }
    const head = Buffer.alloc(6);
    const fd = openSync(file, 'r');
    const n = readSync(fd, head, 0, 6, 0);
    closeSync(fd);
    const t = store.tempDir('archive');
    temps.push(t);
    const spool = join(t.path, 'archive.tar');
    const spooled = await spoolIfNeeded(() => createReadStream(file, { highWaterMark: 1 << 20 }), head.subarray(0, n), true, spool);
    return { src: new TarFileSource(spooled ? spool : file, description), done };
  } catch (e) {
    done();
    throw e;
  }
}

/** `hx load`: every image of a docker-archive or OCI archive/layout, all or nothing. */
export async function loadImages(input: string, onEvent: (e: LoadEvent | CommitEvent) => void = () => {}): Promise<ImageRecord[]> {
  const store = openStore();
  const { src, done } = await openArchive(store, input);
  const loaded: ImageRecord[] = [];
  const added: string[] = []; // images this load created (dropped again if a later one fails)
  try {
    const images = readArchive(src);
    if (images.length === 0) throw new ArchiveError(`${src.description} holds no images`);
    const ctx = layerContext();
    for (const img of images) {
      if (!store.getImage(img.configDigest)) added.push(img.configDigest);
      const rec = await commitImage(
        store,
        {
          configBytes: img.configBytes,
          names: img.names,
          layers: img.layers.map((l) => ({
            open: () => src.open(l.member),
            label: l.member,
            ...(l.digest ? { digest: l.digest } : {}),
            ...(l.mediaType ? { mediaType: l.mediaType } : {}),
          })),
          ...(img.manifest ? { manifest: img.manifest } : {}),
        },
        ctx,
        onEvent,
      );
      loaded.push(rec);
      onEvent({ type: 'image', id: rec.id, names: img.names });
    }
    return loaded;
  } catch (e) {
    // All or nothing: drop the images this load added (not ones that were there before).
    await store.locked(() => {
      for (const id of added) store.deleteImage(id);
      store.gc();
    });
    throw e;
  } finally {
    src.close();
    done();
  }
}

// ---------------------------------------------------------------- queries

export function getImage(ref: string): ImageRecord {
  return resolveImage(openStore(), ref);
}

export function imageConfig(rec: ImageRecord): ImageConfig {
  return parseImageConfig(openStore().readBlob(rec.id));
}

export interface ImageRow {
  id: string;
  repository: string;
  tag: string;
  digest: string;
  created: string;
  size: number;
  sharedSize: number;
  uniqueSize: number;
  containers: number;
  dangling: boolean;
}

function splitName(name: string): { repository: string; tag: string } {
  const short = displayName(name);
  const colon = short.lastIndexOf(':');
  return colon > short.lastIndexOf('/') ? { repository: short.slice(0, colon), tag: short.slice(colon + 1) } : { repository: short, tag: '<none>' };
}

/** Rows of `hx images`: one per name (an unnamed image gets one <none> row). */
export function listImages(opts: { all?: boolean; filterRef?: string } = {}): ImageRow[] {
  const store = openStore();
  const images = store.listImages();
  const layers = new Map(store.listLayers().map((l) => [l.chainId, l]));
  const users = new Map<string, number>();
  for (const img of images) for (const l of img.layers) users.set(l, (users.get(l) ?? 0) + 1);
  const containers = store.listContainers();
  const rows: ImageRow[] = [];
  for (const img of images) {
    let size = 0;
    let shared = 0;
    for (const l of img.layers) {
      const s = layers.get(l)?.size ?? 0;
      size += s;
      if ((users.get(l) ?? 0) > 1) shared += s;
    }
    let created = img.created;
    try {
      created = imageConfig(img).created ?? img.created;
    } catch {
      /* keep the store time */
    }
    const base = {
      id: img.id,
      digest: img.repoDigests[0]?.split('@')[1] ?? '<none>',
      created,
      size,
      sharedSize: shared,
      uniqueSize: size - shared,
      containers: containers.filter((c) => c.image === img.id).length,
      dangling: img.names.length === 0,
    };
    if (img.names.length === 0) rows.push({ ...base, repository: '<none>', tag: '<none>' });
    for (const n of img.names) rows.push({ ...base, ...splitName(n) });
  }
  if (opts.filterRef) {
    const want = normalizedName(opts.filterRef);
    return rows.filter((r) => r.repository === opts.filterRef || (want !== undefined && normalizedName(`${r.repository}:${r.tag}`) === want));
  }
  return rows;
}

// ---------------------------------------------------------------- tag / rmi

export async function tagImage(source: string, target: string): Promise<void> {
  const store = openStore();
  const name = normalizedName(target);
  if (!name) throw new UsageError(`invalid reference format: "${target}"`, 'use NAME[:TAG], e.g. myapp:1.0');
  await store.locked(() => {
    const img = resolveImage(store, source);
    for (const other of store.listImages()) {
      if (other.id !== img.id && other.names.includes(name)) store.putImage({ ...other, names: other.names.filter((n) => n !== name) });
    }
    const fresh = store.getImage(img.id)!;
    if (!fresh.names.includes(name)) store.putImage({ ...fresh, names: [...fresh.names, name] });
  });
}

export interface RmiResult {
  untagged: string[];
  deleted: string[];
}

/** `hx rmi`: untag a name, or delete an image (refused while a container uses it, unless force). */
export async function removeImages(refs: string[], force = false): Promise<RmiResult> {
  const store = openStore();
  const out: RmiResult = { untagged: [], deleted: [] };
  await store.locked(() => {
    for (const ref of refs) {
      const img = resolveImage(store, ref);
      const name = normalizedName(ref);
      const byName = name !== undefined && img.names.includes(name);
      if (byName && img.names.length > 1) {
        store.putImage({ ...img, names: img.names.filter((n) => n !== name) });
        out.untagged.push(displayName(name));
        continue;
      }
      if (!byName && img.names.length > 1 && !force) {
        throw new HxError(`unable to delete ${img.id.slice(7, 19)} (must be forced): image is referenced in multiple repositories`, {
          hint: `remove the names one by one (hx rmi NAME) or use hx rmi -f ${img.id.slice(7, 19)}`,
        });
      }
      const users = store.listContainers().filter((c) => c.image === img.id);
      if (users.length && !force) {
        throw new HxError(`unable to remove image ${ref}: container ${users[0]!.id.slice(0, 12)} uses it`, {
          hint: `remove the container first (hx rm ${users[0]!.id.slice(0, 12)}) or use hx rmi -f`,
        });
      }
      for (const n of img.names) out.untagged.push(displayName(n));
      store.deleteImage(img.id);
      out.deleted.push(img.id);
    }
    const removed = store.gc();
    out.deleted.push(...removed.layers);
  });
  return out;
}

// ---------------------------------------------------------------- inspect / history

export function inspectImage(ref: string): Record<string, unknown> {
  const store = openStore();
  const img = resolveImage(store, ref);
  const config = imageConfig(img);
  const size = img.layers.reduce((n, l) => n + (store.getLayer(l)?.size ?? 0), 0);
  const names = img.names.map(displayName);
  return {
    Id: img.id,
    RepoTags: names,
    RepoDigests: img.repoDigests.map((d) => displayName(d)),
    Parent: '',
    Comment: (config.history ?? []).at(-1)?.comment ?? '',
    Created: config.created ?? '',
    DockerVersion: (config as { docker_version?: string }).docker_version ?? '',
    Author: config.author ?? '',
    Config: config.config ?? {},
    Architecture: config.architecture,
    Variant: config.variant,
    Os: config.os,
    Size: size,
    GraphDriver: { Name: 'hx', Data: { LowerDirs: img.layers.map((l) => store.layerDiff(l)).reverse().join(':') } },
    RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    History: config.history ?? [],
    Metadata: { LastTagTime: img.created },
    ManifestDigest: img.manifestDigest,
  };
}

export interface HistoryRow {
  id: string; // image id for the top row, <missing> otherwise
  created: string;
  createdBy: string;
  size: number;
  comment: string;
}

export function imageHistory(ref: string): HistoryRow[] {
  const store = openStore();
  const img = resolveImage(store, ref);
  const config = imageConfig(img);
  const history = config.history ?? [];
  const rows: HistoryRow[] = [];
  let layer = 0;
  const entries = history.length ? history : config.rootfs.diff_ids.map(() => ({} as NonNullable<ImageConfig['history']>[number]));
  for (const h of entries) {
    let size = 0;
    if (!h.empty_layer) {
      const chain = img.layers[layer++];
      size = chain ? (store.getLayer(chain)?.size ?? 0) : 0;
    }
    rows.push({ id: '<missing>', created: h.created ?? '', createdBy: h.created_by ?? '', size, comment: h.comment ?? '' });
  }
  rows.reverse();
  if (rows[0]) rows[0].id = img.id;
  return rows;
}

// ---------------------------------------------------------------- prune / df / reset

export async function pruneImages(all = false): Promise<{ deleted: string[]; untagged: string[]; reclaimed: number }> {
  const store = openStore();
  return store.locked(() => {
    const used = new Set(store.listContainers().map((c) => c.image));
    const deleted: string[] = [];
    const untagged: string[] = [];
    for (const img of store.listImages()) {
      if (used.has(img.id)) continue;
      if (!all && img.names.length > 0) continue;
      for (const n of img.names) untagged.push(displayName(n));
      store.deleteImage(img.id);
      deleted.push(img.id);
    }
    const removed = store.gc();
    return { deleted: [...deleted, ...removed.layers], untagged, reclaimed: removed.bytes };
  });
}

export interface DiskUsage {
  images: { total: number; active: number; size: number; reclaimable: number };
  containers: { total: number; active: number; size: number; reclaimable: number };
  layers: { count: number; size: number };
  blobs: { count: number; size: number };
}

function duBytes(path: string): number {
  // Sum of file sizes, not following symlinks (no hardlink dedup: an upper bound).
  let total = 0;
  const stack = [path];
  while (stack.length) {
    const p = stack.pop()!;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(p);
      } catch {
        /* unreadable */
      }
      for (const n of names) stack.push(join(p, n));
    } else {
      total += st.size;
    }
  }
  return total;
}

export function diskUsage(): DiskUsage {
  const store = openStore();
  const images = store.listImages();
  const layers = store.listLayers();
  const containers = store.listContainers();
  const usedImages = new Set(containers.map((c) => c.image));
  const usedLayers = new Set(containers.flatMap((c) => (c.layers as string[] | undefined) ?? []));
  let size = 0;
  let reclaimable = 0;
  for (const l of layers) {
    size += l.size;
    if (!usedLayers.has(l.chainId)) reclaimable += l.size;
  }
  let cSize = 0;
  for (const c of containers) if (c.upper) cSize += duBytes(c.upper);
  const blobs = store.listBlobs();
  let blobSize = 0;
  for (const b of blobs) blobSize += statSync(store.blobPath(b)).size;
  return {
    images: { total: images.length, active: images.filter((i) => usedImages.has(i.id)).length, size, reclaimable },
    containers: { total: containers.length, active: containers.length, size: cSize, reclaimable: 0 },
    layers: { count: layers.length, size },
    blobs: { count: blobs.length, size: blobSize },
  };
}

/** `hx system reset`: delete every image, layer, blob and container of the store. */
export async function resetStore(): Promise<void> {
  const store = openStore();
  const { unmountAll } = await import('./image-rootfs.js');
  await store.locked(async () => {
    await unmountAll(store);
    for (const dir of [store.imagesDir, store.containersDir, store.layersDir, store.linksDir, join(store.root, 'blobs')]) store.discard(dir);
    store.init();
  });
}

/** `hx system check`: what breaks the store's invariants (nothing: the store is sound). */
export async function checkStore(opts: VerifyOptions = {}): Promise<StoreCheck & { root: string }> {
  const store = openStore(); // opening removes what dead commands left in tmp/ first
  const check = await store.locked(() => verifyStore(store, opts));
  return { ...check, root: store.root };
}

export { findImage };

// ---------------------------------------------------------------- save / import

export type SaveFormat = 'docker-archive' | 'oci-archive';

/** `hx save`: IMAGES into OUTPUT (a file path, or '-' for stdout). A failed save removes the file. */
export async function saveImages(refs: string[], output: string, format: SaveFormat = 'docker-archive'): Promise<void> {
  const store = openStore();
  const { writeDockerArchive, writeOciArchive } = await import('../image/archive-write.js');
  const images = [...new Map(refs.map((r) => {
    const rec = resolveImage(store, r);
    const name = normalizedName(r);
    // Save under the names asked for (docker saves only the given tag, not every name).
    const named = name && rec.names.includes(name) ? { ...rec, names: [name] } : rec;
    return [rec.id + (name ?? ''), named] as const;
  })).values()];
  const pin = await store.locked(() => store.pin(images.flatMap((i) => i.layers), images.map((i) => i.id)));
  const { rmSync } = await import('node:fs');
  const out = output === '-' ? process.stdout : createWriteStream(output, { mode: 0o644 });
  try {
    if (format === 'oci-archive') await writeOciArchive(store, images, out);
    else await writeDockerArchive(store, images, out);
    if (out !== process.stdout) await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  } catch (e) {
    if (out !== process.stdout) {
      out.destroy();
      rmSync(output, { force: true });
    }
    throw e;
  } finally {
    pin.release();
  }
}

/** `hx import`: a rootfs tarball (file or '-') as a one-layer image named REF (optional). */
export async function importImage(input: string, ref: string | undefined, changes: string[], message?: string): Promise<ImageRecord> {
  const store = openStore();
  const name = ref === undefined ? undefined : normalizedName(ref);
  if (ref !== undefined && !name) throw new UsageError(`invalid reference format: "${ref}"`, 'use NAME[:TAG], e.g. myrootfs:1');
  const { importConfig, uncompressedDigest } = await import('../image/import.js');
  let file = input;
  let spool: { release(remove?: boolean): void } | undefined;
  try {
    if (input === '-') {
      const t = store.tempDir('import');
      spool = t;
      file = join(t.path, 'rootfs.tar');
      await pipeline(process.stdin, createWriteStream(file, { mode: 0o600 }));
    } else if (!existsSync(input) || !statSync(input).isFile()) {
      throw new UsageError(`open ${input}: no such file`);
    }
    const diffId = await uncompressedDigest(file);
    const config = importConfig(diffId, changes, input === '-' ? '-' : input, message);
    return await commitImage(
      store,
      { configBytes: Buffer.from(JSON.stringify(config)), names: name ? [name] : [], layers: [{ open: () => createReadStream(file, { highWaterMark: 1 << 20 }), label: input === '-' ? 'stdin' : input }] },
      layerContext(),
    );
  } finally {
    spool?.release(true);
  }
}
