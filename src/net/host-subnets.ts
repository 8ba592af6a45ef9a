// The IPv4 subnets the host already uses (its routes in /proc/net/route, its addresses from
// `ip -j addr`), so a default subnet of a new network never shadows one of them. Only read:
// nothing here changes the host. The default route (0.0.0.0/0) is not a subnet in use.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { Subnet } from './ipam.js';
import { parseIPv4 } from './ipam.js';

/** /proc/net/route's lines as subnets (hex fields in host byte order: little-endian here). */
export function parseProcRoutes(text: string): Subnet[] {
  const out: Subnet[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const dest = leHex(f[1]!);
    const m = leHex(f[7]!);
    if (dest === undefined || m === undefined || m === 0) continue;
    const prefix = popcount(m);
    out.push({ network: (dest & m) >>> 0, prefix });
  }
  return out;
}

function leHex(h: string): number | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(h)) return undefined;
  const v = parseInt(h, 16);
  return (((v & 0xff) << 24) | (((v >>> 8) & 0xff) << 16) | (((v >>> 16) & 0xff) << 8) | (v >>> 24)) >>> 0;
}

function popcount(n: number): number {
  let c = 0;
  for (let v = n >>> 0; v; v >>>= 1) c += v & 1;
  return c;
}

interface IpAddrEntry {
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** `ip -j addr`'s IPv4 addresses as their subnets (loopback's 127/8 included: never a network of ours). */
export function parseIpAddrJson(text: string): Subnet[] {
  let entries: IpAddrEntry[];
  try {
    entries = JSON.parse(text) as IpAddrEntry[];
  } catch {
    return [];
  }
  const out: Subnet[] = [];
  for (const e of entries) {
    for (const a of e.addr_info ?? []) {
      if (a.family !== 'inet' || a.local === undefined || a.prefixlen === undefined) continue;
      const addr = parseIPv4(a.local);
      if (addr === undefined || a.prefixlen <= 0) continue;
      const m = a.prefixlen >= 32 ? 0xffffffff : (0xffffffff << (32 - a.prefixlen)) >>> 0;
      out.push({ network: (addr & m) >>> 0, prefix: a.prefixlen });
    }
  }
  return out;
}

/** The host's subnets now (what cannot be read counts as none). */
export function hostSubnets(): Subnet[] {
  let routes: Subnet[] = [];
  try {
    routes = parseProcRoutes(readFileSync('/proc/net/route', 'utf8'));
  } catch {
    /* no procfs net: nothing known */
  }
  const r = spawnSync('ip', ['-j', '-4', 'addr'], { encoding: 'utf8', timeout: 5000 });
  const addrs = r.status === 0 ? parseIpAddrJson(r.stdout) : [];
  return [...routes, ...addrs];
}
