// The network flags of `hx run`/`create` (--network, -p, -P, --expose, --add-host,
// --dns*) checked with docker's syntax and turned into the NetworkRequest the record
// keeps; docker's documents for them (Config.ExposedPorts, HostConfig.PortBindings...);
// and the network verbs of a container: the monitor's hook (`hx container __network ID
// PID FD`) and the published ports as they are (`hx port`, inspect, ps).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { activeForwards, connectNetwork, readNetworkPlan } from '../../container/network.js';
import { currentState, isRunning } from '../../container/state.js';
import { HxError } from '../../errors.js';
import { findInPath } from '../../host/which.js';
import { parseNetworkMode } from '../../net/mode.js';
import type { NetworkRequest, PortForward } from '../../net/types.js';
import type { EngineContext } from '../context.js';
import { parseExtraHost, validateDnsOption, validateDnsSearch, validateIPAddress } from '../docker-syntax/hosts.js';
import { normalizeExposedKey, parsePorts, publishAll } from '../docker-syntax/publish.js';
import { findContainer } from './lookup.js';
import { checkLinks } from './links.js';
import { allocateEndpoint } from '../networks/endpoints.js';
import { defaultBridge, lookupNetwork, noSuchNetwork } from '../networks/lookup.js';
import type { NetworkRecord } from '../../store/store.js';

/** The flags as given (the CLI's and the API's shape). */
export interface NetworkFlags {
  /** --network / --net (undefined: the default). */
  network?: string | undefined;
  publish?: string[];
  /** -P */
  publishAll?: boolean;
  expose?: string[];
  addHost?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  /** --network-alias (user networks only). */
  aliases?: string[];
  /** --ip (user networks only). */
  ip?: string | undefined;
  /** --link CTR[:ALIAS] */
  links?: string[];
}

export interface CheckedNetwork {
  request: NetworkRequest;
  /** Config.ExposedPorts keys: the image's EXPOSE, --expose and -p. */
  exposed: string[];
  warnings: string[];
  /** container:CTR: CTR's hostname (docker gives the container CTR's). */
  hostname?: string;
}

/** FLAGS checked (docker's messages) with the image's EXPOSE keys for -P. */
export function checkNetworkFlags(ctx: EngineContext, flags: NetworkFlags, imageExposed: readonly string[]): CheckedNetwork {
  const user = userNetworkOf(ctx, flags);
  const parsed = user ? { mode: 'bridge' as const, helperOptions: [] } : parseNetworkMode(flags.network ?? ctx.defaultNetwork, ctx.mode.rootless, { pasta: findInPath('pasta') !== undefined, slirp4netns: findInPath('slirp4netns') !== undefined });
  const shared = parsed.mode === 'container' ? sharedContainer(ctx, flags, parsed.container ?? '') : undefined;
  const links = checkLinks(ctx.store, flags.links ?? [], parsed.mode);
  const ports = parsePorts(flags.publish ?? [], flags.expose ?? []);
  const exposed = [...new Set([...imageExposed.map(normalizeExposedKey), ...ports.exposed])];
  let bindings = flags.publishAll ? publishAll(ports.bindings, exposed) : ports.bindings;
  const warnings = parsed.warning ? [parsed.warning] : [];
  if (Object.keys(bindings).length && (parsed.mode === 'host' || parsed.mode === 'none')) {
    // docker keeps the container and drops the ports with a warning
    if ((flags.publish ?? []).length) warnings.push(`Published ports are discarded when using ${parsed.mode} network mode`);
    bindings = {};
  }
  const request: NetworkRequest = {
    mode: parsed.mode,
    helperOptions: parsed.helperOptions,
    portBindings: bindings,
    extraHosts: (flags.addHost ?? []).map((h) => {
      const e = parseExtraHost(h);
      return { name: e.name, address: e.address };
    }),
    dns: (flags.dns ?? []).map(validateIPAddress),
    dnsSearch: (flags.dnsSearch ?? []).map(validateDnsSearch),
    dnsOptions: (flags.dnsOption ?? []).map(validateDnsOption),
    ...(user ? { endpoints: [allocateEndpoint(ctx.store, user, { ip: flags.ip, aliases: flags.aliases ?? [] })] } : {}),
    ...(shared ? { container: shared.id } : {}),
    ...(links.length ? { links } : {}),
  };
  return { request, exposed, warnings, ...(shared ? { hostname: shared.hostname } : {}) };
}

/** --network container:CTR: CTR (it must exist; it must run when this one starts) and
 * docker's refusals of the flags that would need a network of this container's own. */
function sharedContainer(ctx: EngineContext, flags: NetworkFlags, ref: string): { id: string; hostname: string } {
  const conflict = (what: string): HxError => new HxError(`conflicting options: ${what}`, { kind: 'invalid-argument', hint: `drop it: the container uses the network of ${ref}` });
  if ((flags.publish ?? []).length || flags.publishAll) throw conflict('port publishing and the container type network mode');
  if ((flags.dns ?? []).length || (flags.dnsSearch ?? []).length || (flags.dnsOption ?? []).length) throw conflict('dns and the network mode');
  if ((flags.addHost ?? []).length) throw conflict('custom host-to-IP mapping and the network mode');
  if ((flags.expose ?? []).length) throw conflict('port exposing and the container type network mode');
  const target = findContainer(ctx.store, ref);
  const spec = target.spec as { options?: { hostname?: string } } | undefined;
  return { id: target.id, hostname: spec?.options?.hostname ?? target.id.slice(0, 12) };
}

