// --link CTR[:ALIAS], docker's legacy links. At create the target must exist (its ID is kept,
// so a rename follows it); at every start it must run, and the container gets the line
// "IP ALIAS HOSTNAME NAME" in /etc/hosts for the target's address on a network both are on.
// On docker's default bridge the link's environment comes too, as moby's daemon/links writes
// it (ALIAS_PORT_80_TCP=tcp://IP:80 and its _ADDR/_PORT/_PROTO, _START/_END for runs of
// ports, ALIAS_NAME=/this/alias, ALIAS_ENV_X for the target's variables but HOME and PATH).
// A removed target's link goes with it, as in docker.
import { HxError, UsageError } from '../../errors.js';
import type { NetworkMode, NetworkRequest } from '../../net/types.js';
import type { ContainerRecord, Store } from '../../store/store.js';
import { currentState, isRunning } from '../../container/state.js';
import { findContainer } from './lookup.js';
import { NAME_CHARS } from '../docker-syntax/names.js';
import { endpointsOf, isDefaultBridge } from '../networks/lookup.js';

/** A link as the record keeps it. */
export interface LinkRequest {
  /** The target's ID. */
  id: string;
  alias: string;
}

// docker's name characters (an alias of one letter too)
const ALIAS = new RegExp(`^${NAME_CHARS}*$`);

