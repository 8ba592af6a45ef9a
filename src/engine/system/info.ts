// `hx info`: what hx will do on this host and, for every problem found, one line saying
// how to fix it. The recurring rootless complaints behind these checks are in
// docs/ARCHITECTURE.md ("hx info").
import { firewall } from '../../net/firewall.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { launcherPath } from '../../sys/install.js';
import { cgroupInfo, type CgroupInfo } from '../../host/cgroups.js';
import { inspectHolder } from '../../runtime/holder.js';
import { overlappingRanges, parseIdMap, rangeContains, rootlessIdentity, sameIdMap, type IdMapEntry, type IdRange } from '../../host/idmap.js';
import { hostGid, hostUid, runtimeDirChoice } from '../../host/paths.js';
import type { EngineContext } from '../context.js';
import {
  canOpenDevice,
  checkIdMapper,
  findInPath,
  probeOverlay,
  probeUserNamespace,
  readSysctl,
  toolVersion,
  type IdMapperCheck,
  type ProbeResult,
} from '../../host/probes.js';
import { filesystemOf, type FilesystemInfo } from '../../host/filesystem.js';
import { recordedDriver } from '../../layer/drivers/choose.js';

export interface Problem {
  area: string;
  problem: string;
  fix: string;
}

export interface ToolInfo {
  path?: string;
  version?: string;
}

export type DeviceAccess = ReturnType<typeof canOpenDevice>;

export interface HostInfo {
  mode: 'rootless' | 'rootful';
  user: { uid: number; gid: number; name?: string };
  kernel: string;
  userNamespaces: {
    works: boolean;
    errno?: number;
    maxUserNamespaces?: number;
    apparmorRestrictUnprivileged?: boolean;
    unprivilegedUsernsClone?: boolean;
  };
  idMapping: {
    subuid: IdRange[];
    subgid: IdRange[];
    singleId: boolean;
    newuidmap: IdMapperCheck;
    newgidmap: IdMapperCheck;
  };
  holder: { state: string; pid?: number; reason?: string; uidMap?: IdMapEntry[]; gidMap?: IdMapEntry[]; mapsCurrent?: boolean };
  storage: {
    root: string;
    filesystem: FilesystemInfo;
    driver: 'overlay' | 'fuse-overlayfs' | 'vfs';
    driverReason: string;
    overlayProbe: ProbeResult;
  };
  fuseOverlayfs: ToolInfo & { devFuse: DeviceAccess };
  cgroups: CgroupInfo;
  /** firewall: what user networks' rules go through (net/firewall.ts: detected, or HX_FIREWALL). */
  network: { pasta: ToolInfo; slirp4netns: ToolInfo; devNetTun: DeviceAccess; firewall: ToolInfo & { backend?: 'iptables' | 'nftables' } };
  runtimeDir: { path: string; fallbackReason?: string };
  launcher: string;
  problems: Problem[];
}

function tool(name: string, args?: string[]): ToolInfo {
  const path = findInPath(name);
  if (!path) return {};
  const version = toolVersion(path, args);
  return version ? { path, version } : { path };
}

