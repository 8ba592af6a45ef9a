// Which cgroup hierarchy the host runs, and which controllers this user may use.
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface CgroupInfo {
  version: 'v1' | 'v2' | 'hybrid' | 'none';
  /** This process's v2 cgroup path, when there is a v2 hierarchy. */
  path?: string;
  /** Controllers enabled for this process's v2 cgroup. */
  available: string[];
  /** Controllers this user can actually set limits with (the cgroup is delegated to them). */
  delegated: string[];
}

function mountType(target: string): string | undefined {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
  let found: string | undefined;
  for (const line of mounts) {
    const f = line.split(' ');
    if (f[1] === target) found = f[2]; // the last mount on a path wins
  }
  return found;
}

export function cgroupInfo(uid = process.getuid!()): CgroupInfo {
  const top = mountType('/sys/fs/cgroup');
  let version: CgroupInfo['version'];
  let v2Root: string | undefined;
  if (top === 'cgroup2') {
    version = 'v2';
    v2Root = '/sys/fs/cgroup';
  } else if (top === 'tmpfs') {
    const unified = mountType('/sys/fs/cgroup/unified');
    version = unified === 'cgroup2' ? 'hybrid' : 'v1';
    if (unified === 'cgroup2') v2Root = '/sys/fs/cgroup/unified';
  } else {
    version = 'none';
  }
  const info: CgroupInfo = { version, available: [], delegated: [] };
  if (!v2Root) return info;
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'));
  const rel = line ? line.slice(3) : '/';
  info.path = rel;
  const dir = join(v2Root, rel);
  try {
    info.available = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    info.available = [];
  }
  // Delegated means: the cgroup dir is ours and we can write its subtree_control and procs.
  try {
    const ours = statSync(dir).uid === uid || uid === 0;
    accessSync(join(dir, 'cgroup.subtree_control'), constants.W_OK);
    accessSync(join(dir, 'cgroup.procs'), constants.W_OK);
    if (ours && existsSync(dir)) info.delegated = info.available;
  } catch {
    info.delegated = [];
  }
  return info;
}
