// `hx run` flags (cli/run/spec.ts, parsed with pflag's rules by cli/parser.ts: -it
// bundles, -eK=V, --flag=value, options stop at the first argument) and their translation
// to the engine's container options.
import { UsageError } from '../../errors.js';
import { parseEnvFile, parseLabelFile } from '../../engine/docker-syntax/envfile.js';
import { parseDetachKeys } from '../../engine/docker-syntax/detach-keys.js';
import { parseDuration } from '../../engine/docker-syntax/duration.js';
import { invalidFlagArgument } from '../../engine/docker-syntax/flag-error.js';
import type { CreateRequest, HealthFlags } from '../../engine/containers/create.js';
import type { CgroupRequest } from '../../engine/containers/resources.js';
import { parseResourceFlags, type ResourceFlags } from '../../engine/docker-syntax/resources.js';
import { expandEnvFlag, mergeEnv, parseMountFlag, parseTmpfsFlag, parseUlimit, parseVolumeFlag, type RunOptions } from '../../engine/run-options.js';
import { commandHelp } from '../help.js';
import { parseInvocation } from '../parser.js';
import type { Invocation } from '../spec.js';
import { RUN_FLAGS, RUN_SPEC } from './spec.js';

export interface RunFlags {
  rootfs?: string;
  /** The first positional when --rootfs is absent (image references come with the image store). */
  image?: string;
  command: string[];
  interactive: boolean;
  tty: boolean;
  rm: boolean;
  detach: boolean;
  env: string[];
  envFiles: string[];
  workdir?: string;
  user?: string;
  groupAdd: string[];
  hostname?: string;
  volumes: string[];
  volumesFrom: string[];
  mounts: string[];
  tmpfs: string[];
  readOnly: boolean;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  securityOpt: string[];
  ulimits: string[];
  init: boolean;
  network?: string;
  /** --network-alias */
  networkAliases: string[];
  /** --ip */
  ip?: string;
  publish: string[];
  publishAll: boolean;
  expose: string[];
  addHost: string[];
  links: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOption: string[];
  entrypoint?: string;
  name?: string;
  platform?: string;
  /** --pull: missing (default) pulls an image that is not in the store. */
  pull?: 'always' | 'missing' | 'never';
  sigProxy: boolean;
  quiet: boolean;
  help: boolean;
  /** -a STDIN|STDOUT|STDERR */
  attach: string[];
  cidfile?: string;
  detachKeys?: string;
  restart?: string;
  logDriver?: string;
  logOpts: string[];
  stopSignal?: string;
  stopTimeout?: number;
  labels: string[];
  labelFiles: string[];
  health: { cmd?: string; interval?: string; retries?: number; startInterval?: string; startPeriod?: string; timeout?: string; disable: boolean };
  resources: ResourceFlags;
  oomScoreAdj?: number;
  cgroupParent?: string;
  cgroups?: string;
  cgroupns?: string;
}

/** --memory, --cpus, ... as typed (shared with `hx update`). */
export function resourceFlagsOf(f: Invocation['flags']): ResourceFlags {
  const r: ResourceFlags = {};
  const str = (k: string): string | undefined => f[k] as string | undefined;
  const int = (k: string): number | undefined => (typeof f[k] === 'number' ? (f[k] as number) : undefined);
  const set = <K extends keyof ResourceFlags>(key: K, value: ResourceFlags[K] | undefined): void => {
    if (value !== undefined) r[key] = value;
  };
  set('memory', str('memory'));
  set('memoryReservation', str('memory-reservation'));
  set('memorySwap', str('memory-swap'));
  set('memorySwappiness', int('memory-swappiness'));
  set('kernelMemory', str('kernel-memory'));
  if (f['oom-kill-disable'] === true) r.oomKillDisable = true;
  set('cpus', str('cpus'));
  set('cpuShares', str('cpu-shares'));
  set('cpuQuota', int('cpu-quota'));
  set('cpuPeriod', int('cpu-period'));
  set('cpusetCpus', str('cpuset-cpus'));
  set('cpusetMems', str('cpuset-mems'));
  set('pidsLimit', int('pids-limit'));
  set('blkioWeight', str('blkio-weight'));
  const list = (k: string): string[] | undefined => ((f[k] as string[] | undefined)?.length ? (f[k] as string[]) : undefined);
  set('deviceReadBps', list('device-read-bps'));
  set('deviceWriteBps', list('device-write-bps'));
  set('deviceReadIOps', list('device-read-iops'));
  set('deviceWriteIOps', list('device-write-iops'));
  return r;
}