function readMap(pid: number, file: string): IdMapEntry[] | undefined {
  try {
    return parseIdMap(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** `hx info`: runs outside the namespace (the host as the user sees it); opens no store. */
export function hostInfo(ctx: EngineContext): HostInfo {
  const uid = hostUid();
  const gid = hostGid();
  const rootful = uid === 0;
  const identity = rootlessIdentity(uid, gid);
  const problems: Problem[] = [];
  const launcher = launcherPath();

  // User namespaces
  const userns = probeUserNamespace();
  const maxUserNs = readSysctl('/proc/sys/user/max_user_namespaces');
  const apparmor = readSysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
  const debianClone = readSysctl('/proc/sys/kernel/unprivileged_userns_clone');
  const userNamespaces: HostInfo['userNamespaces'] = { works: userns.ok };
  if (userns.errno !== undefined) userNamespaces.errno = userns.errno;
  if (maxUserNs !== undefined) userNamespaces.maxUserNamespaces = Number(maxUserNs);
  if (apparmor !== undefined) userNamespaces.apparmorRestrictUnprivileged = apparmor === '1';
  if (debianClone !== undefined) userNamespaces.unprivilegedUsernsClone = debianClone === '1';
  if (!userns.ok && !rootful) {
    if (maxUserNs === '0') {
      problems.push({ area: 'userns', problem: 'user.max_user_namespaces is 0 (RHEL/CentOS default)', fix: 'sudo sysctl -w user.max_user_namespaces=28633 (persist in /etc/sysctl.d/99-userns.conf)' });
    } else if (userns.errno === 28) {
      problems.push({ area: 'userns', problem: 'creating a user namespace failed with ENOSPC: user.max_user_namespaces is exhausted (not a full disk)', fix: `raise the limit: sudo sysctl -w user.max_user_namespaces=${Math.max(28633, Number(maxUserNs ?? 0) * 2)}` });
    } else if (apparmor === '1') {
      problems.push({
        area: 'userns',
        problem: 'Ubuntu restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1)',
        fix: `allow hx's launcher: printf 'abi <abi/4.0>,\\ninclude <tunables/global>\\nprofile hx ${launcher} flags=(unconfined) {\\n  userns,\\n}\\n' | sudo tee /etc/apparmor.d/hx && sudo apparmor_parser -r /etc/apparmor.d/hx`,
      });
    } else if (debianClone === '0') {
      problems.push({ area: 'userns', problem: 'kernel.unprivileged_userns_clone is 0', fix: 'sudo sysctl -w kernel.unprivileged_userns_clone=1' });
    } else {
      problems.push({ area: 'userns', problem: `cannot create a user namespace (errno ${userns.errno ?? '?'})`, fix: 'check that the kernel has CONFIG_USER_NS and that no seccomp/sandbox blocks unshare(2)' });
    }
  }

  // Id mapping
  const newuidmap = checkIdMapper('newuidmap');
  const newgidmap = checkIdMapper('newgidmap');
  if (!rootful) {
    if (identity.singleId) {
      const who = identity.user ?? String(uid);
      problems.push({ area: 'idmap', problem: `no subordinate id range for ${who} in /etc/subuid and /etc/subgid: containers get a single uid/gid`, fix: `sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${who}` });
    }
    for (const [file, ranges] of [['/etc/subuid', identity.subuid], ['/etc/subgid', identity.subgid]] as const) {
      const who = identity.user ?? String(uid);
      for (const [a, b] of overlappingRanges(ranges)) {
        const same = a.start === b.start && a.count === b.count;
        const start = Math.min(a.start, b.start);
        const end = Math.max(a.start + a.count, b.start + b.count);
        problems.push({
          area: 'idmap',
          problem: `${file} has ${same ? 'the same range twice' : 'overlapping ranges'} for ${who}: ${a.start}:${a.count} and ${b.start}:${b.count} (newuidmap refuses such a map; hx maps each id once)`,
          fix: `replace the two lines in ${file} with one: ${who}:${start}:${end - start}, then run hx system migrate`,
        });
      }
    }
    if (rangeContains(identity.subuid, uid) || rangeContains(identity.subgid, gid)) {
      problems.push({ area: 'idmap', problem: `your subordinate range contains your own id ${uid}: it would be mapped twice`, fix: 'give yourself a range that starts above every real uid, e.g. 100000:65536, in /etc/subuid and /etc/subgid' });
    }
    for (const [name, check] of [['newuidmap', newuidmap], ['newgidmap', newgidmap]] as const) {
      if (!check.path) problems.push({ area: 'idmap', problem: `${name} is not installed`, fix: 'sudo apt-get install uidmap (Fedora: shadow-utils; Alpine: shadow-uidmap)' });
      else if (!check.setuid && !check.fileCaps) problems.push({ area: 'idmap', problem: `${check.path} is neither setuid root nor has file capabilities`, fix: `sudo chmod u+s ${check.path}` });
    }
  }

  // Holder
  const rdir = runtimeDirChoice(ctx.env);
  const holderState = inspectHolder(rdir.path);
  const holder: HostInfo['holder'] = { state: holderState.state };
  if (holderState.state === 'invalid') holder.reason = holderState.reason;
  if (holderState.state === 'alive') {
    holder.pid = holderState.pid;
    const uidMap = readMap(holderState.pid, 'uid_map');
    const gidMap = readMap(holderState.pid, 'gid_map');
    if (uidMap) holder.uidMap = uidMap;
    if (gidMap) holder.gidMap = gidMap;
    holder.mapsCurrent = Boolean(uidMap && gidMap && sameIdMap(uidMap, identity.uidMap) && sameIdMap(gidMap, identity.gidMap));
    if (!holder.mapsCurrent) {
      problems.push({ area: 'idmap', problem: `the namespace holder (pid ${holderState.pid}) uses id maps that no longer match /etc/subuid and /etc/subgid`, fix: 'hx system migrate' });
    }
  }

  // Runtime dir
  if (rdir.fallbackReason && !rootful) {
    problems.push({ area: 'runtime', problem: `${rdir.fallbackReason}; using ${rdir.path}`, fix: 'log in as the user (ssh, machinectl shell user@) or export XDG_RUNTIME_DIR=/run/user/$(id -u) if systemd created it (after su, use `su -l` or `sudo -iu`)' });
  }

  // Storage
  const root = ctx.storageRoot;
  let overlayProbe: ProbeResult = { ok: false, step: 'not run' };
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    overlayProbe = probeOverlay(root);
  } catch (e) {
    overlayProbe = { ok: false, step: (e as Error).message };
  }
  const filesystem = filesystemOf(root);
  if (filesystem.unsuitable) {
    problems.push({ area: 'storage', problem: `storage root ${root} is on ${filesystem.type}: ${filesystem.unsuitable}`, fix: 'point hx at a local disk: export XDG_DATA_HOME=/var/tmp/$USER (or HX_STORAGE_ROOT=...)' });
  }
  const fuse = tool('fuse-overlayfs');
  const devFuse = canOpenDevice('/dev/fuse');
  let driver: HostInfo['storage']['driver'];
  let driverReason: string;
  if (overlayProbe.ok) {
    driver = 'overlay';
    driverReason = rootful ? 'kernel overlayfs mounts here' : 'kernel overlayfs mounts inside a user namespace here (userxattr)';
  } else if (fuse.path && devFuse.usable) {
    driver = 'fuse-overlayfs';
    driverReason = `kernel overlayfs failed (${overlayProbe.errno !== undefined ? `errno ${overlayProbe.errno}` : overlayProbe.step})`;
  } else {
    driver = 'vfs';
    driverReason = `kernel overlayfs failed (${overlayProbe.errno !== undefined ? `errno ${overlayProbe.errno}` : overlayProbe.step}) and fuse-overlayfs is ${fuse.path ? 'unusable' : 'not installed'}: full copies, slow and large`;
    problems.push({ area: 'storage', problem: 'no copy-on-write storage driver works: falling back to vfs', fix: fuse.path ? 'sudo chmod 0666 /dev/fuse' : 'use kernel >= 5.11 for rootless overlay, or sudo apt-get install fuse-overlayfs' });
  }
  // What the store itself uses (its own trial mount in the namespace, or HX_STORAGE_DRIVER) wins.
  const recorded = recordedDriver(root, rootful, ctx.storageDriver);
  if (recorded) ({ driver, reason: driverReason } = recorded);
  if (fuse.path && !devFuse.usable && driver !== 'overlay') {
    problems.push({ area: 'storage', problem: `/dev/fuse is ${devFuse.exists ? `mode ${devFuse.mode}, not usable by you` : 'missing'}: fuse-overlayfs cannot run`, fix: devFuse.exists ? 'sudo chmod 0666 /dev/fuse (hosts without udev leave it 0600)' : 'sudo modprobe fuse' });
  }

  // cgroups
  const cgroups = cgroupInfo(uid);
  if (!rootful && cgroups.delegated.length === 0) {
    const fix = cgroups.version === 'v2' ? 'with systemd: sudo systemctl edit user@.service, add [Service] Delegate=cpu cpuset io memory pids, then re-login' : 'boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1) and delegate controllers to users';
    problems.push({ area: 'cgroups', problem: `cgroup ${cgroups.version}: no controllers are delegated to you, so --memory/--cpus/--pids-limit cannot be enforced`, fix });
  }

  // Network
  const pasta = tool('pasta', ['--version']);
  // Debian's passt builds print "pasta unknown version": the package says which it is
  if (pasta.path && (!pasta.version || /unknown version/.test(pasta.version))) {
    const pkg = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'passt'], { encoding: 'utf8', timeout: 5000 });
    if (pkg.status === 0 && pkg.stdout.trim()) pasta.version = `passt ${pkg.stdout.trim()} (Debian package)`;
  }
  const slirp = tool('slirp4netns', ['--version']);
  const devNetTun = canOpenDevice('/dev/net/tun');
  if (!rootful) {
    if (!pasta.path && !slirp.path) problems.push({ area: 'network', problem: 'neither pasta nor slirp4netns is installed: containers can only use --network none or host', fix: 'sudo apt-get install passt (or slirp4netns)' });
    if (!devNetTun.usable) {
      problems.push({ area: 'network', problem: `/dev/net/tun is ${devNetTun.exists ? `mode ${devNetTun.mode}, not usable by you` : 'missing'}: pasta and slirp4netns cannot create the container's interface`, fix: devNetTun.exists ? 'sudo chmod 0666 /dev/net/tun (hosts without udev leave it 0600)' : 'sudo modprobe tun' });
    }
  }

  let fw: HostInfo['network']['firewall'] = {};
  try {
    const backend = firewall().name;
    fw = { backend, ...(backend === 'iptables' ? tool('iptables', ['--version']) : tool('nft', ['--version'])) };
    if (!fw.path) problems.push({ area: 'network', problem: `${backend} is not installed: user networks${rootful ? " and docker's default bridge" : ''} cannot route their containers`, fix: 'sudo apt-get install iptables (or nftables)' });
  } catch (e) {
    problems.push({ area: 'network', problem: (e as Error).message, fix: 'set HX_FIREWALL to iptables or nftables, or unset it' });
  }

  const user: HostInfo['user'] = { uid, gid };
  if (identity.user) user.name = identity.user;
  return {
    mode: rootful ? 'rootful' : 'rootless',
    user,
    kernel: release(),
    userNamespaces,
    idMapping: { subuid: identity.subuid, subgid: identity.subgid, singleId: identity.singleId, newuidmap, newgidmap },
    holder,
    storage: { root, filesystem, driver, driverReason, overlayProbe },
    fuseOverlayfs: { ...fuse, devFuse },
    cgroups,
    network: { pasta, slirp4netns: slirp, devNetTun, firewall: fw },
    runtimeDir: rdir,
    launcher,
    problems,
  };
}
