// Which cgroup manager this process can use, decided from the host as found: rootful v1
// (every controller on its own hierarchy, as on hx's development host; a hybrid host's
// empty unified tree is ignored), rootful v2 (/sys/fs/cgroup, containers under
// hx.slice), rootless v2 under the subtree delegated to the user. Rootless v1 has none:
// only root can write v1 hierarchies. `why` says what is missing when there is none.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cgroupInfo } from '../../host/cgroups.js';
import type { CgroupManager } from './types.js';
import { CgroupV1, v1Mounts } from './v1.js';
import { CgroupV2 } from './v2.js';

export type { CgroupManager, CgroupSample, Controller, Resources } from './types.js';
export { CgroupV1, v1Mounts } from './v1.js';
export { CgroupV2, cpuMax, ioMax, sharesToWeight } from './v2.js';
export { deviceNumber } from './types.js';

export interface CgroupHost {
  manager: CgroupManager | undefined;
  /** The host's hierarchy, for messages. */
  version: 'v1' | 'v2' | 'hybrid' | 'none';
  /** Why there is no manager (or why controllers are missing), for messages. */
  why: string;
}

function controllers(dir: string): Set<string> {
  try {
    return new Set(readFileSync(join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean));
  } catch {
    return new Set();
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(join(dir, 'cgroup.subtree_control'), constants.W_OK);
    accessSync(join(dir, 'cgroup.procs'), constants.W_OK);
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** The highest ancestor of REL (this process's cgroup) that is still ours to write. */
function delegatedBase(mount: string, rel: string): string | undefined {
  let best: string | undefined;
  for (let d = join(mount, rel); d.startsWith(mount) && d !== mount; d = dirname(d)) {
    if (writable(d)) best = d;
    else break;
  }
  return best;
}

let cached: CgroupHost | undefined;

export function cgroupHost(rootless: boolean): CgroupHost {
  if (cached) return cached;
  const info = cgroupInfo();
  const version = info.version;
  if (version === 'v1' || version === 'hybrid') {
    cached = rootless
      ? { manager: undefined, version, why: 'this host runs cgroup v1, whose hierarchies only root can write (nothing can be delegated to a user)' }
      : { manager: new CgroupV1(v1Mounts()), version, why: '' };
  } else if (version === 'v2') {
    const mount = '/sys/fs/cgroup';
    if (!rootless) {
      cached = { manager: new CgroupV2(mount, controllers(mount), 'hx.slice', 'not available on this host'), version, why: '' };
    } else {
      const base = delegatedBase(mount, info.path ?? '/');
      cached = base
        ? { manager: new CgroupV2(base, controllers(base), 'hx.slice', `not delegated to this user (cgroup ${base.slice(mount.length)})`), version, why: '' }
        : { manager: undefined, version, why: `no cgroup is delegated to this user (hx runs in ${info.path ?? '?'}, which belongs to root)` };
    }
  } else {
    cached = { manager: undefined, version, why: 'no cgroup hierarchy is mounted at /sys/fs/cgroup' };
  }
  return cached;
}
