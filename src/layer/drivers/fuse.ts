// fuse-overlayfs: an overlay in user space, for kernels whose overlayfs cannot be
// mounted in a user namespace. Same layer format (0/0 char devices, user.overlay.opaque).
import { spawnSync } from 'node:child_process';
import { relative, join } from 'node:path';
import { HxError } from '../../errors.js';
import { findInPath } from '../../host/which.js';
import { overlayLayout, prepareOverlayDirs } from './overlay.js';
import type { RootfsDirs } from './types.js';

export function mountFuseOverlay(d: RootfsDirs): string {
  const bin = findInPath('fuse-overlayfs');
  if (!bin) throw new HxError('fuse-overlayfs is not installed', { hint: 'sudo apt-get install fuse-overlayfs, or use --storage-driver vfs' });
  const { merged } = prepareOverlayDirs(d.containerDir);
  const rel = (p: string): string => relative(d.storeRoot, p);
  const lowers = d.lowerLinks.length ? d.lowerLinks : [rel(join(d.containerDir, 'empty'))];
  const opts = `lowerdir=${lowers.join(':')},upperdir=${rel(join(d.containerDir, 'upper'))},workdir=${rel(join(d.containerDir, 'work'))}`;
  const r = spawnSync(bin, ['-o', opts, merged], { cwd: d.storeRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new HxError(`fuse-overlayfs failed: ${(r.stderr || '').trim()}`, { hint: 'check /dev/fuse permissions (hx info), or use --storage-driver vfs' });
  return merged;
}

export const fuseOverlayDriver = overlayLayout(mountFuseOverlay, 'fuse-overlayfs');
