// `hx run` flags with docker's syntax (pflag rules: -it bundles, -eK=V, --flag=value,
// options stop at the first positional). Kept free of clipanion so the run fast path in
// main.ts does not load it.
import { UsageError } from '../errors.js';
import { parseEnvFile } from '../engine/docker-syntax/envfile.js';
import { expandEnvFlag, mergeEnv } from '../runtime/env.js';
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from '../runtime/mounts.js';
import { parseUlimit } from '../runtime/rlimits.js';
import type { ContainerOptions } from '../runtime/spec.js';

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
  entrypoint?: string;
  name?: string;
  help: boolean;
}

type BoolKey = 'interactive' | 'tty' | 'rm' | 'detach' | 'readOnly' | 'privileged' | 'init' | 'help';
type ListKey = 'env' | 'envFiles' | 'groupAdd' | 'volumes' | 'mounts' | 'tmpfs' | 'capAdd' | 'capDrop' | 'securityOpt' | 'ulimits';
type StringKey = 'rootfs' | 'workdir' | 'user' | 'hostname' | 'network' | 'entrypoint' | 'name';

interface FlagDef {
  long: string;
  short?: string;
  key: BoolKey | ListKey | StringKey;
  kind: 'bool' | 'list' | 'string';
  help: string;
  value?: string;
}

export const RUN_FLAGS: FlagDef[] = [
  { long: 'rootfs', key: 'rootfs', kind: 'string', value: 'DIR', help: 'Run with DIR as the root filesystem (like podman --rootfs)' },
  { long: 'interactive', short: 'i', key: 'interactive', kind: 'bool', help: 'Keep stdin open' },
  { long: 'tty', short: 't', key: 'tty', kind: 'bool', help: 'Allocate a pseudo-terminal' },
  { long: 'rm', key: 'rm', kind: 'bool', help: 'Remove the container when it exits' },
  { long: 'detach', short: 'd', key: 'detach', kind: 'bool', help: 'Run in the background (not supported yet)' },
  { long: 'env', short: 'e', key: 'env', kind: 'list', value: 'KEY=VALUE', help: 'Set an environment variable (KEY alone copies it from here)' },
  { long: 'env-file', key: 'envFiles', kind: 'list', value: 'FILE', help: 'Read environment variables from FILE' },
  { long: 'workdir', short: 'w', key: 'workdir', kind: 'string', value: 'DIR', help: 'Working directory inside the container (created if missing)' },
  { long: 'user', short: 'u', key: 'user', kind: 'string', value: 'USER[:GROUP]', help: 'Run as NAME or UID, optionally with GROUP or GID' },
  { long: 'group-add', key: 'groupAdd', kind: 'list', value: 'GROUP', help: 'Add a supplementary group' },
  { long: 'hostname', short: 'h', key: 'hostname', kind: 'string', value: 'NAME', help: 'Container host name' },
  { long: 'volume', short: 'v', key: 'volumes', kind: 'list', value: 'HOST:CTR[:ro]', help: 'Bind mount a host path' },
  { long: 'mount', key: 'mounts', kind: 'list', value: 'SPEC', help: 'Mount: type=bind,source=...,target=...[,readonly] or type=tmpfs,target=...' },
  { long: 'tmpfs', key: 'tmpfs', kind: 'list', value: 'PATH[:OPTS]', help: 'Mount a tmpfs' },
  { long: 'read-only', key: 'readOnly', kind: 'bool', help: 'Mount the root filesystem read-only' },
  { long: 'cap-add', key: 'capAdd', kind: 'list', value: 'CAP', help: 'Add a capability (or ALL)' },
  { long: 'cap-drop', key: 'capDrop', kind: 'list', value: 'CAP', help: 'Drop a capability (or ALL)' },
  { long: 'privileged', key: 'privileged', kind: 'bool', help: 'All capabilities, no seccomp filter, no masked paths' },
  { long: 'security-opt', key: 'securityOpt', kind: 'list', value: 'OPT', help: 'seccomp=unconfined|FILE.json, no-new-privileges' },
  { long: 'ulimit', key: 'ulimits', kind: 'list', value: 'NAME=SOFT[:HARD]', help: 'Set a resource limit' },
  { long: 'init', key: 'init', kind: 'bool', help: 'Run an init as PID 1 that forwards signals and reaps zombies' },
  { long: 'network', key: 'network', kind: 'string', value: 'none|host', help: 'Network: none (only lo, the default) or host' },
  { long: 'net', key: 'network', kind: 'string', value: 'none|host', help: 'Same as --network' },
  { long: 'entrypoint', key: 'entrypoint', kind: 'string', value: 'CMD', help: 'Program to run, before the command\'s arguments' },
  { long: 'name', key: 'name', kind: 'string', value: 'NAME', help: 'Container name' },
  { long: 'help', key: 'help', kind: 'bool', help: 'Show this help' },
];