/** The user network --network names (undefined: a mode); docker's refusals of --ip and
 * --network-alias elsewhere. Call under the store lock (the endpoint is allocated with it). */
function userNetworkOf(ctx: EngineContext, flags: NetworkFlags): NetworkRecord | undefined {
  const value = flags.network ?? ctx.defaultNetwork ?? '';
  // rootful: docker's default bridge (rootless hx gives each container a helper instead)
  if (!ctx.mode.rootless && (value === '' || value === 'default' || value === 'bridge')) return defaultBridge(ctx.store);
  const builtin = value === '' || value === 'default' || ['none', 'host', 'bridge', 'pasta', 'slirp4netns', 'container'].includes(value.split(':')[0]!);
  const net = builtin ? undefined : lookupNetwork(ctx.store, value);
  if (!builtin && !net) throw noSuchNetwork(value);
  if (!net) {
    if (flags.aliases?.length) throw new HxError('network-scoped aliases are only supported for user-defined networks', { kind: 'invalid-argument', hint: 'create a network (hx network create NAME) and run with --network NAME' });
    if (flags.ip) throw new HxError('user specified IP address is supported on user defined networks only', { kind: 'invalid-argument', hint: 'create a network (hx network create NAME) and run with --network NAME' });
  }
  return net;
}

/** docker's fields for the network in Config and HostConfig. */
export function networkDocs(checked: CheckedNetwork, publishAllFlag: boolean): { config: Record<string, unknown>; hostConfig: Record<string, unknown> } {
  const r = checked.request;
  return {
    config: { ExposedPorts: checked.exposed.length ? Object.fromEntries(checked.exposed.map((k) => [k, {}])) : null },
    hostConfig: {
      NetworkMode: r.endpoints?.[0]?.networkName ?? (r.container ? `container:${r.container}` : r.mode),
      PortBindings: r.portBindings,
      PublishAllPorts: publishAllFlag,
      ExtraHosts: r.extraHosts.length ? r.extraHosts.map((h) => `${h.name}:${h.address}`) : null,
      Dns: r.dns,
      DnsSearch: r.dnsSearch,
      DnsOptions: r.dnsOptions,
    },
  };
}

/** What a container's monitor runs between clone and go-ahead (`hx container __network`):
 * connect the namespace of PID as the last start planned it. A failure is also written
 * to network-error.json, for the starter to report with its hint. */
export async function networkHook(ctx: EngineContext, id: string, pid: number, exitFd: number | undefined): Promise<void> {
  const dir = ctx.store.containerDir(id);
  try {
    const plan = readNetworkPlan(dir);
    if (!plan) throw new HxError(`container ${id.slice(0, 12)} has no network plan`, { kind: 'internal', hint: 'start it again with hx start' });
    await connectNetwork(dir, plan, pid, exitFd);
  } catch (e) {
    const err = e as HxError;
    writeFileSync(join(dir, 'network-error.json'), JSON.stringify({ message: err.message, kind: err.kind ?? 'internal', hint: err.hint }), { mode: 0o600 });
    throw e;
  }
}


/** `hx port CTR [PORT[/PROTO]]`: "80/tcp -> 0.0.0.0:32768" lines (docker's format). */
export async function containerPorts(ctx: EngineContext, ref: string, port?: string): Promise<{ key: string; host: string }[]> {
  const rec = findContainer(ctx.store, ref);
  // a stopped container publishes nothing, even while its monitor is still cleaning up
  const forwards: PortForward[] = isRunning(currentState(ctx.store, rec)) ? activeForwards(ctx.store.containerDir(rec.id)) : [];
  let want: string | undefined;
  if (port !== undefined) {
    const [p, proto = 'tcp'] = port.split('/');
    want = `${p}/${proto}`;
  }
  const out = forwards
    .map((f) => ({ key: `${f.containerPort}/${f.proto}`, host: `${f.hostIp ? (f.hostIp.includes(':') ? `[${f.hostIp}]` : f.hostIp) : '0.0.0.0'}:${f.hostPort}` }))
    .filter((x) => want === undefined || x.key === want);
  if (want !== undefined && out.length === 0) {
    throw new HxError(`No public port '${want}' published for ${ref}`, { kind: 'not-found', hint: 'hx port CONTAINER lists what is published' });
  }
  return out;
}

/** The error the monitor's network hook recorded for the last start (read once). */
export function networkStartError(dir: string): HxError | undefined {
  const path = join(dir, 'network-error.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  rmSync(path, { force: true });
  try {
    const r = JSON.parse(text) as { message: string; kind: HxError['kind']; hint?: string };
    return new HxError(r.message, { kind: r.kind, hint: r.hint });
  } catch {
    return undefined;
  }
}
