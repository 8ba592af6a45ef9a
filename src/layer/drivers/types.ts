// A storage driver turns an image's layer dirs (overlay form, base first) into a root
// filesystem for one container.
export type DriverName = 'overlay' | 'fuse-overlayfs' | 'vfs';

export interface DriverChoice {
  driver: DriverName;
  reason: string;
}

export interface RootfsDirs {
  /** The store root: lower dirs are given relative to it (short l/ links). */
  storeRoot: string;
  /** Short link names (l/<id>) of the lower layers, top layer first. */
  lowerLinks: string[];
  /** Absolute diff dirs of the lower layers, top first (vfs copies from them). */
  lowerDirs: string[];
  /** The container's dir: upper/, work/, merged/ (or rootfs/ for vfs) go here. */
  containerDir: string;
  /** user.overlay.* (rootless) or trusted.overlay.* (rootful) whiteout xattrs. */
  rootless: boolean;
}

/** The xattr marking an opaque directory in these dirs' layers. */
export function opaqueXattrOf(d: RootfsDirs): string {
  return d.rootless ? 'user.overlay.opaque' : 'trusted.overlay.opaque';
}
