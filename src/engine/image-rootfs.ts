// Root filesystems for containers made from images: a per-container upper and work dir
// over the image's layers (overlay or fuse-overlayfs), or a full copy (vfs), recorded
// in containers/<id>/container.json so GC keeps the layers. Also merges the image config
// with `hx run` flags the way docker does.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chooseDriver } from '../layer/drivers/choose.js';
import { mountFuseOverlay } from '../layer/drivers/fuse.js';
import { isMountPoint, mountOverlay, unmountPath } from '../layer/drivers/overlay.js';
import type { DriverName, RootfsDirs } from '../layer/drivers/types.js';
import { materializeVfs } from '../layer/drivers/vfs.js';
import { opaqueXattrName } from '../layer/context.js';
import { isRootful } from '../runtime/paths.js';
import type { ImageConfig } from '../image/config.js';
import { CONTAINER_ID, type ContainerRecord, type ImageRecord, type Store } from '../store/store.js';
import type { Claim } from '../store/owners.js';
import { HxError } from '../errors.js';
import { imageConfig, openStore } from './images.js';
import { resolveImage } from '../image/resolve.js';
import { ensureHelloWorld, isHelloWorld } from '../image/hello.js';
import { markPhase } from './phases.js';

export interface ContainerRootfs {
  id: string;
  /** This command owns the container until it releases this (store/owners.ts). */
  claim: Claim;
  rootfs: string;
  driver: DriverName;
  driverReason: string;
  image: ImageRecord;
  config: ImageConfig;
}

function dirsFor(store: Store, rec: { layers: string[] }, containerDir: string): RootfsDirs {
  const top = [...rec.layers].reverse();
  return {
    storeRoot: store.root,
    lowerLinks: top.map((c) => {
      const l = store.getLayer(c);
      if (!l) throw new HxError(`layer ${c} of the image is missing from the store`, { hint: 'remove the image and load or pull it again' });
      return `l/${l.link}`;
    }),
    lowerDirs: top.map((c) => store.layerDiff(c)),
    containerDir,
    rootless: !isRootful(),
  };
}

function mountFor(store: Store, rec: ContainerRecord): string {
  const dirs = dirsFor(store, { layers: (rec.layers as string[]) ?? [] }, store.containerDir(rec.id));
  if (rec.driver === 'vfs') return rec.rootfs;
  if (isMountPoint(rec.rootfs)) return rec.rootfs;
  return rec.driver === 'overlay' ? mountOverlay(dirs) : mountFuseOverlay(dirs);
}

/**
 * Make the root filesystem of a new container from IMAGE (a name or ID). The container
 * record is written first (so GC keeps the layers), then the rootfs is mounted or copied.
 */
export async function createContainerRootfs(imageRef: string, opts: { id?: string; name?: string; storageDriver?: string; autoRemove?: boolean; state?: 'created' | 'running' } = {}): Promise<ContainerRootfs> {
  const store = openStore();
  const id = opts.id ?? randomBytes(32).toString('hex');
  if (!CONTAINER_ID.test(id)) throw new HxError(`invalid container id ${id}`);
  const choice = chooseDriver(store, opts.storageDriver);
  if (isHelloWorld(imageRef)) await ensureHelloWorld(store);
  let claim: Claim | undefined;
  const image = await store.locked(() => {
    const img = resolveImage(store, imageRef);
    const dir = store.containerDir(id);
    if (existsSync(join(dir, 'container.json'))) throw new HxError(`container ${id} already exists`);
    const rec: ContainerRecord = {
      id,
      ...(opts.name ? { name: opts.name } : {}),
      image: img.id,
      layers: img.layers,
      driver: choice.driver,
      rootfs: join(dir, choice.driver === 'vfs' ? 'rootfs' : 'merged'),
      ...(choice.driver === 'vfs' ? {} : { upper: join(dir, 'upper'), work: join(dir, 'work') }),
      created: new Date().toISOString(),
      state: opts.state ?? 'created',
      ...(opts.autoRemove ? { autoRemove: true } : {}),
    };
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Owned before anything is mounted: if this command dies from here on, the next one
    // unmounts (and, for --rm, removes) what it left.
    claim = store.owners.claim(id);
    store.putContainer(rec);
    return img;
  });
  const rec = store.getContainer(id)!;
  markPhase('store-lookup');
  try {
    const dirs = dirsFor(store, image, store.containerDir(id));
    let rootfs: string;
    if (choice.driver === 'vfs') rootfs = materializeVfs(dirs, opaqueXattrName());
    else rootfs = mountFor(store, rec);
    return { id, claim: claim!, rootfs, driver: choice.driver, driverReason: choice.reason, image, config: imageConfig(image) };
  } catch (e) {
    await removeContainerRootfs(id).catch(() => {});
    claim!.release();
    throw e;
  }
}

