// The /etc/hosts, /etc/hostname and /etc/resolv.conf a container gets, generated per
// container as docker and podman do. Pure: the host's files come in as text.
import { HELPER_ADDRESSES, type NetworkAddresses, type NetworkMode } from './types.js';

export interface HostsInput {
  mode: NetworkMode;
  hostname: string;
  /** The container's name (docker adds none; podman adds it beside the hostname). */
  name?: string;
  /** --add-host entries, host-gateway already replaced by an address. */
  extraHosts: { name: string; address: string }[];
  /** With a helper: its addresses (the container's own and the host's mapped one). */
  addresses?: NetworkAddresses;
  /** --network host: the host's /etc/hosts, copied under hx's lines. */
  hostHosts?: string;
  /** A user network with outbound access (not --internal): the host is reached through pasta. */
  outbound?: boolean;
  /** The host's address as the caller found it (wins over the one the mode implies). */
  hostGateway?: string;
}

/** docker's localhost block (moby libnetwork/etchosts). */
const LOCALHOST = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** The address host-gateway and host.containers.internal stand for (undefined: no route to the host). */
export function hostGatewayAddress(mode: NetworkMode, addresses: NetworkAddresses | undefined, outbound = false): string | undefined {
  if (mode === 'host') return '127.0.0.1';
  // user networks reach the host's loopback through the held namespace's pasta (internal ones do not)
  if (mode === 'bridge') return outbound ? HELPER_ADDRESSES.gateway : undefined;
  return addresses?.gateway;
}

export function hostsFile(inp: HostsInput): string {
  if (inp.mode === 'host' && inp.hostHosts !== undefined) {
    const extra = inp.extraHosts.map((h) => `${h.address}\t${h.name}`);
    return [...extra, inp.hostHosts.replace(/\n?$/, '')].join('\n') + '\n';
  }
  const lines = [...LOCALHOST];
  for (const h of inp.extraHosts) lines.push(`${h.address}\t${h.name}`);
  const gateway = inp.hostGateway ?? hostGatewayAddress(inp.mode, inp.addresses, inp.outbound);
  if (gateway) lines.push(`${gateway}\thost.containers.internal host.docker.internal`);
  const names = [inp.hostname, ...(inp.name && inp.name !== inp.hostname ? [inp.name] : [])].join(' ');
  // Without an interface, the hostname resolves to loopback (as with docker's --network none).
  lines.push(`${inp.addresses?.container ?? '127.0.0.1'}\t${names}`);
  return lines.join('\n') + '\n';
}

export interface ResolvInput {
  mode: NetworkMode;
  /** The host's /etc/resolv.conf ('' when it has none). */
  hostResolv: string;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  /** The helper's DNS forwarder (10.0.2.3): it stands in for a loopback stub resolver. */
  forwarder?: string;
}

interface Resolv {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** nameserver, search/domain and options lines of a resolv.conf (the last search wins, as in glibc). */
export function parseResolv(text: string): Resolv {
  const out: Resolv = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.search = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

function isLoopback(addr: string): boolean {
  return addr.startsWith('127.') || addr === '::1';
}

/**
 * docker's rules (moby libnetwork/resolvconf): on a user network, the network's DNS only
 * (--dns are its upstreams for the container); else --dns replaces the host's servers; else the
 * host's, where a loopback stub (127.0.0.53, ::1) cannot be reached from the container's
 * namespace and is replaced by the helper's forwarder, or dropped without a helper.
 * --dns-search and --dns-option replace the host's search and options lines.
 */
export function resolvConf(inp: ResolvInput): string {
  const host = parseResolv(inp.hostResolv);
  let servers: string[];
  // a user network: the network's DNS on its gateway, even with --dns (docker's embedded DNS: --dns become its upstreams)
  if (inp.mode === 'bridge') servers = inp.forwarder ? [inp.forwarder] : [];
  else if (inp.dns.length) servers = inp.dns;
  else if (inp.mode === 'host') servers = host.nameservers;
  else {
    servers = [];
    for (const s of host.nameservers) {
      const use = isLoopback(s) ? inp.forwarder : s;
      if (use && !servers.includes(use)) servers.push(use);
    }
    if (servers.length === 0 && inp.forwarder) servers.push(inp.forwarder);
  }
  // a user network's DNS answers its own names only: the host's search domains would be tried first
  const search = inp.dnsSearch.length ? inp.dnsSearch.filter((s) => s !== '.') : inp.mode === 'bridge' ? [] : host.search;
  const options = inp.dnsOptions.length ? inp.dnsOptions : host.options;
  const lines: string[] = [];
  if (search.length) lines.push(`search ${search.join(' ')}`);
  for (const s of servers) lines.push(`nameserver ${s}`);
  if (options.length) lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + '\n';
}