/** docker's ParseLink: "name", "name:alias", or the "/name:/parent/alias" of a HostConfig. */
export function parseLink(value: string): { name: string; alias: string } {
  if (value === '') throw new UsageError('invalid argument "" for "--link" flag: empty string specified for links', 'give --link CONTAINER[:ALIAS]');
  const parts = value.split(':');
  if (parts.length > 2) throw new UsageError(`invalid argument "${value}" for "--link" flag: bad format for links: ${value}`, 'give --link CONTAINER[:ALIAS]');
  const name = parts[0]!.replace(/^\//, '');
  const alias = parts.length === 1 ? name : parts[1]!.split('/').pop()!;
  if (!ALIAS.test(alias) || name === '') throw new UsageError(`invalid argument "${value}" for "--link" flag: invalid alias ${JSON.stringify(alias)}`, 'an alias is letters, digits and _.- (starting with a letter or digit)');
  return { name, alias };
}

function conflict(what: string): HxError {
  return new HxError(`conflicting options: ${what} can't be used with links. This would result in undefined behavior`, { kind: 'invalid-argument', hint: 'links need a bridge network: drop --link, or use --network NAME' });
}

/** The --link flags of a container of MODE checked: each target exists and has a network. */
export function checkLinks(store: Store, values: readonly string[], mode: NetworkMode): LinkRequest[] {
  if (!values.length) return [];
  if (mode === 'host') throw conflict('host type networking');
  if (mode === 'container') throw conflict('container type network');
  if (mode !== 'bridge') {
    throw new HxError(`links need a bridge network: with --network ${mode} the container has no address another container reaches`, { kind: 'invalid-argument', hint: 'put both containers on one network (hx network create NAME; --network NAME), where names resolve without --link' });
  }
  const out: LinkRequest[] = [];
  for (const v of values) {
    const { name, alias } = parseLink(v);
    let target: ContainerRecord;
    try {
      target = findContainer(store, name);
    } catch (e) {
      throw new HxError(`could not get container for ${name}: ${(e as Error).message}`, { kind: 'not-found', hint: 'start the container to link to first (hx ps -a lists them)' });
    }
    const tmode = (target.spec as { network?: { mode?: string } } | undefined)?.network?.mode;
    if (tmode === 'host') throw conflict('host type networking');
    if (out.some((l) => l.alias === alias)) throw new HxError(`conflicting links: the alias ${alias} is given twice`, { kind: 'conflict', hint: 'give each --link its own alias (--link CONTAINER:ALIAS)' });
    out.push({ id: target.id, alias });
  }
  return out;
}

export function linksOf(rec: ContainerRecord): LinkRequest[] {
  return (rec.spec as { network?: { links?: LinkRequest[] } } | undefined)?.network?.links ?? [];
}

/** HostConfig.Links as docker prints it: "/target:/container/alias" (names as they are now). */
export function linksDocument(store: Store, rec: ContainerRecord): string[] | null {
  const names = linksOf(rec).flatMap((l) => {
    const target = store.getContainer(l.id);
    return target ? [`/${target.name}:/${rec.name}/${l.alias}`] : [];
  });
  return names.length ? names : null;
}

/** A starting container's links: /etc/hosts lines and (default bridge) environment. */
export interface ResolvedLinks {
  hosts: { name: string; address: string }[];
  env: string[];
}

/** REC's links as they are now; a target that is not running stops the start. */
export function resolveLinks(store: Store, rec: ContainerRecord): ResolvedLinks {
  const out: ResolvedLinks = { hosts: [], env: [] };
  const mine = endpointsOf(rec);
  for (const link of linksOf(rec)) {
    const target = store.getContainer(link.id);
    if (!target) continue; // removed: the link went with it
    const linkName = `/${rec.name}/${link.alias}`;
    if (!isRunning(currentState(store, target))) {
      throw new HxError(`Cannot link to a non running container: /${target.name} AS ${linkName}`, { kind: 'conflict', hint: `start it first: hx start ${target.name}` });
    }
    const theirs = endpointsOf(target);
    const shared = mine.map((e) => theirs.find((t) => t.networkId === e.networkId)).find((t) => t !== undefined);
    const onDefault = mine[0] !== undefined && isDefaultBridge(store, mine[0].networkId);
    if (!shared) {
      throw new HxError(`Cannot link to /${target.name}, as it does not belong to ${onDefault ? 'the default network' : `a network of /${rec.name}`}`, { kind: 'conflict', hint: `connect it: hx network connect ${mine[0]?.networkName ?? 'NETWORK'} ${target.name}` });
    }
    const spec = target.spec as { options?: { hostname?: string; env?: string[] } } | undefined;
    const hostname = spec?.options?.hostname ?? target.id.slice(0, 12);
    const names = [link.alias, hostname, ...(link.alias !== target.name ? [target.name] : [])];
    out.hosts.push({ name: [...new Set(names)].join(' '), address: shared.ip });
    if (onDefault) out.env.push(...linkEnv(link.alias, linkName, shared.ip, Object.keys((target.config?.ExposedPorts as Record<string, unknown> | null | undefined) ?? {}), spec?.options?.env ?? []));
  }
  return out;
}

/** PORTS ("80/tcp") in docker's order: tcp first, then by protocol; by number within one. */
function sortPorts(ports: readonly string[]): { num: number; proto: string }[] {
  return ports
    .map((p) => {
      const [n, proto = 'tcp'] = p.split('/');
      return { num: Number(n), proto: proto.toLowerCase() };
    })
    .filter((p) => Number.isInteger(p.num))
    .sort((a, b) => (a.proto === b.proto ? a.num - b.num : a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : a.proto < b.proto ? -1 : 1));
}

/** One link's variables, moby's daemon/links.ToEnv. */
export function linkEnv(alias: string, linkName: string, ip: string, exposed: readonly string[], targetEnv: readonly string[]): string[] {
  const a = alias.toUpperCase().replace(/-/g, '_');
  const ports = sortPorts(exposed);
  const env: string[] = [];
  let start = ports[0];
  let end = ports[0];
  ports.forEach((p, i) => {
    if (i === 0) env.push(`${a}_PORT=${p.proto}://${ip}:${p.num}`);
    const prefix = `${a}_PORT_${p.num}_${p.proto.toUpperCase()}`;
    env.push(`${prefix}=${p.proto}://${ip}:${p.num}`, `${prefix}_ADDR=${ip}`, `${prefix}_PORT=${p.num}`, `${prefix}_PROTO=${p.proto}`);
    // a run of consecutive ports of one protocol also gets its _START and _END
    if (i > 0 && p.num === end!.num + 1 && p.proto === end!.proto) {
      end = p;
      if (i < ports.length - 1) return;
    }
    if (end !== start) {
      const s = `${a}_PORT_${start!.num}_${start!.proto.toUpperCase()}`;
      env.push(`${s}_START=${start!.proto}://${ip}:${start!.num}`, `${s}_PORT_START=${start!.num}`, `${s}_END=${end!.proto}://${ip}:${end!.num}`, `${s}_PORT_END=${end!.num}`);
    }
    start = p;
    end = p;
  });
  env.push(`${a}_NAME=${linkName}`);
  for (const v of targetEnv) {
    const eq = v.indexOf('=');
    if (eq < 0) continue;
    const name = v.slice(0, eq);
    if (name === 'HOME' || name === 'PATH') continue;
    env.push(`${a}_ENV_${name}=${v.slice(eq + 1)}`);
  }
  return env;
}

/** The links' variables before the container's own, which win (docker's ReplaceOrAppendEnvValues);
 * nothing when there are none (the options keep their env as it is). */
export function linkedEnv(own: readonly string[] | undefined, links: ResolvedLinks): { env?: string[] } {
  if (!links.env.length) return {};
  const mine = new Set((own ?? []).map((v) => v.split('=')[0]));
  return { env: [...links.env.filter((v) => !mine.has(v.split('=')[0])), ...(own ?? [])] };
}

/** REQ with the links' /etc/hosts lines after --add-host's, as docker orders them. */
export function withLinkHosts(req: NetworkRequest, links: ResolvedLinks): NetworkRequest {
  return links.hosts.length ? { ...req, extraHosts: [...req.extraHosts, ...links.hosts] } : req;
}
