// Root filesystems of containers made from images: a per-container upper and work dir
// over the image's layers (overlay, fuse-overlayfs) or a full copy (vfs), behind the
// StorageDriver interface. The record is written (and the container owned) before
// anything is mounted, so GC keeps the layers and a killed command's leftovers are swept.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HxError } from '../errors.js';
import type { HostMode } from '../host/mode.js';
import { storageDriver } from '../layer/drivers/index.js';
import type { RootfsDirs } from '../layer/drivers/types.js';
import type { Claim } from '../store/owners.js';
import { CONTAINER_ID, type ContainerRecord, type ImageRecord, type Store } from '../store/store.js';
import type { ContainerSpace } from './space.js';
import { disconnectNetwork } from './network.js';
import { anonymousVolumesOf, removeUnusedVolumes } from './volumes.js';

export function dirsFor(store: Store, mode: HostMode, rec: Pick<ContainerRecord, 'id' | 'layers'>): RootfsDirs {
  const top = [...rec.layers].reverse();
  return {
    storeRoot: store.root,
    lowerLinks: top.map((c) => {
      const l = store.getLayer(c);
      if (!l) throw new HxError(`layer ${c} of the image is missing from the store`, { kind: 'data', hint: 'remove the image and load or pull it again' });
      return `l/${l.link}`;
    }),
    lowerDirs: top.map((c) => store.layerDiff(c)),
    containerDir: store.containerDir(rec.id),
    rootless: mode.rootless,
  };
}

export interface NewContainer {
  record: ContainerRecord;
  /** This command owns the container until it releases (or hands over) this (store/owners.ts). */
  claim: Claim;
}

export interface CreateOptions {
  id?: string;
  /** A unique name given by the user (a conflict is an error)... */
  name?: string;
  /** ...or one picked under the store lock (docker's adjective_surname): TAKEN says which are in use. */
  pickName?: (taken: (name: string) => boolean) => string;
  /** The reference the image was asked for by. */
  imageRef: string;
  autoRemove?: boolean;
  /** What hx needs to start it again, and docker's Config/HostConfig for inspect. */
  spec?: Record<string, unknown>;
  config?: Record<string, unknown>;
  hostConfig?: Record<string, unknown>;
}

/** docker's message for a name in use (docker/cli and moby: "Conflict. The container name ...") */
export function nameConflict(name: string, id: string): HxError {
  return new HxError(`Conflict. The container name "/${name}" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`, {
    kind: 'conflict',
    hint: `remove it (hx rm ${id.slice(0, 12)}) or pick another --name`,
  });
}

/** Reserve NAME for ID (call under the store lock); a name left by a record that is gone is taken over. */
export function reserveName(store: Store, name: string, id: string): void {
  if (store.containers.reserveName(name, id)) return;
  const holder = store.containers.nameOwner(name);
  if (holder && store.getContainer(holder)) throw nameConflict(name, holder);
  store.containers.releaseName(name, holder ?? '');
  if (!store.containers.reserveName(name, id)) throw nameConflict(name, store.containers.nameOwner(name) ?? '?');
}

/** The record of a new container of IMAGE, written under the store lock and owned by this command. */
export async function createContainer(space: ContainerSpace, image: ImageRecord, opts: CreateOptions): Promise<NewContainer> {
  const { store } = space;
  const id = opts.id ?? randomBytes(32).toString('hex');
  if (!CONTAINER_ID.test(id)) throw new HxError(`invalid container id ${id}`, { kind: 'invalid-argument' });
  const choice = space.driver();
  const driver = storageDriver(choice.driver);
  let claim: Claim | undefined;
  const record = await store.locked(() => {
    const dir = store.containerDir(id);
    if (existsSync(join(dir, 'container.json'))) throw new HxError(`container ${id} already exists`, { kind: 'conflict' });
    const taken = (n: string): boolean => {
      const holder = store.containers.nameOwner(n);
      return holder !== undefined && store.getContainer(holder) !== undefined;
    };
    const name = opts.name ?? opts.pickName?.(taken) ?? id.slice(0, 12);
    reserveName(store, name, id);
    const rec: ContainerRecord = {
      id,
      name,
      image: image.id,
      imageRef: opts.imageRef,
      layers: image.layers,
      driver: choice.driver,
      rootfs: '',
      created: new Date().toISOString(),
      ...(opts.autoRemove ? { autoRemove: true } : {}),
      ...(opts.spec ? { spec: opts.spec } : {}),
      ...(opts.config ? { config: opts.config } : {}),
      ...(opts.hostConfig ? { hostConfig: opts.hostConfig } : {}),
    };
    const dirs = dirsFor(store, space.mode, rec);
    rec.rootfs = driver.rootfsPath(dirs);
    if (choice.driver !== 'vfs') Object.assign(rec, { upper: join(dir, 'upper'), work: join(dir, 'work') });
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Owned before anything is mounted: if this command dies from here on, the next one
    // unmounts (and, for --rm, removes) what it left.
    claim = store.owners.claim(id);
    store.putContainer(rec);
    return rec;
  });
  return { record, claim: claim! };
}

/** Make the container's root filesystem available (mount, or copy for vfs); its path. */
export function mountRootfs(space: ContainerSpace, rec: ContainerRecord): string {
  return storageDriver(driverName(rec)).mount(dirsFor(space.store, space.mode, rec));
}

export function unmountRootfs(space: ContainerSpace, rec: ContainerRecord): void {
  storageDriver(driverName(rec)).unmount(dirsFor(space.store, space.mode, rec));
}

/** `--rm`, `hx rm`: unmount, delete the driver's dirs and the record (layers stay for GC);
 * with O.anonymousVolumes (`rm -v`, `--rm`) its anonymous volumes that no other container uses too. */
export async function removeContainer(space: ContainerSpace, id: string, o: { anonymousVolumes?: boolean } = {}): Promise<void> {
  const { store } = space;
  const rec = store.getContainer(id);
  await disconnectNetwork(store.containerDir(id)); // a helper left running (its owner died)
  if (rec) {
    try {
      storageDriver(driverName(rec)).unmount(dirsFor(store, space.mode, rec));
    } catch {
      /* its layers are gone (rmi -f): nothing is mounted over them either */
    }
  }
  await store.locked(() => {
    const anonymous = rec && o.anonymousVolumes ? anonymousVolumesOf(rec) : [];
    if (rec) store.containers.releaseName(rec.name, rec.id);
    store.discard(store.containerDir(id));
    removeUnusedVolumes(store, anonymous);
  });
}

/** Unmount every container of the store (hx system reset). */
export function unmountAll(space: ContainerSpace): void {
  for (const c of space.store.listContainers()) {
    try {
      unmountRootfs(space, c);
    } catch {
      /* a record whose layers are gone */
    }
  }
}

export function driverName(rec: ContainerRecord): 'overlay' | 'fuse-overlayfs' | 'vfs' {
  if (rec.driver === 'overlay' || rec.driver === 'fuse-overlayfs' || rec.driver === 'vfs') return rec.driver;
  throw new HxError(`container ${rec.id} has an unknown storage driver "${rec.driver}"`, { kind: 'data' });
}
