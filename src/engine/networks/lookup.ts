// Which network a user means (moby's FindNetwork order: a full ID, then a name, then a
// unique ID prefix), the predefined ones docker lists (bridge, host, none), and which
// containers are on a network (their records' endpoints: the records are the IPAM table).
import { createHash, randomBytes } from 'node:crypto';
import { HxError } from '../../errors.js';
import { bridgeName } from '../../net/bridge.js';
import { hostSubnets } from '../../net/host-subnets.js';
import { defaultBridgeSubnet, formatIPv4, formatSubnet, parseSubnet } from '../../net/ipam.js';
import type { NetworkEndpoint } from '../../net/types.js';
import type { ContainerRecord, NetworkRecord, Store } from '../../store/store.js';

export const PREDEFINED = ['bridge', 'host', 'none'] as const;
export type PredefinedName = (typeof PREDEFINED)[number];

/** A stable ID for a predefined network (docker makes a random one per daemon). */
export function predefinedId(name: PredefinedName): string {
  return createHash('sha256').update(`hx predefined network ${name}`).digest('hex');
}

/** The default bridge's ID in stores from before it was chosen per store (their containers'
 * endpoints name it, with 172.17.0.0/16 addresses). */
const LEGACY_BRIDGE_ID = predefinedId('bridge');

/** Is NETWORKID the default bridge of STORE (nothing is chosen by asking)? */
export function isDefaultBridge(store: Store, networkId: string): boolean {
  return networkId === (store.networks.defaultBridgePool()?.Id ?? LEGACY_BRIDGE_ID);
}

/** docker's default bridge network, rootful: docker0's 172.17.0.0/16 on hx's own bridge, or
 * as docker does, the first of its default pools that no route or address of the host nor
 * another network uses; its ID random, as docker's is per daemon, so the bridges of two stores
 * in one network namespace are two. Chosen once per store (the store keeps the pool and ID,
 * never a record); never removed; its containers get no DNS of the network, as in docker. */
export function defaultBridge(store: Store): NetworkRecord {
  let pool = store.networks.defaultBridgePool();
  if (!pool) {
    // a store whose containers are on the bridge of before keeps it as it was
    const legacy = store.containers.list().some((r) => endpointsOf(r).some((e) => e.networkId === LEGACY_BRIDGE_ID));
    const taken = legacy ? [] : [...store.networks.list().flatMap((n) => n.IPAM.Config.map((c) => parseSubnet(c.Subnet))), ...hostSubnets()];
    const subnet = defaultBridgeSubnet(taken);
    pool = store.networks.keepDefaultBridgePool({ Subnet: formatSubnet(subnet), Gateway: formatIPv4((subnet.network + 1) >>> 0), Id: legacy ? LEGACY_BRIDGE_ID : randomBytes(32).toString('hex') });
  }
  const id = pool.Id ?? LEGACY_BRIDGE_ID;
  return {
    Name: 'bridge',
    Id: id,
    Created: '0001-01-01T00:00:00Z',
    Driver: 'bridge',
    Internal: false,
    Labels: {},
    Options: {},
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: pool.Subnet, Gateway: pool.Gateway }] },
    bridge: bridgeName(id),
  };
}

export function noSuchNetwork(ref: string): HxError {
  return new HxError(`network ${ref} not found`, { kind: 'not-found', hint: 'hx network ls lists the networks (hx network create NAME makes one)' });
}

/** A user-defined network by ID, name or unique ID prefix (undefined: none). */
export function lookupNetwork(store: Store, ref: string): NetworkRecord | undefined {
  if (ref === '') return undefined;
  const all = store.networks.list();
  const exact = all.find((n) => n.Id === ref) ?? all.find((n) => n.Name === ref);
  if (exact) return exact;
  if (!/^[a-f0-9]+$/.test(ref)) return undefined;
  const matches = all.filter((n) => n.Id.startsWith(ref));
  if (matches.length > 1) throw new HxError(`network ${ref} is ambiguous (${matches.length} matches found based on ID prefix)`, { kind: 'invalid-argument', hint: 'give more characters of the ID, or the name' });
  return matches[0];
}

export function findNetwork(store: Store, ref: string): NetworkRecord {
  const n = lookupNetwork(store, ref);
  if (!n) throw noSuchNetwork(ref);
  return n;
}

/** The endpoints a container record keeps (none for records made before user networks). */
export function endpointsOf(rec: ContainerRecord): NetworkEndpoint[] {
  const net = (rec.spec as { network?: { endpoints?: NetworkEndpoint[] } } | undefined)?.network;
  return net?.endpoints ?? [];
}

/** Every container record with an endpoint on NETWORKID, with that endpoint. */
export function networkUsers(store: Store, networkId: string): { rec: ContainerRecord; endpoint: NetworkEndpoint }[] {
  const out: { rec: ContainerRecord; endpoint: NetworkEndpoint }[] = [];
  for (const rec of store.containers.list()) {
    for (const e of endpointsOf(rec)) if (e.networkId === networkId) out.push({ rec, endpoint: e });
  }
  return out;
}
