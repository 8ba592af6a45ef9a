// `hx diff`, `hx commit`, `hx export`: a container's filesystem as changes, as a new image
// over its own, and as one tar. One change list (StorageDriver.changes) feeds diff and
// commit; the layer writer (layer/tree-tar.ts + layer/compress.ts) writes commit's layer
// and export's archive.
import { createReadStream, lstatSync, readdirSync } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { containerCgroup } from '../../container/cgroup.js';
import { withRootfs } from '../../container/rootfs-access.js';
import { currentState } from '../../container/state.js';
import { dirsFor, driverName } from '../../container/rootfs.js';
import { storageDriver } from '../../layer/drivers/index.js';
import type { StorageDriver } from '../../layer/drivers/driver.js';
import type { RootfsDirs } from '../../layer/drivers/types.js';
import { HxError, UsageError } from '../../errors.js';
import type { ContainerConfig, HistoryEntry, ImageConfig } from '../../image/config.js';
import { applyChanges } from '../../image/import.js';
import { ociLayerType } from '../../image/media.js';
import { displayName, normalizedName } from '../../image/resolve.js';
import { imageSource, type LayerSource } from '../../image/source.js';
import { StoreImage } from '../../image/store-source.js';
import { storeImage } from '../../image/store-image.js';
import { writeCompressed, type LayerCompression, type WrittenBlob } from '../../layer/compress.js';
import type { Change } from '../../layer/drivers/driver.js';
import { RootDirs } from '../../layer/root-dirs.js';
import { changeItems, treeTar, walkTree, type TreeTarStats } from '../../layer/tree-tar.js';
import type { ContainerRecord, ImageRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { containerEvent } from '../events.js';
import { findContainer } from './lookup.js';

// Mount targets the runtime makes in a root filesystem that lacks them: docker keeps them in
// an init layer below the container's, podman leaves them out of diff and commit
// (libpod's initInodes). hx leaves them out while they are what the runtime made: an empty
// directory or an empty file.
const RUNTIME_TARGETS = new Set(['/dev', '/proc', '/sys', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/etc/mtab', '/run/.containerenv']);

/** Is C the runtime's own mount target, as the runtime made it? Looked up inside ROOT (a
 * running container could have made /etc a symlink to anywhere). */
function isRuntimeTarget(c: Change, root: RootDirs): boolean {
  if (c.kind !== 'A' || !RUNTIME_TARGETS.has(c.path)) return false;
  const at = root.entry(c.path.slice(1));
  if (at === undefined) return false;
  try {
    const st = lstatSync(at);
    return (st.isDirectory() && readdirSync(at).length === 0) || (st.isFile() && st.size === 0);
  } catch {
    return false;
  }
}

interface ChangeView {
  driver: StorageDriver;
  dirs: RootfsDirs;
  /** Where changed content is read: no mount needed (StorageDriver.changesRoot). */
  root: string;
}

function changeView(ctx: EngineContext, rec: ContainerRecord): ChangeView {
  const driver = storageDriver(driverName(rec));
  const dirs = dirsFor(ctx.store, ctx.mode, rec);
  return { driver, dirs, root: driver.changesRoot(dirs) };
}

/** What the container changed, without the runtime's own mount targets, nor a directory
 * listed only as their parent (making /etc/hosts touches /etc). */
function changesOf(v: ChangeView): Change[] {
  const all = v.driver.changes(v.dirs);
  const candidates = all.filter((c) => c.kind === 'A' && RUNTIME_TARGETS.has(c.path));
  if (candidates.length === 0) return all;
  const root = new RootDirs(v.root);
  let dropped: Change[];
  try {
    dropped = candidates.filter((c) => isRuntimeTarget(c, root));
  } finally {
    root.close();
  }
  if (dropped.length === 0) return all;
  const kept = all.filter((c) => !dropped.includes(c));
  const parentsOnly = new Set(
    dropped
      .map((c) => c.path.slice(0, c.path.lastIndexOf('/')))
      .filter((p) => p !== '' && !kept.some((c) => c.path.startsWith(`${p}/`)))
      .filter((p) => kept.some((c) => c.path === p && c.kind === 'C' && !c.opaque)),
  );
  return kept.filter((c) => !parentsOnly.has(c.path));
}

/** `hx diff`: what the container changed, docker's order (by path). Read from the upper dir
 * (or vfs's copy): a stopped container is not mounted for it. */
export function containerChanges(ctx: EngineContext, ref: string): Change[] {
  return changesOf(changeView(ctx, findContainer(ctx.store, ref)));
}

export interface CommitRequest {
  container: string;
  /** REPO[:TAG] for the new image. */
  reference?: string | undefined;
  author?: string | undefined;
  message?: string | undefined;
  /** Dockerfile instructions for the config (docker commit --change). */
  changes?: string[] | undefined;
  /** How the new layer's blob is stored. Default none: as docker and podman keep a committed
   * layer, compressed when it is pushed (bench/RESULTS.md "commit": gzip of 500 MB would
   * double the time for nothing a local image needs). */
  compression?: LayerCompression | undefined;
  /** Freeze a running container while its changes are read (docker's default, true); only
   * where it has a freezer of its own (a cgroup: rootful, or a delegated v2 subtree). */
  pause?: boolean | undefined;
  /** The builder's: the image config to commit over (history and diff_ids appended to
   * its own), used as it is instead of the container's config merged with --change... */
  imageConfig?: ImageConfig | undefined;
  /** ...and the history entry's created_by (default: the container's command). */
  createdBy?: string | undefined;
}

export interface CommitResult {
  id: string;
  image: ImageRecord;
  /** The new layer, absent when the container changed nothing (an empty_layer history entry). */
  layer?: WrittenBlob;
  tar: TreeTarStats;
}

/** The container's command as docker's history shows it (Entrypoint + Cmd). */
function containerCommand(rec: ContainerRecord): string[] {
  const c = (rec.config ?? {}) as { Entrypoint?: string[] | null; Cmd?: string[] | null };
  return [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
}

/** The new image's config: the container's (docker: container.Config), then --change. */
function committedConfig(base: ContainerConfig, rec: ContainerRecord, changes: string[]): ContainerConfig {
  const c = (rec.config ?? {}) as Record<string, unknown>;
  const merged: ContainerConfig = { ...base };
  for (const k of ['User', 'Env', 'Cmd', 'Entrypoint', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'Healthcheck'] as const) {
    if (c[k] !== undefined) (merged as Record<string, unknown>)[k] = c[k];
  }
  if (merged.WorkingDir === '') delete merged.WorkingDir;
  return applyChanges(merged, changes);
}

/** docker commit --pause: freeze a running container that is not paused already; the thaw,
 * or undefined where there is nothing to freeze (stopped, paused, or no freezer of its own:
 * rootless without delegation, where the changes are read as they are). */
function freezeWhileRead(ctx: EngineContext, rec: ContainerRecord): (() => void) | undefined {
  if (currentState(ctx.store, rec).status !== 'running') return undefined;
  const cg = containerCgroup(ctx.mode, ctx.store.containerDir(rec.id));
  if (!cg || cg.manager.frozen(cg.path) !== false) return undefined;
  cg.manager.setFrozen(cg.path, true);
  return () => cg.manager.setFrozen(cg.path, false);
}

export async function commitContainer(ctx: EngineContext, req: CommitRequest): Promise<CommitResult> {
  const store = ctx.store;
  const name = req.reference === undefined || req.reference === '' ? undefined : normalizedName(req.reference);
  if (req.reference && !name) throw new UsageError(`invalid reference format: "${req.reference}"`, 'use NAME[:TAG] in lower case, e.g. myapp:1');
  const rec = findContainer(store, req.container);
  const baseRec = store.getImage(rec.image);
  if (!baseRec) {
    throw new HxError(`the image of container ${rec.id.slice(0, 12)} (${rec.imageRef}) is no longer in the store`, {
      kind: 'not-found',
      hint: 'commit needs the image the container was made from: pull or load it again',
    });
  }
  const base = await StoreImage.open(store, baseRec);
  const t = store.tempDir('commit');
  try {
    const blobFile = join(t.path, 'layer');
    const stats: TreeTarStats = { entries: 0, files: 0, bytes: 0, hardlinks: 0, skipped: [] };
    const view = changeView(ctx, rec);
    const thaw = req.pause === false ? undefined : freezeWhileRead(ctx, rec);
    let layer: WrittenBlob | undefined;
    try {
      const changes = changesOf(view);
      layer = changes.length ? await writeCompressed(treeTar(changeItems(changes), { root: view.root }, stats), blobFile, { compression: req.compression ?? 'none' }) : undefined;
    } finally {
      thaw?.();
    }
    const created = new Date().toISOString();
    const baseConfig: ImageConfig = req.imageConfig ?? base.config;
    if (baseConfig.rootfs.diff_ids.join() !== base.config.rootfs.diff_ids.join()) {
      throw new HxError('the config given to commit does not describe the container\'s image layers', { kind: 'internal' });
    }
    const history: HistoryEntry[] = [...(baseConfig.history ?? [])];
    const entry: HistoryEntry = { created, created_by: req.createdBy ?? containerCommand(rec).join(' ') };
    if (req.author) entry.author = req.author;
    if (req.message) entry.comment = req.message;
    if (!layer) entry.empty_layer = true;
    history.push(entry);
    const config: ImageConfig = {
      ...baseConfig,
      created,
      config: req.imageConfig ? (req.imageConfig.config ?? {}) : committedConfig(baseConfig.config ?? {}, rec, req.changes ?? []),
      rootfs: { type: 'layers', diff_ids: [...baseConfig.rootfs.diff_ids, ...(layer ? [layer.diffId] : [])] },
      history,
      ...(req.imageConfig ? {} : { container: rec.id }),
    };
    if (req.author) config.author = req.author;
    else if (!req.imageConfig) delete config.author;
    const layers: LayerSource[] = [...base.layers];
    if (layer) {
      layers.push({
        digest: layer.digest,
        diffId: layer.diffId,
        mediaType: ociLayerType(layer.compression),
        size: layer.compressedSize,
        uncompressedSize: layer.size,
        label: `the changes of container ${rec.id.slice(0, 12)}`,
        open: () => createReadStream(blobFile),
        ownedFile: blobFile,
      });
    }
    const src = imageSource({ configBytes: Buffer.from(JSON.stringify(config)), layers, names: name ? [name] : [] });
    const image = await storeImage(store, src, ctx.layerContext());
    containerEvent(store, rec, 'commit', { comment: req.message ?? '', imageID: image.id, imageRef: name ? displayName(name) : '' });
    return { id: image.id, image, ...(layer ? { layer } : {}), tar: stats };
  } finally {
    base.release();
    t.release(true);
  }
}

/** `hx export`: the container's whole filesystem as one tar, to OUT. */
export async function exportContainer(ctx: EngineContext, ref: string, out: Writable): Promise<TreeTarStats> {
  const rec = findContainer(ctx.store, ref);
  const stats: TreeTarStats = { entries: 0, files: 0, bytes: 0, hardlinks: 0, skipped: [] };
  await withRootfs(ctx, rec, async (v) => {
    await pipeline(Readable.from(treeTar(walkTree(v.root), { root: v.root }, stats)), out);
  });
  return stats;
}
