// Rootless or rootful, decided once (when the process is where containers can be made:
// real root, or inside the holder's user namespace) and handed down as one value, so no
// module below the engine asks the question again (umoci's MapOptions/fseval seam).
import { readFileSync } from 'node:fs';
import { idMapContains, parseIdMap, type IdMapEntry } from './idmap.js';
import { hostGid, hostUid } from './paths.js';

export interface HostMode {
  /** true: hx runs as root of its own user namespace, for an unprivileged user. */
  readonly rootless: boolean;
  /** The user hx acts for, as the host sees them. */
  readonly uid: number;
  readonly gid: number;
  /** The id maps of this process's user namespace (rootful: the identity map). */
  readonly uidMap: IdMapEntry[];
  readonly gidMap: IdMapEntry[];
  /** Only one id is mapped (no subordinate range): other owners cannot be kept. */
  readonly singleId: boolean;
  /** setgroups(2) is allowed (not after "deny" in a single-id namespace). */
  readonly setgroupsAllowed: boolean;
}

const IDENTITY: IdMapEntry[] = [{ inside: 0, outside: 0, count: 4294967295 }];

function readMap(path: string): IdMapEntry[] {
  try {
    return parseIdMap(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}

/** The mode of this process, read from /proc once by the engine. */
export function currentHostMode(): HostMode {
  const uid = hostUid();
  const gid = hostGid();
  if (uid === 0) return { rootless: false, uid, gid, uidMap: IDENTITY, gidMap: IDENTITY, singleId: false, setgroupsAllowed: true };
  const uidMap = readMap('/proc/self/uid_map');
  const gidMap = readMap('/proc/self/gid_map');
  let setgroups = false;
  try {
    setgroups = readFileSync('/proc/self/setgroups', 'utf8').trim() === 'allow';
  } catch {
    setgroups = false;
  }
  const mapped = uidMap.reduce((n, e) => n + e.count, 0);
  return { rootless: true, uid, gid, uidMap, gidMap, singleId: mapped <= 1, setgroupsAllowed: setgroups };
}

/** The overlay xattr that marks an opaque directory in this mode. */
export function opaqueXattr(mode: HostMode): string {
  return mode.rootless ? 'user.overlay.opaque' : 'trusted.overlay.opaque';
}

/** gid 5 (tty) exists in the namespace: devpts may use gid=5. */
export function ttyGroupMapped(mode: HostMode): boolean {
  return !mode.rootless || idMapContains(mode.gidMap, 5);
}
