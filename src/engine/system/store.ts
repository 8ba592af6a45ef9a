// The store as a whole: `hx image prune`, `hx system df`, `hx system reset`, `hx system check`.
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { unmountAll } from '../../container/rootfs.js';
import { volumeUsers } from '../../container/volumes.js';
import { displayName } from '../../image/resolve.js';
import { verifyStore, type StoreCheck, type VerifyOptions } from '../../store/verify.js';
import type { EngineContext } from '../context.js';

export type { StoreCheck, VerifyOptions };

export async function pruneImages(ctx: EngineContext, all = false): Promise<{ deleted: string[]; untagged: string[]; reclaimed: number }> {
  const store = ctx.store;
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
  /** docker's "Local Volumes": active = used by a container; reclaimable = the unused ones' bytes. */
  volumes: { total: number; active: number; size: number; reclaimable: number; each: { name: string; links: number; size: number }[] };
}

/** Sum of file sizes under PATH, not following symlinks (no hardlink dedup: an upper bound). */
export function treeBytes(path: string): number {
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

export function diskUsage(ctx: EngineContext): DiskUsage {
  const store = ctx.store;
  const images = store.listImages();
  const layers = store.listLayers();
  const containers = store.listContainers();
  const usedImages = new Set(containers.map((c) => c.image));
  const usedLayers = new Set(containers.flatMap((c) => c.layers));
  let size = 0;
  let reclaimable = 0;
  for (const l of layers) {
    size += l.size;
    if (!usedLayers.has(l.chainId)) reclaimable += l.size;
  }
  let cSize = 0;
  for (const c of containers) if (c.upper) cSize += treeBytes(c.upper);
  const blobs = store.listBlobs();
  let blobSize = 0;
  for (const b of blobs) blobSize += statSync(store.blobPath(b)).size;
  const users = volumeUsers(store);
  const each = store.volumes.list().map((v) => ({ name: v.Name, links: users.get(v.Name)?.length ?? 0, size: treeBytes(store.volumes.dataPath(v.Name)) }));
  const volumes = {
    total: each.length,
    active: each.filter((v) => v.links > 0).length,
    size: each.reduce((n, v) => n + v.size, 0),
    reclaimable: each.filter((v) => v.links === 0).reduce((n, v) => n + v.size, 0),
    each,
  };
  return {
    volumes,
    images: { total: images.length, active: images.filter((i) => usedImages.has(i.id)).length, size, reclaimable },
    containers: { total: containers.length, active: containers.length, size: cSize, reclaimable: 0 },
    layers: { count: layers.length, size },
    blobs: { count: blobs.length, size: blobSize },
  };
}

/** `hx system reset`: delete every image, layer, blob, container, volume and network of the store. */
export async function resetStore(ctx: EngineContext): Promise<void> {
  const store = ctx.store;
  await store.locked(async () => {
    unmountAll(ctx);
    for (const dir of [store.imagesDir, store.containersDir, store.layersDir, store.linksDir, join(store.root, 'blobs'), store.volumes.dir, store.networks.dir, join(store.root, 'build-cache')]) store.discard(dir);
    store.init();
  });
}

/** `hx system check`: what breaks the store's invariants (nothing: the store is sound). */
export async function checkStore(ctx: EngineContext, opts: VerifyOptions = {}): Promise<StoreCheck & { root: string }> {
  const store = ctx.store; // opening removes what dead commands left in tmp/ first
  const check = await store.locked(() => verifyStore(store, opts));
  return { ...check, root: store.root };
}
