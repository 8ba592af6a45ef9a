// Volumes of a container. Today: the anonymous volumes docker makes for an image's
// VOLUMEs, kept in the container's dir (removed with it) and filled from the image.
// Every path is resolved inside the container's root: image data never names a host path.
import { mkdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { wrap } from '../errors.js';
import type { MountRequest } from '../runtime/mounts.js';
import { SysError } from '../sys/errors.js';
import { copyTree, CopyFlag } from '../sys/spawn.js';

/** An image's VOLUME key as a path inside the container: cleaned and absolute, so no `..`
 * climbs anywhere (it is resolved inside the container's root in any case). */
export function volumeTarget(key: string): string {
  const clean = posix.normalize(`/${key}`);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

/**
 * docker's copy-up: a new, empty volume gets what the image has at TARGET (owners, modes,
 * xattrs, hardlinks kept), when that is a directory. TARGET is resolved inside ROOTFS
 * (symlinks in the image stay in the image) and the copy never follows a symlink out of it.
 */
export function copyUp(rootfs: string, target: string, volume: string): void {
  try {
    copyTree({ root: rootfs, path: target }, { root: '', path: volume }, CopyFlag.XATTRS | CopyFlag.HARDLINKS | CopyFlag.ROOT_ATTRS | CopyFlag.IGNORE_CHOWN);
  } catch (e) {
    // Nothing at that path in the image (or not a directory): the volume starts empty.
    if (e instanceof SysError && (e.code === 'ENOENT' || e.code === 'ENOTDIR') && e.message.startsWith(`copy open ${target}:`)) return;
    throw wrap(e, `cannot fill the volume for ${target}`);
  }
}

/** Anonymous volumes for the image's VOLUME keys under CONTAINERDIR, filled from ROOTFS:
 * bind mounts for the container (a key the user mounts over is skipped). */
export function imageVolumes(containerDir: string, rootfs: string, keys: string[], userTargets: Set<string>): MountRequest[] {
  const seen = new Set<string>();
  const out: MountRequest[] = [];
  keys.forEach((key, i) => {
    const target = volumeTarget(key);
    if (seen.has(target) || userTargets.has(target)) return;
    seen.add(target);
    const source = join(containerDir, 'volumes', String(i));
    mkdirSync(source, { recursive: true, mode: 0o755 });
    copyUp(rootfs, target, source);
    out.push({ type: 'bind', source, target, readonly: false, propagation: 'rprivate', recursive: true });
  });
  return out;
}