/** The parsed flags as the run path uses them (the table's flag names, in camelCase). */
export function parseRunArgs(argv: string[]): RunFlags {
  const inv = parseInvocation(RUN_SPEC, argv, ['run']);
  return runFlagsOf(inv);
}

export function runFlagsOf(inv: Invocation): RunFlags {
  const f = inv.flags;
  const list = (k: string): string[] => (f[k] as string[] | undefined) ?? [];
  const str = (k: string): string | undefined => f[k] as string | undefined;
  const flags: RunFlags = {
    command: [],
    interactive: f.interactive === true,
    tty: f.tty === true,
    rm: f.rm === true,
    detach: f.detach === true,
    env: list('env'),
    envFiles: list('env-file'),
    groupAdd: list('group-add'),
    volumes: list('volume'),
    volumesFrom: list('volumes-from'),
    mounts: list('mount'),
    tmpfs: list('tmpfs'),
    readOnly: f['read-only'] === true,
    capAdd: list('cap-add'),
    capDrop: list('cap-drop'),
    privileged: f.privileged === true,
    securityOpt: list('security-opt'),
    ulimits: list('ulimit'),
    init: f.init === true,
    help: f.help === true,
    sigProxy: f['sig-proxy'] !== false,
    quiet: f.quiet === true,
    attach: list('attach'),
    logOpts: list('log-opt'),
    labels: list('label'),
    labelFiles: list('label-file'),
    health: { disable: f['no-healthcheck'] === true },
    resources: resourceFlagsOf(f),
    publish: list('publish'),
    networkAliases: list('network-alias'),
    publishAll: f['publish-all'] === true,
    expose: list('expose'),
    addHost: list('add-host'),
    links: list('link'),
    dns: list('dns'),
    dnsSearch: list('dns-search'),
    dnsOption: list('dns-option'),
  };
  const set = <K extends keyof RunFlags>(key: K, value: RunFlags[K] | undefined): void => {
    if (value !== undefined) flags[key] = value;
  };
  set('rootfs', str('rootfs'));
  set('workdir', str('workdir'));
  set('user', str('user'));
  set('hostname', str('hostname'));
  set('network', str('network') ?? str('net'));
  set('ip', str('ip'));
  set('entrypoint', str('entrypoint'));
  set('name', str('name'));
  set('platform', str('platform'));
  set('cidfile', str('cidfile'));
  set('detachKeys', str('detach-keys'));
  set('restart', str('restart'));
  set('logDriver', str('log-driver'));
  set('stopSignal', str('stop-signal'));
  if (typeof f['stop-timeout'] === 'number') flags.stopTimeout = f['stop-timeout'];
  if (typeof f['oom-score-adj'] === 'number') flags.oomScoreAdj = f['oom-score-adj'];
  set('cgroupParent', str('cgroup-parent'));
  set('cgroups', str('cgroups'));
  set('cgroupns', str('cgroupns'));
  const h = flags.health;
  if (str('health-cmd') !== undefined) h.cmd = str('health-cmd')!;
  if (str('health-interval') !== undefined) h.interval = str('health-interval')!;
  if (str('health-timeout') !== undefined) h.timeout = str('health-timeout')!;
  if (str('health-start-period') !== undefined) h.startPeriod = str('health-start-period')!;
  if (str('health-start-interval') !== undefined) h.startInterval = str('health-start-interval')!;
  if (typeof f['health-retries'] === 'number') h.retries = f['health-retries'];
  const pull = str('pull');
  if (pull !== undefined) {
    if (pull !== 'always' && pull !== 'missing' && pull !== 'never') throw new UsageError(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
    flags.pull = pull;
  }
  if (flags.rootfs === undefined && inv.args.length > 0) {
    flags.image = inv.args[0];
    flags.command = inv.args.slice(1);
  } else flags.command = inv.args;
  return flags;
}

export interface SecurityOptions {
  seccomp?: 'unconfined' | { path: string };
  noNewPrivileges: boolean;
}

/** --security-opt values: seccomp=..., no-new-privileges[=bool] (also the old ':' forms). */
export function parseSecurityOpts(opts: string[]): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false };
  for (const opt of opts) {
    const m = /^([a-z-]+)(?:[=:](.*))?$/s.exec(opt);
    const key = m?.[1];
    const value = m?.[2];
    if (key === 'no-new-privileges') {
      out.noNewPrivileges = value === undefined ? true : boolValue(value, 'security-opt no-new-privileges');
    } else if (key === 'seccomp' && value) {
      out.seccomp = value === 'unconfined' ? 'unconfined' : { path: value };
    } else if (key === 'label' || key === 'apparmor') {
      continue; // no SELinux or AppArmor confinement is applied by hx; accepted for compatibility
    } else {
      throw new UsageError(`invalid --security-opt: ${JSON.stringify(opt)}`, 'use seccomp=unconfined, seccomp=PROFILE.json or no-new-privileges');
    }
  }
  return out;
}

