// Which mounts a new container gets, docker's precedence (moby daemon.registerMountPoints):
// the user's -v/--mount first, then what `--volumes-from CTR[:ro|rw]` takes from other
// containers, then an anonymous volume for each of the image's VOLUMEs nobody mounted over.
import { volumeTarget } from '../../container/volumes.js';
import { HxError } from '../../errors.js';
import type { MountRequest } from '../../runtime/mounts.js';
import type { Store } from '../../store/store.js';
import { findContainer } from './lookup.js';

/** `--volumes-from CTR[:MODE]`: the container and the mode that overrides its mounts' own. */
export function parseVolumesFrom(spec: string): { ref: string; readonly?: boolean } {
  const colon = spec.indexOf(':');
  if (colon < 0) return { ref: spec };
  const ref = spec.slice(0, colon);
  const mode = spec.slice(colon + 1);
  if (mode === 'ro' || mode === 'rw') return { ref, readonly: mode === 'ro' };
  // docker accepts z/Z (SELinux) beside the mode; hx relabels nothing
  const words = mode.split(',');
  if (ref && words.every((w) => ['ro', 'rw', 'z', 'Z'].includes(w))) return { ref, readonly: words.includes('ro') };
  throw new HxError(`invalid mode: ${mode}`, { kind: 'invalid-argument', hint: 'use --volumes-from CONTAINER[:ro|rw]' });
}

/** The volume and bind mounts of the containers --volumes-from names, as mounts of a new one. */
export function mountsFrom(store: Store, specs: string[]): MountRequest[] {
  const out: MountRequest[] = [];
  for (const spec of specs) {
    const { ref, readonly } = parseVolumesFrom(spec);
    const rec = findContainer(store, ref);
    const mounts = (rec.spec as { options?: { mounts?: MountRequest[] } } | undefined)?.options?.mounts ?? [];
    for (const m of mounts) {
      // the source's mount point as docker copies it (its Mode too: moby gives a -v volume "z")
      if (m.type === 'volume') out.push({ ...m, origin: 'volumes-from', readonly: readonly ?? m.readonly, mode: m.mode === '' && m.origin === 'bind-flag' && !m.anonymous ? 'z' : m.mode });
      else if (m.type === 'bind') out.push({ ...m, readonly: readonly ?? m.readonly });
    }
  }
  return out;
}

/** The user's mounts, then the others' (--volumes-from), then the image's VOLUMEs, each
 * target taken by the first that names it. */
export function containerMounts(user: MountRequest[], fromOthers: MountRequest[], imageVolumeKeys: string[]): MountRequest[] {
  const targets = new Set(user.map((m) => m.target));
  const out = [...user];
  for (const m of fromOthers) {
    if (targets.has(m.target)) continue;
    targets.add(m.target);
    out.push(m);
  }
  for (const key of imageVolumeKeys) {
    const target = volumeTarget(key);
    if (target === '/' || targets.has(target)) continue;
    targets.add(target);
    out.push({ type: 'volume', name: '', target, readonly: false, nocopy: false, origin: 'image', mode: '' });
  }
  return out;
}
