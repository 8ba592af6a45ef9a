// A container's NetworkSettings.Networks entries for its user-network endpoints (docker's
// EndpointSettings), and the names `ps` shows in NETWORKS.
import type { NetworkEndpoint, NetworkRequest } from '../../net/types.js';
import type { ContainerRecord } from '../../store/store.js';

export function endpointSettings(rec: ContainerRecord, endpoints: readonly NetworkEndpoint[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const e of endpoints) {
    out[e.networkName] = {
      IPAMConfig: e.fixedIp ? { IPv4Address: e.ip } : null,
      Links: null,
      Aliases: e.aliases.length ? e.aliases : null,
      MacAddress: e.mac,
      DriverOpts: null,
      NetworkID: e.networkId,
      EndpointID: e.endpointId,
      Gateway: e.gateway,
      IPAddress: e.ip,
      IPPrefixLen: e.prefixLength,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      DNSNames: [rec.name, rec.id.slice(0, 12), ...e.aliases],
    };
  }
  return out;
}

/** The user networks of a record's request (undefined: not on any). */
export function endpointsOfRequest(req: NetworkRequest | undefined): NetworkEndpoint[] | undefined {
  return req?.mode === 'bridge' && req.endpoints?.length ? req.endpoints : undefined;
}
