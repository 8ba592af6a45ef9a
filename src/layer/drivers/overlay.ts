// Kernel overlayfs. Rootless it is mounted inside hx's user+mount namespace with
// `userxattr` (kernel >= 5.11), so whiteouts and opaque dirs use user.overlay.*.
// Lower dirs are passed as short links relative to the store root (chdir first), the
// way containers/storage keeps the mount data under the one-page limit.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HxError } from '../../errors.js';
import { mount, umount2, MNT_DETACH } from '../../sys/libc.js';
import { upperChanges } from './changes.js';
import type { StorageDriver } from './driver.js';
import { opaqueXattrOf, type RootfsDirs } from './types.js';

const PAGE_LIMIT = 4095;

export function overlayOptions(d: RootfsDirs): string {
  const rel = (p: string): string => relative(d.storeRoot, p);
  const lowers = d.lowerLinks.length ? d.lowerLinks : [rel(join(d.containerDir, 'empty'))];
  const opts = [`lowerdir=${lowers.join(':')}`, `upperdir=${rel(join(d.containerDir, 'upper'))}`, `workdir=${rel(join(d.containerDir, 'work'))}`];
  if (d.rootless) opts.push('userxattr');
  const data = opts.join(',');
  if (data.length > PAGE_LIMIT) {
    throw new HxError(`the image has too many layers (${d.lowerLinks.length}) for one overlay mount`, { hint: 'squash the image (fewer layers), or use --storage-driver vfs' });
  }
  return data;
}

export function prepareOverlayDirs(containerDir: string): { upper: string; work: string; merged: string } {
  const upper = join(containerDir, 'upper');
  const work = join(containerDir, 'work');
  const merged = join(containerDir, 'merged');
  for (const p of [upper, work, merged, join(containerDir, 'empty')]) mkdirSync(p, { recursive: true, mode: 0o755 });
  return { upper, work, merged };
}

/** Mount the overlay at containerDir/merged. Must run on the main thread (it chdirs). */
export function mountOverlay(d: RootfsDirs): string {
  const { merged } = prepareOverlayDirs(d.containerDir);
  const data = overlayOptions(d);
  const cwd = process.cwd();
  process.chdir(d.storeRoot);
  try {
    mount('overlay', merged, 'overlay', 0, data);
  } finally {
    process.chdir(cwd);
  }
  return merged;
}

/** Is PATH a mount point in this mount namespace? */
export function isMountPoint(path: string): boolean {
  try {
    const info = readFileSync('/proc/self/mountinfo', 'utf8');
    return info.split('\n').some((line) => line.split(' ')[4] === path);
  } catch {
    return false;
  }
}

export function unmountPath(path: string): void {
  try {
    umount2(path, MNT_DETACH);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'EINVAL' && code !== 'ENOENT') throw e; // EINVAL: not a mount point
  }
}

/** Overlay and fuse-overlayfs share the layout: upper/ work/ merged/ in the container dir. */
export function overlayLayout(mountIt: (d: RootfsDirs) => string, name: 'overlay' | 'fuse-overlayfs'): StorageDriver {
  const merged = (d: RootfsDirs): string => join(d.containerDir, 'merged');
  return {
    name,
    rootfsPath: merged,
    isMounted: (d) => isMountPoint(merged(d)),
    mount: (d) => (isMountPoint(merged(d)) ? merged(d) : mountIt(d)),
    unmount: (d) => {
      if (isMountPoint(merged(d))) unmountPath(merged(d));
    },
    remove: (d) => {
      if (isMountPoint(merged(d))) unmountPath(merged(d));
      for (const sub of ['merged', 'upper', 'work', 'empty']) rmSync(join(d.containerDir, sub), { recursive: true, force: true });
    },
    changes: (d) => upperChanges(join(d.containerDir, 'upper'), d.lowerDirs, opaqueXattrOf(d)),
    changesRoot: (d) => join(d.containerDir, 'upper'),
  };
}

export const overlayDriver: StorageDriver = overlayLayout(mountOverlay, 'overlay');
