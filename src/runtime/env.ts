// The container's environment: -e (docker's rules) and the defaults every container gets
// (PATH, HOSTNAME, HOME, TERM with a terminal). --env-file is engine/docker-syntax/envfile.ts.
import { ContainerConfigError } from './run-errors.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** `-e KEY=VALUE` sets; `-e KEY` copies KEY from LOOKUP (dropped when unset there). */
export function expandEnvFlag(spec: string, lookup: Record<string, string | undefined>): string | undefined {
  const eq = spec.indexOf('=');
  const key = eq < 0 ? spec : spec.slice(0, eq);
  if (!key || /\s/.test(key)) throw new ContainerConfigError(`invalid environment variable: ${JSON.stringify(spec)}`, 'use -e KEY=VALUE or -e KEY');
  if (eq >= 0) return spec;
  const v = lookup[key];
  return v === undefined ? undefined : `${key}=${v}`;
}

function keyOf(entry: string): string {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
}

/** Merge lists where later entries replace earlier ones with the same key, keeping order. */
export function mergeEnv(...lists: string[][]): string[] {
  const map = new Map<string, string>();
  for (const list of lists) for (const e of list) map.set(keyOf(e), e);
  return [...map.values()];
}

/** Add what docker adds when missing: PATH, HOSTNAME, HOME (from passwd), TERM=xterm with -t. */
export function withDefaultEnv(env: string[], d: { hostname: string; home: string; tty: boolean }): string[] {
  const keys = new Set(env.map(keyOf));
  const out = [...env];
  if (!keys.has('PATH')) out.unshift(`PATH=${DEFAULT_PATH}`);
  if (!keys.has('HOSTNAME')) out.push(`HOSTNAME=${d.hostname}`);
  if (d.tty && !keys.has('TERM')) out.push('TERM=xterm');
  if (!keys.has('HOME')) out.push(`HOME=${d.home}`);
  return out;
}
