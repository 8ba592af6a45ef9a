// --ulimit NAME=SOFT[:HARD] (docker's syntax) as setrlimit(2) resources.
import { ContainerConfigError } from './run-errors.js';

/** RLIMIT_* numbers (asm-generic/resource.h, same on x86_64 and aarch64). */
export const RLIMITS: Record<string, number> = {
  cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8, as: 9, locks: 10,
  sigpending: 11, msgqueue: 12, nice: 13, rtprio: 14, rttime: 15,
};

export const RLIM_INFINITY = 0xffffffffffffffffn;

export interface Rlimit {
  name: string;
  resource: number;
  soft: bigint;
  hard: bigint;
}

function parseValue(text: string, spec: string): bigint {
  if (text === '-1' || text === 'unlimited') return RLIM_INFINITY;
  if (!/^[0-9]+$/.test(text)) throw new ContainerConfigError(`--ulimit ${spec}: invalid value ${JSON.stringify(text)}`, 'values are numbers, -1 or unlimited');
  return BigInt(text);
}

export function parseUlimit(spec: string): Rlimit {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new ContainerConfigError(`--ulimit ${spec}: invalid format`, 'use --ulimit NAME=SOFT[:HARD], e.g. --ulimit nofile=1024:2048');
  const name = spec.slice(0, eq).toLowerCase();
  const resource = RLIMITS[name];
  if (resource === undefined) {
    throw new ContainerConfigError(`--ulimit ${spec}: unknown limit ${JSON.stringify(name)}`, `known limits: ${Object.keys(RLIMITS).join(', ')}`);
  }
  const [softText, hardText, extra] = spec.slice(eq + 1).split(':');
  if (extra !== undefined || !softText) throw new ContainerConfigError(`--ulimit ${spec}: invalid format`, 'use --ulimit NAME=SOFT[:HARD]');
  const soft = parseValue(softText, spec);
  const hard = hardText === undefined ? soft : parseValue(hardText, spec);
  if (soft > hard) throw new ContainerConfigError(`--ulimit ${spec}: soft limit ${soft} is above the hard limit ${hard}`);
  return { name, resource, soft, hard };
}

/** Later flags for the same limit win, like docker's map. */
export function mergeUlimits(limits: Rlimit[]): Rlimit[] {
  const byName = new Map<string, Rlimit>();
  for (const l of limits) byName.set(l.name, l);
  return [...byName.values()];
}
