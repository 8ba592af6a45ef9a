// A container's endpoint on a user network: an address from the network's pool (the lowest
// free one, or --ip), its MAC, its aliases. Allocation reads every container record's
// endpoints, so it must run under the store lock together with the write of the record
// that takes the address: two creates at once then never get the same one, and removing a
// container (its record) frees its addresses.
import { randomBytes } from 'node:crypto';
import { HxError } from '../../errors.js';
import { formatIPv4, macFor, nextAddress, parseIPv4, parseSubnet, poolConfig, requestedAddress, type PoolConfig } from '../../net/ipam.js';
import type { NetworkEndpoint } from '../../net/types.js';
import type { NetworkRecord, Store } from '../../store/store.js';
import { endpointsOf, isDefaultBridge } from './lookup.js';

/** The pool of a network record. */
export function poolOf(net: NetworkRecord): PoolConfig {
  const c = net.IPAM.Config[0];
  if (!c) throw new HxError(`network ${net.Name} has no IPAM config`, { kind: 'data', hint: `remove it (hx network rm ${net.Name}) and create it again` });
  return poolConfig(parseSubnet(c.Subnet), c.Gateway, c.IPRange);
}

/** The addresses of NETWORKID held by container records (EXCEPT: a record being rewritten). */
export function takenAddresses(store: Store, networkId: string, except?: string): Set<number> {
  const taken = new Set<number>();
  for (const rec of store.containers.list()) {
    if (rec.id === except) continue;
    for (const e of endpointsOf(rec)) {
      if (e.networkId !== networkId) continue;
      const a = parseIPv4(e.ip);
      if (a !== undefined) taken.add(a);
    }
  }
  return taken;
}

export interface EndpointRequest {
  /** --ip (or connect --ip). */
  ip?: string | undefined;
  aliases?: string[];
}

/** An alias is a name the network's DNS answers: one word of a hosts-style names file. */
function checkedAliases(aliases: readonly string[]): string[] {
  for (const a of aliases) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(a) || a.length > 253) {
      throw new HxError(`invalid network alias ${JSON.stringify(a)}`, { kind: 'invalid-argument', hint: 'an alias is a DNS name: letters, digits, and _ . - (not first)' });
    }
  }
  return [...new Set(aliases)];
}

/** A new endpoint of NET (call under the store lock; EXTRA: addresses taken in this same call). */
export function allocateEndpoint(store: Store, net: NetworkRecord, req: EndpointRequest, extra: ReadonlySet<number> = new Set(), except?: string): NetworkEndpoint {
  const pool = poolOf(net);
  const taken = takenAddresses(store, net.Id, except);
  for (const a of extra) taken.add(a);
  const addr = req.ip ? requestedAddress(pool, req.ip, taken, net.Name) : nextAddress(pool, taken, net.Name);
  return {
    networkId: net.Id,
    networkName: net.Name,
    endpointId: randomBytes(32).toString('hex'),
    ip: formatIPv4(addr),
    prefixLength: pool.subnet.prefix,
    gateway: formatIPv4(pool.gateway),
    mac: macFor(addr),
    aliases: checkedAliases(req.aliases ?? []),
    fixedIp: Boolean(req.ip),
    ...(net.Internal ? { internal: true } : {}),
    ...(isDefaultBridge(store, net.Id) ? { noDns: true } : {}),
  };
}
