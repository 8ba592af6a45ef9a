// The storage drivers by name (driver.ts is the interface, choose.ts picks one per store).
import type { StorageDriver } from './driver.js';
import { fuseOverlayDriver } from './fuse.js';
import { overlayDriver } from './overlay.js';
import type { DriverName } from './types.js';
import { vfsDriver } from './vfs.js';

export type { Change, ChangeKind, StorageDriver } from './driver.js';
export type { DriverChoice, DriverName, RootfsDirs } from './types.js';

export function storageDriver(name: DriverName): StorageDriver {
  return name === 'overlay' ? overlayDriver : name === 'fuse-overlayfs' ? fuseOverlayDriver : vfsDriver;
}
