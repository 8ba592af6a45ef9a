// What a container asks of the network, as the record keeps it, and what a started
// network helper is. Shared by the helpers (pasta.ts, slirp4netns.ts), the port
// resolution (ports.ts) and the generated /etc files (etc-files.ts).

/** --network as hx runs it: a helper per container (rootless), no helper at all, or
 * 'bridge': endpoints on user-defined networks (the endpoints say which). */
export type NetworkMode = 'none' | 'host' | 'pasta' | 'slirp4netns' | 'bridge' | 'container';

/** A container's place on a user-defined network (docker's EndpointSettings, as the record keeps it). */
export interface NetworkEndpoint {
  networkId: string;
  /** The network's name when the endpoint was made (its record is the truth). */
  networkName: string;
  endpointId: string;
  /** IPv4 address, dotted. */
  ip: string;
  prefixLength: number;
  gateway: string;
  mac: string;
  /** --network-alias / connect --alias (the container's name and short ID resolve too). */
  aliases: string[];
  /** --ip / connect --ip was given (kept across restarts as docker's IPAMConfig). */
  fixedIp: boolean;
  /** The network is --internal: no default route through it, no outbound access. */
  internal?: boolean;
  /** docker's default bridge (rootful --network bridge): no DNS responder, the host's resolvers. */
  noDns?: boolean;
}

/** docker's HostConfig.PortBindings entry (the same shape as docker-syntax/publish.ts). */
export interface PortBindingRequest {
  HostIp: string;
  /** "" (any free port), "8080", or a range "8000-8010" to pick a free one from. */
  HostPort: string;
}

/** What `hx create`/`run` recorded about the container's network. */
export interface NetworkRequest {
  mode: NetworkMode;
  /** After "pasta:" or "slirp4netns:" in --network (podman's syntax), split at commas. */
  helperOptions: string[];
  /** "8080/tcp" -> host bindings (-p; -P added those of the exposed ports). */
  portBindings: Record<string, PortBindingRequest[]>;
  /** --add-host NAME:IP (IP may be host-gateway). */
  extraHosts: { name: string; address: string }[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  /** mode 'bridge': the networks the container is on, in the order they were connected. */
  endpoints?: NetworkEndpoint[];
  /** mode 'container': the ID of the container whose network namespace is shared. */
  container?: string;
  /** --link: the target's ID and the alias (engine/containers/links.ts). */
  links?: { id: string; alias: string }[];
}

/** One published port, with the host port fixed. */
export interface PortForward {
  proto: 'tcp' | 'udp';
  /** "" for every address. */
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

/** The addresses both helpers give the container (slirp4netns' defaults; pasta is told them). */
export interface NetworkAddresses {
  container: string;
  prefixLength: number;
  /** The gateway: the helper maps it to the host's loopback (host.containers.internal). */
  gateway: string;
  /** The helper's DNS forwarder. */
  dns: string;
}

export const HELPER_ADDRESSES: NetworkAddresses = { container: '10.0.2.100', prefixLength: 24, gateway: '10.0.2.2', dns: '10.0.2.3' };

/** A running helper, as containers/<id>/network.json records it (to stop it later). */
export interface HelperRecord {
  helper: 'pasta' | 'slirp4netns';
  pid: number;
  /** /proc/PID/stat's start time: a recycled pid is never signalled. */
  startTime: string;
  forwards: PortForward[];
  addresses: NetworkAddresses;
  /** The ports the helper cannot forward go through hx-portrelay (net/portrelay.ts), stopped with it. */
  relay?: { pid: number; startTime: string };
}