const byLong = new Map(RUN_FLAGS.map((f) => [f.long, f]));
const byShort = new Map(RUN_FLAGS.filter((f) => f.short).map((f) => [f.short!, f]));

function emptyFlags(): RunFlags {
  return {
    command: [], interactive: false, tty: false, rm: false, detach: false, env: [], envFiles: [], groupAdd: [], volumes: [],
    mounts: [], tmpfs: [], readOnly: false, capAdd: [], capDrop: [], privileged: false, securityOpt: [], ulimits: [], init: false,
    help: false,
  };
}

function boolValue(text: string, flag: string): boolean {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new UsageError(`invalid value ${JSON.stringify(text)} for --${flag}`, 'use true or false');
}

function assign(flags: RunFlags, def: FlagDef, value: string | undefined): void {
  if (def.kind === 'bool') {
    (flags[def.key as BoolKey] as boolean) = value === undefined ? true : boolValue(value, def.long);
  } else if (def.kind === 'list') {
    (flags[def.key as ListKey] as string[]).push(value!);
  } else {
    (flags[def.key as StringKey] as string | undefined) = value;
  }
}

/** Parse the arguments after `run`. Throws UsageError (exit 125) like docker. */
export function parseRunArgs(argv: string[]): RunFlags {
  const flags = emptyFlags();
  let i = 0;
  const next = (name: string): string => {
    if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: ${name}`, 'see `hx run --help`');
    return argv[++i]!;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const def = byLong.get(name);
      if (!def) throw new UsageError(`unknown flag: --${name}`, 'see `hx run --help`');
      const value = eq >= 0 ? arg.slice(eq + 1) : def.kind === 'bool' ? undefined : next(`--${name}`);
      assign(flags, def, value);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j]!;
        const def = byShort.get(c);
        if (!def) throw new UsageError(`unknown shorthand flag: '${c}' in ${arg}`, 'see `hx run --help`');
        if (def.kind === 'bool') {
          assign(flags, def, undefined);
          continue;
        }
        // A value flag takes the rest of the bundle (-eK=V, -e=K=V) or the next argument.
        let rest = arg.slice(j + 1);
        if (rest.startsWith('=')) rest = rest.slice(1);
        assign(flags, def, rest !== '' ? rest : next(`-${c}`));
        break;
      }
      continue;
    }
    break; // the first positional ends the options
  }
  const positional = argv.slice(i);
  if (flags.rootfs === undefined && positional.length > 0) {
    flags.image = positional[0];
    flags.command = positional.slice(1);
  } else {
    flags.command = positional;
  }
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
}

/** Everything but the rootfs and the command, as the engine's ContainerOptions. */
export function flagsToOptions(flags: RunFlags, src: OptionSources): Omit<ContainerOptions, 'rootfs' | 'args'> {
  if (flags.detach) throw new UsageError('-d/--detach is not supported yet', 'run in the foreground, or under nohup');
  const network = flags.network ?? 'none';
  if (network !== 'none' && network !== 'host') {
    throw new UsageError(`--network ${network} is not supported yet`, 'use --network none (the default) or --network host');
  }
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
  const o: Omit<ContainerOptions, 'rootfs' | 'args'> = {
    env: mergeEnv(...fileEnv, flagEnv),
    tty: flags.tty,
    readOnly: flags.readOnly,
    mounts: [...flags.volumes.map(parseVolumeFlag), ...flags.mounts.map(parseMountFlag), ...flags.tmpfs.map(parseTmpfsFlag)],
    capAdd: flags.capAdd,
    capDrop: flags.capDrop,
    privileged: flags.privileged,
    noNewPrivileges: security.noNewPrivileges,
    ulimits: flags.ulimits.map(parseUlimit),
    init: flags.init,
    network,
    groupAdd: flags.groupAdd,
  };
  if (security.seccomp) o.seccomp = security.seccomp;
  if (flags.workdir !== undefined) o.cwd = flags.workdir;
  if (flags.user !== undefined) o.user = flags.user;
  if (flags.hostname !== undefined) o.hostname = flags.hostname;
  return o;
}

export function runUsage(): string {
  const lines = ['Usage: hx run [OPTIONS] --rootfs DIR COMMAND [ARG...]', '', 'Run a command in a new container.', '', 'Options:'];
  for (const f of RUN_FLAGS) {
    const names = `${f.short ? `-${f.short}, ` : '    '}--${f.long}${f.value ? ` ${f.value}` : ''}`;
    lines.push(`  ${names.padEnd(34)} ${f.help}`);
  }
  return lines.join('\n') + '\n';
}
