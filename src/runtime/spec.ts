// From what the user asked for (docker's run options, already parsed) to the spawn plan
// the C child executes. Pure: host facts and the image's passwd/group come in as data,
// so every rule here is unit-testable.
import { capabilityMask, resolveCapabilities } from './capabilities.js';
import { mergeEnv, withDefaultEnv } from './env.js';
import { checkDuplicateTargets, defaultMounts, MountKind, protectionMounts, requestToOp, sortMountRequests, type MountOp, type MountRequest } from './mounts.js';
import { CLONE, FD_TTY, PlanOption, type SpawnPlan } from './plan.js';
import { mergeUlimits, type Rlimit } from './rlimits.js';
import { ContainerConfigError } from './run-errors.js';
import type { IdMapEntry } from '../host/idmap.js';
import { resolveUser, type GroupEntry, type PasswdEntry } from './user.js';

export type SeccompChoice = 'default' | 'unconfined' | { path: string };

/** A container to run: a root filesystem plus docker's process and security settings. */
export interface ContainerOptions {
  /** Host path of the root filesystem (a plain directory or a mounted overlay). */
  rootfs: string;
  /** Mount the root filesystem read-only (--read-only). */
  readOnly?: boolean;
  /** argv; args[0] is looked up in the container's PATH. */
  args: string[];
  /** KEY=VALUE entries; PATH, HOSTNAME, HOME (and TERM with tty) are added when missing. */
  env?: string[];
  /** Working directory inside the container; created when missing. Default "/". */
  cwd?: string;
  /** docker's --user: NAME|UID[:GROUP|GID]; "" or undefined is root. */
  user?: string;
  groupAdd?: string[];
  hostname?: string;
  /** Allocate a terminal (-t). */
  tty?: boolean;
  mounts?: MountRequest[];
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  seccomp?: SeccompChoice;
  noNewPrivileges?: boolean;
  ulimits?: Rlimit[];
  /** Run hx's init as pid 1 (--init). */
  init?: boolean;
  /** host: the host's network namespace; anything else a new one with lo up (pasta and
   * slirp4netns connect it before the command runs). */
  network?: 'none' | 'host' | 'pasta' | 'slirp4netns' | 'bridge' | 'container';
  /** network 'container': the running container whose network namespace is joined (its pid 1). */
  netJoin?: { pid: number; startTime: bigint };
  /** --cgroupns: host keeps hx's cgroup namespace (default private: a new one). */
  cgroupns?: 'host' | 'private';
  /** Open cgroup v1 `tasks` files: the child joins those cgroups itself before it execs. */
  cgroupFds?: number[];
}

/** What the host allows, found out by the engine. */
export interface HostFacts {
  /** setgroups(2) works (false after "deny" in a single-id user namespace). */
  setgroupsAllowed: boolean;
  /** gid 5 (tty) exists in the user namespace: devpts may use gid=5. */
  ttyGroupMapped: boolean;
  lastCap: number;
  /** Host path of build/init, for --init. */
  initBinary: string;
  /** The user namespace's uid and gid maps (rootless); undefined when hx runs in none. */
  idMaps?: { uid: IdMapEntry[]; gid: IdMapEntry[] } | undefined;
}

export interface UserFiles {
  passwd: PasswdEntry[] | null;
  group: GroupEntry[] | null;
}

export const INIT_PATH = '/dev/init';

/** The container's capabilities by name (for the seccomp compiler and the plan). */
export function containerCapabilities(o: ContainerOptions, lastCap: number): string[] {
  return resolveCapabilities({ add: o.capAdd ?? [], drop: o.capDrop ?? [], privileged: o.privileged ?? false }, lastCap);
}

function absolute(path: string, what: string): string {
  if (!path.startsWith('/')) throw new ContainerConfigError(`${what} ${JSON.stringify(path)} is not an absolute path`);
  return path;
}

export interface PlanInputs {
  options: ContainerOptions;
  facts: HostFacts;
  files: UserFiles;
  hostname: string;
  capabilities: string[];
  seccomp: Buffer | null;
  /** Parent fds for the container's stdin, stdout, stderr (FD_NULL for /dev/null). */
  stdio: [number, number, number];
}

