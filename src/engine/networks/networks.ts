// `hx network create|ls|inspect|rm|prune`: user-defined bridge networks as moby's network
// controller answers for them (its messages: "network NAME not found", "Pool overlaps with
// other one on this address space", "... has active endpoints"), over store/networks.ts.
// docker's predefined bridge, host and none are listed and inspected, never stored.
import { randomBytes } from 'node:crypto';
import { HxError } from '../../errors.js';
import { bridgeName } from '../../net/bridge.js';
import { hostSubnets } from '../../net/host-subnets.js';
import { defaultSubnet, formatSubnet, overlaps, parseSubnet, poolConfig, formatIPv4, type Subnet } from '../../net/ipam.js';
import type { NetworkRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { networkEvent } from '../events.js';
import { matchLabels, untilTime, type Filters } from '../filters.js';
import { isRunning, currentState } from '../../container/state.js';
import { defaultBridge, endpointsOf, findNetwork, networkUsers, PREDEFINED, predefinedId, type PredefinedName } from './lookup.js';

export interface CreateNetworkRequest {
  name: string;
  /** -d: only "bridge". */
  driver?: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  internal?: boolean;
  labels?: Record<string, string>;
  /** --opt KEY=VALUE (kept; none changes how hx builds the bridge). */
  options?: Record<string, string>;
}

/** docker's NetworkResource, as `network inspect` prints it. */
export interface NetworkDocument {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: { Subnet: string; Gateway?: string; IPRange?: string }[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

// podman's rule: the name becomes part of nothing on disk, but keep it printable and unambiguous
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function isPredefined(name: string): name is PredefinedName {
  return (PREDEFINED as readonly string[]).includes(name);
}

/** `hx network create`: the new network's record. */
export async function createNetwork(ctx: EngineContext, req: CreateNetworkRequest): Promise<NetworkRecord> {
  const name = req.name;
  const driver = req.driver || 'bridge';
  if (driver !== 'bridge') throw new HxError(`plugin "${driver}" not found`, { kind: 'not-found', hint: 'hx networks use the bridge driver only (-d bridge)' });
  if (!NETWORK_NAME.test(name)) throw new HxError(`invalid network name ${JSON.stringify(name)}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`, { kind: 'invalid-argument', hint: 'use letters, digits and _.- (starting with a letter or digit)' });
  if (isPredefined(name)) throw new HxError(`network with name ${name} already exists`, { kind: 'conflict', hint: `${name} is one of docker's predefined networks: pick another name` });
  if ((req.gateway || req.ipRange) && !req.subnet) throw new HxError('invalid network config: --gateway and --ip-range need --subnet', { kind: 'invalid-argument', hint: 'add --subnet A.B.C.D/N' });
  const explicit = req.subnet ? parseSubnet(req.subnet) : undefined;
  const store = ctx.store;
  return store.locked(() => {
    const others = store.networks.list();
    if (others.some((n) => n.Name === name)) throw new HxError(`network with name ${name} already exists`, { kind: 'conflict', hint: `hx network inspect ${name} shows it; pick another name or remove it first` });
    const theirs: Subnet[] = [...others, ...(ctx.mode.rootless ? [] : [defaultBridge(store)])].flatMap((n) => n.IPAM.Config.map((c) => parseSubnet(c.Subnet)));
    let subnet: Subnet;
    if (explicit) {
      if (theirs.some((s) => overlaps(s, explicit))) {
        throw new HxError('invalid pool request: Pool overlaps with other one on this address space', { kind: 'conflict', hint: 'hx network inspect shows the subnets in use: give another --subnet' });
      }
      subnet = explicit;
    } else {
      subnet = defaultSubnet([...theirs, ...hostSubnets()]);
    }
    const pool = poolConfig(subnet, req.gateway, req.ipRange);
    const id = randomBytes(32).toString('hex');
    const rec: NetworkRecord = {
      Name: name,
      Id: id,
      Created: new Date().toISOString(),
      Driver: 'bridge',
      Internal: req.internal ?? false,
      Labels: req.labels ?? {},
      Options: req.options ?? {},
      IPAM: {
        Driver: 'default',
        Options: {},
        Config: [{ Subnet: formatSubnet(subnet), Gateway: formatIPv4(pool.gateway), ...(req.ipRange ? { IPRange: formatSubnet(pool.range) } : {}) }],
      },
      bridge: bridgeName(id),
    };
    store.networks.put(rec);
    networkEvent(store, 'create', rec.Id, rec.Name);
    return rec;
  });
}

function predefinedDocument(name: PredefinedName): NetworkDocument {
  return {
    Name: name,
    Id: predefinedId(name),
    Created: '0001-01-01T00:00:00Z',
    Scope: 'local',
    Driver: name === 'none' ? 'null' : name,
    EnableIPv4: name === 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {},
  };
}

/** A predefined network's document: rootful, the bridge is a real one (its subnet, its containers). */
function builtinDocument(ctx: EngineContext, name: PredefinedName): NetworkDocument {
  return name === 'bridge' && !ctx.mode.rootless ? { ...networkDocument(ctx, defaultBridge(ctx.store)), Created: '0001-01-01T00:00:00Z' } : predefinedDocument(name);
}

/** docker's document of a user network; Containers lists the running containers on it. */
export function networkDocument(ctx: EngineContext, n: NetworkRecord): NetworkDocument {
  const containers: NetworkDocument['Containers'] = {};
  for (const { rec, endpoint } of networkUsers(ctx.store, n.Id)) {
    if (!isRunning(currentState(ctx.store, rec))) continue;
    containers[rec.id] = { Name: rec.name, EndpointID: endpoint.endpointId, MacAddress: endpoint.mac, IPv4Address: `${endpoint.ip}/${endpoint.prefixLength}`, IPv6Address: '' };
  }
  return {
    Name: n.Name,
    Id: n.Id,
    Created: n.Created,
    Scope: 'local',
    Driver: n.Driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: n.IPAM.Driver, Options: n.IPAM.Options, Config: n.IPAM.Config.map((c) => ({ ...c })) },
    Internal: n.Internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.Options,
    Labels: n.Labels,
  };
}

/** `hx network inspect REF`: a predefined network by name, a user network by ID, name or prefix. */
export function inspectNetwork(ctx: EngineContext, ref: string): NetworkDocument {
  if (isPredefined(ref)) return builtinDocument(ctx, ref);
  const byId = PREDEFINED.map((p) => builtinDocument(ctx, p)).find((d) => d.Id === ref || (ref.length >= 12 && d.Id.startsWith(ref)));
  if (byId) return byId;
  return networkDocument(ctx, findNetwork(ctx.store, ref));
}

/** `hx network ls`: predefined and user networks sorted by name; moby's filters. */
export function listNetworks(ctx: EngineContext, o: { filters?: Filters } = {}): NetworkDocument[] {
  const f = o.filters;
  f?.validate(['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']);
  const types = f?.get('type') ?? [];
  for (const t of types) if (t !== 'custom' && t !== 'builtin') throw new HxError(`invalid filter: 'type'='${t}'`, { kind: 'invalid-argument', hint: 'type is custom or builtin' });
  const dangling = f?.contains('dangling') ? f.getBool('dangling', false) : undefined;
  const docs = [...PREDEFINED.map((p) => builtinDocument(ctx, p)), ...ctx.store.networks.list().map((n) => networkDocument(ctx, n))];
  const users = new Set(ctx.store.containers.list().flatMap((r) => endpointsOf(r).map((e) => e.networkId)));
  return docs
    .filter((d) => {
      if (!f) return true;
      // a user network cannot take a predefined name (createNetwork refuses it)
      const builtin = isPredefined(d.Name);
      if (!f.match('name', d.Name)) return false;
      if (!f.fuzzyMatch('id', d.Id)) return false;
      if (!f.exactMatch('driver', d.Driver)) return false;
      if (!f.exactMatch('scope', d.Scope)) return false;
      if (!f.matchKVList('label', d.Labels)) return false;
      if (types.length && !types.includes(builtin ? 'builtin' : 'custom')) return false;
      // moby: dangling=true is custom networks without containers
      if (dangling !== undefined && dangling !== (!builtin && !users.has(d.Id))) return false;
      return true;
    })
    .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

async function teardown(ctx: EngineContext, n: NetworkRecord): Promise<void> {
  const { removeNetworkPlane } = await import('./plane.js');
  await removeNetworkPlane(ctx, n);
}

/** `hx network rm REF`: refused for predefined networks and while a container is on it. */
export async function removeNetwork(ctx: EngineContext, ref: string, force = false): Promise<string> {
  if (isPredefined(ref)) throw new HxError(`${ref} is a pre-defined network and cannot be removed`, { kind: 'permission', hint: 'only networks made with hx network create can be removed' });
  const store = ctx.store;
  return store.locked(async () => {
    let n: NetworkRecord;
    try {
      n = findNetwork(store, ref);
    } catch (e) {
      if (force && e instanceof HxError && e.kind === 'not-found') return ref;
      throw e;
    }
    const users = networkUsers(store, n.Id);
    if (users.length) {
      throw new HxError(`error while removing network: network ${n.Name} id ${n.Id} has active endpoints`, {
        kind: 'conflict',
        hint: `disconnect or remove its containers first (${users.map((u) => u.rec.name).join(', ')})`,
      });
    }
    await teardown(ctx, n);
    store.networks.remove(n.Id);
    networkEvent(store, 'destroy', n.Id, n.Name);
    return ref;
  });
}

/** `hx network prune [--filter until=|label=]`: user networks no container is on. */
export async function pruneNetworks(ctx: EngineContext, o: { filters?: Filters } = {}): Promise<{ deleted: string[] }> {
  const f = o.filters;
  f?.validate(['until', 'label', 'label!']);
  const until = f ? untilTime(f) : undefined;
  const store = ctx.store;
  return store.locked(async () => {
    const deleted: string[] = [];
    for (const n of store.networks.list()) {
      if (networkUsers(store, n.Id).length) continue;
      if (until && new Date(n.Created) >= until) continue;
      if (f && !matchLabels(f, n.Labels)) continue;
      await teardown(ctx, n);
      store.networks.remove(n.Id);
      networkEvent(store, 'destroy', n.Id, n.Name);
      deleted.push(n.Name);
    }
    return { deleted };
  });
}