export interface OptionSources {
  /** The environment `-e KEY` copies from. */
  env: Record<string, string | undefined>;
  /** The file's bytes (a string is taken as already-decoded text). */
  readFile(path: string): Uint8Array | string;
  /** What `-v ./dir:/path` is relative to (docker's CLI makes it absolute). */
  cwd?: string;
}

/** Everything but the rootfs and the command, as the engine's ContainerOptions. */
export function flagsToOptions(flags: RunFlags, src: OptionSources): RunOptions {
  // the helpers (pasta, slirp4netns) and docker's errors are the engine's (createSettings' network)
  // left unset without --network: the engine picks the default (rootless: pasta, else
  // slirp4netns, else none with a warning)
  const network = flags.network === undefined ? undefined : flags.network === 'host' ? 'host' : 'none';
  const fileEnv = flags.envFiles.map((path) => {
    let text: Uint8Array | string;
    try {
      text = src.readFile(path);
    } catch (e) {
      throw new UsageError(`--env-file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    return parseEnvFile(text, path, (key) => src.env[key]);
  });
  const flagEnv = flags.env.map((spec) => expandEnvFlag(spec, src.env)).filter((e): e is string => e !== undefined);
  const security = parseSecurityOpts(flags.securityOpt);
  const o: RunOptions = {
    env: mergeEnv(...fileEnv, flagEnv),
    tty: flags.tty,
    readOnly: flags.readOnly,
    mounts: [...flags.volumes.map((v) => parseVolumeFlag(v, src.cwd)), ...flags.mounts.map(parseMountFlag), ...flags.tmpfs.map(parseTmpfsFlag)],
    capAdd: flags.capAdd,
    capDrop: flags.capDrop,
    privileged: flags.privileged,
    noNewPrivileges: security.noNewPrivileges,
    ulimits: flags.ulimits.map(parseUlimit),
    init: flags.init,
    ...(network ? { network } : {}),
    groupAdd: flags.groupAdd,
  };
  if (security.seccomp) o.seccomp = security.seccomp;
  if (flags.cgroupns !== undefined) {
    // docker CLI: only host and private are valid
    if (flags.cgroupns !== 'host' && flags.cgroupns !== 'private') throw new UsageError('--cgroupns: invalid CGROUP mode', 'use --cgroupns host or --cgroupns private');
    o.cgroupns = flags.cgroupns;
  }
  if (flags.workdir !== undefined) o.cwd = flags.workdir;
  if (flags.user !== undefined) o.user = flags.user;
  if (flags.hostname !== undefined) o.hostname = flags.hostname;
  return o;
}

/** The container settings beyond the process ones: restart, logging, stop, labels, health. */
export function createSettings(flags: RunFlags, src: OptionSources): Omit<CreateRequest, 'image' | 'command' | 'options'> {
  const labels: Record<string, string> = {};
  const labelLines = [
    ...flags.labelFiles.flatMap((path) => {
      let text: Uint8Array | string;
      try {
        text = src.readFile(path);
      } catch (e) {
        throw new UsageError(`--label-file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
      return parseLabelFile(text, path);
    }),
    ...flags.labels,
  ];
  for (const l of labelLines) {
    const eq = l.indexOf('=');
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  const duration = (value: string | undefined, flag: string): number | undefined => {
    if (value === undefined) return undefined;
    try {
      return Number(parseDuration(value));
    } catch (e) {
      throw invalidFlagArgument(value, flag, e);
    }
  };
  const h = flags.health;
  const health: HealthFlags = { ...(h.disable ? { disable: true } : {}) };
  const set = <K extends keyof HealthFlags>(k: K, v: HealthFlags[K] | undefined): void => {
    if (v !== undefined) health[k] = v;
  };
  set('cmd', h.cmd);
  set('interval', duration(h.interval, '--health-interval'));
  set('timeout', duration(h.timeout, '--health-timeout'));
  set('startPeriod', duration(h.startPeriod, '--health-start-period'));
  set('startInterval', duration(h.startInterval, '--health-start-interval'));
  set('retries', h.retries);
  if (flags.detachKeys !== undefined) parseDetachKeys(flags.detachKeys);
  const cgroup: CgroupRequest = { resources: parseResourceFlags(flags.resources) };
  if (flags.oomScoreAdj !== undefined) cgroup.oomScoreAdj = flags.oomScoreAdj;
  if (flags.cgroupParent !== undefined) cgroup.parent = flags.cgroupParent;
  if (flags.cgroups !== undefined) cgroup.mode = flags.cgroups;
  return {
    cgroup,
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    autoRemove: flags.rm,
    openStdin: flags.interactive,
    ...(flags.restart !== undefined ? { restart: flags.restart } : {}),
    ...(flags.logDriver !== undefined ? { logDriver: flags.logDriver } : {}),
    logOpts: flags.logOpts,
    ...(flags.stopSignal !== undefined ? { stopSignal: flags.stopSignal } : {}),
    ...(flags.stopTimeout !== undefined ? { stopTimeout: flags.stopTimeout } : {}),
    labels,
    health,
    ...(flags.volumesFrom.length ? { volumesFrom: flags.volumesFrom } : {}),
    ...(flags.entrypoint !== undefined ? { entrypoint: flags.entrypoint } : {}),
    network: {
      network: flags.network,
      publish: flags.publish,
      publishAll: flags.publishAll,
      expose: flags.expose,
      addHost: flags.addHost,
      ...(flags.links.length ? { links: flags.links } : {}),
      dns: flags.dns,
      dnsSearch: flags.dnsSearch,
      dnsOption: flags.dnsOption,
      ...(flags.networkAliases.length ? { aliases: flags.networkAliases } : {}),
      ...(flags.ip !== undefined ? { ip: flags.ip } : {}),
    },
  };
}

export { RUN_FLAGS };

/** `hx run --help`. */
export function runUsage(columns = 80): string {
  return commandHelp(RUN_SPEC, ['run'], columns);
}

function boolValue(text: string, flag: string): boolean {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new UsageError(`invalid value ${JSON.stringify(text)} for --${flag}`, 'use true or false');
}
