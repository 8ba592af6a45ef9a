// The storage-driver seam (containers/storage's drivers/driver.go): one interface that
// overlay, fuse-overlayfs and vfs implement, so container code never dispatches on a
// driver name, and one conformance suite (test/e2e/storage-drivers.test.mjs) runs against
// every implementation.
import type { DriverName, RootfsDirs } from './types.js';

/** docker's change kinds (`docker diff`): Added, Changed, Deleted. */
export type ChangeKind = 'A' | 'C' | 'D';

export interface Change {
  /** Absolute path inside the container. */
  path: string;
  kind: ChangeKind;
  /** A directory whose lower content is hidden (overlay opaque): what is below it now is all there is. */
  opaque?: boolean;
}

export interface StorageDriver {
  readonly name: DriverName;
  /** The container's root filesystem, made (mounted, or copied for vfs) when it is not there yet. */
  mount(d: RootfsDirs): string;
  /** Make it unavailable again (unmount); the container's writes stay. */
  unmount(d: RootfsDirs): void;
  /** Delete what the driver made for the container (unmounts first). */
  remove(d: RootfsDirs): void;
  /** Where the root filesystem is (whether or not it is mounted now). */
  rootfsPath(d: RootfsDirs): string;
  /** Is it available now (mounted, or copied)? */
  isMounted(d: RootfsDirs): boolean;
  /** What the container changed against its image, sorted by path (parents before children). */
  changes(d: RootfsDirs): Change[];
  /** Where the content of every added or changed path of changes() can be read without a
   * mount: the upper dir (overlay, fuse-overlayfs), the copy (vfs). */
  changesRoot(d: RootfsDirs): string;
}

/** Sort changes the way docker lists them: by path, a directory before what is in it. */
export function sortChanges(changes: Change[]): Change[] {
  return changes.sort((a, b) => (a.path === b.path ? 0 : a.path < b.path ? -1 : 1));
}