/** Mount (again, e.g. after the namespace holder restarted) and return the rootfs path. */
export function mountContainerRootfs(id: string): string {
  const store = openStore();
  const rec = store.getContainer(id);
  if (!rec) throw new HxError(`no such container rootfs: ${id}`);
  return mountFor(store, rec);
}

export function unmountContainerRootfs(id: string): void {
  const store = openStore();
  const rec = store.getContainer(id);
  if (!rec || rec.driver === 'vfs') return;
  if (isMountPoint(rec.rootfs)) unmountPath(rec.rootfs);
}

/** The container's command ran and ended with CODE (a kept container's record says so). */
export function markExited(id: string, code: number): void {
  const store = openStore();
  const rec = store.getContainer(id);
  if (rec) store.putContainer({ ...rec, state: 'exited', exitCode: code, finishedAt: new Date().toISOString() });
}

/** `--rm` and `hx rm`: unmount, delete upper/work/merged, drop the record (layers stay for GC). */
export async function removeContainerRootfs(id: string): Promise<void> {
  const store = openStore();
  unmountContainerRootfs(id);
  await store.locked(() => store.discard(store.containerDir(id)));
}

export async function unmountAll(store: Store): Promise<void> {
  for (const c of store.listContainers()) {
    if (c.driver !== 'vfs' && isMountPoint(c.rootfs)) unmountPath(c.rootfs);
  }
}

// ---------------------------------------------------------------- config merge

export interface RunFlags {
  /** --entrypoint: replaces the image's Entrypoint and drops its Cmd (docker). '' clears it. */
  entrypoint?: string | undefined;
  /** Arguments after IMAGE: replace the image's Cmd. */
  cmd?: string[] | undefined;
  env?: string[] | undefined;
  workdir?: string | undefined;
  user?: string | undefined;
}

export interface RunConfig {
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  volumes: string[];
  stopSignal: string;
  labels: Record<string, string>;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function mergeRunConfig(image: ImageConfig, flags: RunFlags): RunConfig {
  const c = image.config ?? {};
  let entrypoint = c.Entrypoint ?? [];
  let cmd = c.Cmd ?? [];
  if (flags.entrypoint !== undefined) {
    entrypoint = flags.entrypoint === '' ? [] : [flags.entrypoint];
    cmd = [];
  }
  if (flags.cmd && flags.cmd.length) cmd = flags.cmd;
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw new HxError('no command specified', { hint: 'the image has no Entrypoint or Cmd: give a command after the image name' });
  const env = new Map<string, string>();
  for (const e of c.Env ?? []) {
    const eq = e.indexOf('=');
    env.set(eq < 0 ? e : e.slice(0, eq), e);
  }
  if (!env.has('PATH')) env.set('PATH', `PATH=${DEFAULT_PATH}`);
  for (const e of flags.env ?? []) {
    const eq = e.indexOf('=');
    const key = eq < 0 ? e : e.slice(0, eq);
    if (eq < 0) {
      const v = process.env[key];
      if (v !== undefined) env.set(key, `${key}=${v}`);
    } else env.set(key, e);
  }
  return {
    args,
    env: [...env.values()],
    cwd: flags.workdir || c.WorkingDir || '/',
    user: flags.user ?? c.User ?? '',
    volumes: Object.keys(c.Volumes ?? {}),
    stopSignal: c.StopSignal || 'SIGTERM',
    labels: c.Labels ?? {},
  };
}