export function buildPlan(inp: PlanInputs): SpawnPlan {
  const o = inp.options;
  if (o.args.length === 0) throw new ContainerConfigError('no command specified', 'give the command to run after the options');
  const privileged = o.privileged ?? false;
  const user = resolveUser(o.user ?? '', inp.files.passwd, inp.files.group, o.groupAdd ?? []);
  const cwd = absolute(o.cwd || '/', 'working directory');

  const requests = o.mounts ?? [];
  checkDuplicateTargets(requests);
  const mounts: MountOp[] = [
    ...defaultMounts({ ttyGroup: inp.facts.ttyGroupMapped, privileged, initBinary: o.init ? inp.facts.initBinary : undefined }),
    ...sortMountRequests(requests).map(requestToOp),
  ];
  if (cwd !== '/') mounts.push({ kind: MountKind.MKDIR, flags: 0, bits: 0, source: '', target: cwd, fstype: '', data: '' });
  mounts.push(...protectionMounts(privileged));

  let namespaces = CLONE.NEWNS | CLONE.NEWPID | CLONE.NEWUTS | CLONE.NEWIPC | (o.cgroupns === 'host' ? 0 : CLONE.NEWCGROUP);
  let options = PlanOption.PDEATHSIG;
  if ((o.network ?? 'none') !== 'host' && o.network !== 'container') {
    namespaces |= CLONE.NEWNET;
    options |= PlanOption.LOOPBACK_UP;
  }
  if (o.readOnly) options |= PlanOption.READONLY_ROOT;
  if (o.tty) options |= PlanOption.TTY;
  if (o.noNewPrivileges) options |= PlanOption.NO_NEW_PRIVS;
  if (inp.facts.setgroupsAllowed) options |= PlanOption.SETGROUPS;

  const mask = capabilityMask(inp.capabilities);
  // With -t the terminal is all three (docker: without -i nothing is typed into it).
  const stdio: [number, number, number] = o.tty ? [FD_TTY, FD_TTY, FD_TTY] : inp.stdio;
  return {
    rootfs: o.rootfs,
    namespaces,
    options,
    hostname: inp.hostname,
    mounts,
    cwd,
    // docker lists the primary group among the supplementary ones too
    user: { uid: user.uid, gid: user.gid, groups: [user.gid, ...user.additionalGids] },
    caps: { bounding: mask, effective: mask, permitted: mask, inheritable: 0n, ambient: 0n, lastCap: inp.facts.lastCap },
    rlimits: mergeUlimits(o.ulimits ?? []),
    seccomp: inp.seccomp,
    args: o.args,
    env: withDefaultEnv(o.env ?? [], { hostname: inp.hostname, home: user.home, tty: o.tty ?? false }),
    stdio,
    init: o.init ? INIT_PATH : undefined,
    ttyGid: inp.facts.ttyGroupMapped ? 5 : 0,
    ...(o.cgroupFds?.length ? { cgroupFds: o.cgroupFds } : {}),
    ...(o.network === 'container' && o.netJoin ? { netJoin: o.netJoin } : {}),
  };
}

/** exec: a process in a running container, with the container's security settings. */
export interface ExecInputs {
  /** The container's own settings (as it was started): caps, seccomp, rlimits, env, user. */
  container: ContainerOptions;
  /** What exec asks for on top: args, -u, -w, -e (KEY=VALUE, already expanded), -t, --privileged. */
  exec: { args: string[]; user?: string | undefined; cwd?: string | undefined; env?: string[] | undefined; tty?: boolean; privileged?: boolean };
  /** The container's pid 1: pid and start time (a reused pid is never joined). */
  target: { pid: number; startTime: bigint };
  facts: HostFacts;
  files: UserFiles;
  hostname: string;
  capabilities: string[];
  seccomp: Buffer | null;
  stdio: [number, number, number];
}

export function buildExecPlan(inp: ExecInputs): SpawnPlan {
  const c = inp.container;
  const e = inp.exec;
  if (e.args.length === 0) throw new ContainerConfigError('no command specified', 'give the command to run in the container');
  const user = resolveUser(e.user ?? c.user ?? '', inp.files.passwd, inp.files.group, c.groupAdd ?? []);
  const cwd = absolute(e.cwd || c.cwd || '/', 'working directory');
  let options = 0;
  if (e.tty) options |= PlanOption.TTY;
  if (c.noNewPrivileges) options |= PlanOption.NO_NEW_PRIVS;
  if (inp.facts.setgroupsAllowed) options |= PlanOption.SETGROUPS;
  const mask = capabilityMask(inp.capabilities);
  const tty = e.tty ?? false;
  const env = withDefaultEnv(mergeEnv(c.env ?? [], e.env ?? []), { hostname: inp.hostname, home: user.home, tty });
  return {
    rootfs: '',
    namespaces: 0,
    options,
    mounts: [],
    cwd,
    user: { uid: user.uid, gid: user.gid, groups: [user.gid, ...user.additionalGids] },
    caps: { bounding: mask, effective: mask, permitted: mask, inheritable: 0n, ambient: 0n, lastCap: inp.facts.lastCap },
    rlimits: mergeUlimits(c.ulimits ?? []),
    seccomp: inp.seccomp,
    args: e.args,
    env,
    stdio: tty ? [FD_TTY, FD_TTY, FD_TTY] : inp.stdio,
    ttyGid: inp.facts.ttyGroupMapped ? 5 : 0,
    join: inp.target,
  };
}
