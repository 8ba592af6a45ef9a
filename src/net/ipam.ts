// IPv4 address management for user networks, pure: CIDR parsing with docker's messages,
// overlap tests, the default subnet (podman's 10.89.N.0/24, skipping what another network
// or the host already uses) and the next free address of a network. The callers hold the
// store lock and pass in what is taken, so two commands never hand out the same address.
import { HxError } from '../errors.js';

/** A parsed IPv4 subnet: NETWORK is the first address as a 32-bit unsigned number. */
export interface Subnet {
  network: number;
  prefix: number;
}

/** One IPv4 address as a number (undefined: not a dotted quad). */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function formatSubnet(s: Subnet): string {
  return `${formatIPv4(s.network)}/${s.prefix}`;
}

/** The last address of S. */
export function lastAddress(s: Subnet): number {
  return (s.network | (~mask(s.prefix) >>> 0)) >>> 0;
}

/** "A.B.C.D/N" as Go's net.ParseCIDR reads it, plus docker's rule that the host bits are zero. */
export function parseSubnet(text: string, what = 'subnet'): Subnet {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? undefined : parseIPv4(text.slice(0, slash));
  const bits = slash < 0 ? '' : text.slice(slash + 1);
  const prefix = /^[0-9]{1,2}$/.test(bits) ? Number(bits) : NaN;
  if (addr === undefined || !(prefix >= 0 && prefix <= 32)) {
    throw new HxError(`invalid CIDR address: ${text}`, { kind: 'invalid-argument', hint: `give the ${what} as ADDRESS/PREFIX, e.g. 10.90.0.0/24 (hx networks are IPv4)` });
  }
  const network = (addr & mask(prefix)) >>> 0;
  if (network !== addr) {
    // moby 25+: "invalid subnet 10.1.2.3/16: it should be 10.1.0.0/16"
    throw new HxError(`invalid ${what} ${text}: it should be ${formatIPv4(network)}/${prefix}`, { kind: 'invalid-argument', hint: 'zero the host bits of the address' });
  }
  if (prefix > 30) throw new HxError(`invalid ${what} ${text}: a /${prefix} has no room for a gateway and a container`, { kind: 'invalid-argument', hint: 'use a prefix of /30 or shorter' });
  return { network, prefix };
}

export function contains(s: Subnet, addr: number): boolean {
  return ((addr & mask(s.prefix)) >>> 0) === s.network;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.network & mask(p)) >>> 0) === ((b.network & mask(p)) >>> 0);
}

/** podman's default pool: 10.89.0.0/24, 10.89.1.0/24 ... 10.89.255.0/24. */
export const DEFAULT_POOL: Subnet = { network: parseIPv4('10.89.0.0')!, prefix: 16 };

/** The first /24 of the default pool that overlaps nothing in TAKEN (other networks, the host's routes and addresses). */
export function defaultSubnet(taken: readonly Subnet[]): Subnet {
  for (let n = 0; n < 256; n++) {
    const s: Subnet = { network: (DEFAULT_POOL.network + n * 256) >>> 0, prefix: 24 };
    if (!taken.some((t) => overlaps(s, t))) return s;
  }
  throw new HxError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network', {
    kind: 'unavailable',
    hint: 'remove unused networks (hx network prune) or give one with --subnet',
  });
}

/** docker's default-address-pools for its default bridge: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
export function defaultBridgeSubnet(taken: readonly Subnet[]): Subnet {
  const candidates: Subnet[] = [];
  for (let b = 17; b <= 31; b++) candidates.push({ network: parseIPv4(`172.${b}.0.0`)!, prefix: 16 });
  for (let c = 0; c < 256; c += 16) candidates.push({ network: parseIPv4(`192.168.${c}.0`)!, prefix: 20 });
  const free = candidates.find((s) => !taken.some((t) => overlaps(s, t)));
  if (!free) throw new HxError("could not find an available, non-overlapping IPv4 address pool for docker's default bridge", { kind: 'unavailable', hint: 'the host uses all of 172.17-31.0.0/16 and 192.168.0.0/16: free one, or run with --network NAME of a network given --subnet' });
  return free;
}

/** What `network create` asked for, checked: the subnet, its gateway and the range containers get addresses from. */
export interface PoolConfig {
  subnet: Subnet;
  gateway: number;
  range: Subnet;
}

/** --subnet/--gateway/--ip-range checked (the subnet already chosen when none was given). */
export function poolConfig(subnet: Subnet, gateway?: string, ipRange?: string): PoolConfig {
  const range = ipRange ? parseSubnet(ipRange, 'ip-range') : subnet;
  if (ipRange && (!contains(subnet, range.network) || range.prefix < subnet.prefix)) {
    throw new HxError(`invalid network config: ip-range ${ipRange} is not within subnet ${formatSubnet(subnet)}`, { kind: 'invalid-argument', hint: 'give an --ip-range inside --subnet' });
  }
  let gw = subnet.network + 1;
  if (gateway !== undefined && gateway !== '') {
    const g = parseIPv4(gateway);
    if (g === undefined) throw new HxError(`invalid gateway address ${gateway}`, { kind: 'invalid-argument', hint: 'give an IPv4 address inside --subnet' });
    if (!contains(subnet, g) || g === subnet.network || g === lastAddress(subnet)) {
      throw new HxError(`invalid network config: gateway ${gateway} is not a host address of subnet ${formatSubnet(subnet)}`, { kind: 'invalid-argument', hint: 'give a --gateway inside --subnet' });
    }
    gw = g;
  }
  return { subnet, gateway: gw >>> 0, range };
}

/** Whether ADDR may be given to a container of POOL (in the range, not the network, broadcast or gateway address). */
export function assignable(pool: PoolConfig, addr: number): boolean {
  return contains(pool.range, addr) && contains(pool.subnet, addr) && addr !== pool.subnet.network && addr !== lastAddress(pool.subnet) && addr !== pool.gateway;
}

/** The lowest free address of POOL's range (TAKEN: the addresses of its endpoints). */
export function nextAddress(pool: PoolConfig, taken: ReadonlySet<number>, networkName: string): number {
  const last = lastAddress(pool.range);
  for (let a = pool.range.network; a <= last; a++) {
    if (assignable(pool, a) && !taken.has(a)) return a;
  }
  throw new HxError(`no available IPv4 addresses on network ${networkName}`, { kind: 'unavailable', hint: 'disconnect or remove containers of that network, or make one with a larger --subnet' });
}

/** --ip X for POOL: docker's message when it is outside the configured subnet or range. */
export function requestedAddress(pool: PoolConfig, ip: string, taken: ReadonlySet<number>, networkName: string): number {
  const a = parseIPv4(ip);
  if (a === undefined) throw new HxError(`invalid IPv4 address: ${ip}`, { kind: 'invalid-argument', hint: 'give --ip as A.B.C.D' });
  if (!assignable(pool, a)) {
    throw new HxError(`invalid config for network ${networkName}: invalid endpoint settings:\nno configured subnet or ip-range contain the IP address ${ip}`, {
      kind: 'invalid-argument',
      hint: `give an address of ${formatSubnet(pool.range)} other than the gateway ${formatIPv4(pool.gateway)}`,
    });
  }
  if (taken.has(a)) throw new HxError(`Address already in use`, { kind: 'conflict', hint: `${ip} belongs to another container of ${networkName}: pick another --ip` });
  return a;
}

/** A locally administered MAC derived from the address (docker's 02:42 + the IPv4 bytes). */
export function macFor(addr: number): string {
  return ['02', '42', ...[addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
