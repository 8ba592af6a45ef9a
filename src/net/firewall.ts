// The firewall of rootful user networks, in hx's own network namespace (the host's, or the
// one `ip netns exec` put hx in): iptables, whose Debian 12 build is iptables-nft, so the
// rules land in nf_tables on hosts that use nft and in x_tables on legacy ones. Every rule
// is in hx's own chains, reached by one jump from each built-in chain it needs; a network
// or container has a chain of its own, so removing it is a flush and a delete, never a
// search through rules someone else owns. The host's policies are never changed.
//
//   filter FORWARD     -> HX-FORWARD -> HXN-<net> (per network: -i BR / -o BR)
//   nat    POSTROUTING -> HX-POSTROUTING -> HXN-<net> (masquerade out; loopback clients in)
//   nat    PREROUTING, OUTPUT (dst-type LOCAL) -> HX-DNAT -> HXC-<container> (published ports)
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { HxError } from '../errors.js';
import type { PortForward } from './types.js';

const FORWARD = 'HX-FORWARD';
const POSTROUTING = 'HX-POSTROUTING';
const DNAT = 'HX-DNAT';

/** The jumps from the built-in chains into hx's (table, chain, rule). */
const JUMPS: [string, string, string[]][] = [
  ['filter', 'FORWARD', ['-j', FORWARD]],
  ['nat', 'POSTROUTING', ['-j', POSTROUTING]],
  ['nat', 'PREROUTING', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', DNAT]],
  ['nat', 'OUTPUT', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', DNAT]],
];

function iptables(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync('iptables', ['-w', ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stderr: (r.stderr ?? r.error?.message ?? '').trim() };
}

function must(args: string[]): void {
  const r = iptables(args);
  if (r.status !== 0) throw firewallError(`iptables ${args.join(' ')}`, r.stderr || `exit ${r.status}`);
}

function firewallError(what: string, why: string): HxError {
  return new HxError(`${what}: ${why}`, { kind: 'unavailable', hint: 'rootful networks need iptables (apt-get install iptables) and the nf_tables or ip_tables kernel modules; or run with --network none or host' });
}

function chainExists(table: string, chain: string): boolean {
  return iptables(['-t', table, '-S', chain]).status === 0;
}

/** CHAIN in TABLE made (or emptied) with RULES in one iptables-restore: never half-written. */
function writeChain(table: string, chain: string, rules: string[][]): void {
  const text = [`*${table}`, `:${chain} - [0:0]`, ...rules.map((r) => `-A ${chain} ${r.join(' ')}`), 'COMMIT', ''].join('\n');
  const r = spawnSync('iptables-restore', ['-w', '--noflush'], { input: text, encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw firewallError(`iptables-restore of chain ${chain}`, (r.stderr ?? r.error?.message ?? '').trim() || `exit ${r.status}`);
}

/** RULE (after CHAIN) in TABLE, added once; FIRST: inserted at the top. */
function ensureRule(table: string, chain: string, rule: string[], first = false): void {
  if (iptables(['-t', table, '-C', chain, ...rule]).status === 0) return;
  must(['-t', table, first ? '-I' : '-A', chain, ...rule]);
}

function dropRule(table: string, chain: string, rule: string[]): void {
  while (iptables(['-t', table, '-D', chain, ...rule]).status === 0) {
    /* every copy */
  }
}

function dropChain(table: string, chain: string): void {
  if (!chainExists(table, chain)) return;
  iptables(['-t', table, '-F', chain]);
  iptables(['-t', table, '-X', chain]);
}

/** hx's chains and their jumps, and routing on (call under the plane lock; idempotent). */
export function ensureFirewall(): void {
  try {
    writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
  } catch (e) {
    throw new HxError(`cannot enable IPv4 forwarding: ${(e as Error).message}`, { kind: 'permission', hint: 'rootful networks need root in the network namespace hx runs in' });
  }
  for (const [table, chain] of [['filter', FORWARD], ['nat', POSTROUTING], ['nat', DNAT]] as const) {
    if (!chainExists(table, chain)) must(['-t', table, '-N', chain]);
  }
  // first in FORWARD: a host policy or rule that drops forwarded traffic would hide the networks
  for (const [table, chain, rule] of JUMPS) ensureRule(table, chain, rule, table === 'filter');
}

/** The chain of a network (its bridge name without the "hxbr-": 28 characters at most). */
export function networkChain(bridge: string): string {
  return `HXN-${bridge.replace(/^hxbr-/, '')}`;
}

/** The chain of a container's published ports. */
export function containerChain(containerId: string): string {
  return `HXC-${containerId.slice(0, 12)}`;
}

/**
 * BRIDGE's rules: its containers talk to each other; not to another hx network; out to the
 * rest (masqueraded as the host) unless INTERNAL; in only as answers or through a published
 * port. Loopback clients of a published port are masqueraded to the gateway (the container
 * could not answer 127.0.0.1), and BRIDGE routes them (route_localnet).
 */
export function allowNetwork(bridge: string, subnet: string, internal: boolean): void {
  const chain = networkChain(bridge);
  const rules: string[][] = [['-i', bridge, '-o', bridge, '-j', 'ACCEPT']];
  if (internal) rules.push(['-j', 'DROP']);
  else {
    rules.push(
      ['-i', bridge, '-o', 'hxbr-+', '-j', 'DROP'],
      ['-i', bridge, '-j', 'ACCEPT'],
      ['-o', bridge, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
      ['-o', bridge, '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'ACCEPT'],
      ['-o', bridge, '-j', 'DROP'],
    );
  }
  writeChain('filter', chain, rules);
  writeChain('nat', chain, internal ? [] : [['-s', subnet, '!', '-o', bridge, '-j', 'MASQUERADE'], ['-o', bridge, '-m', 'addrtype', '--src-type', 'LOCAL', '-j', 'MASQUERADE']]);
  ensureRule('filter', FORWARD, ['-i', bridge, '-j', chain]);
  ensureRule('filter', FORWARD, ['-o', bridge, '-j', chain]);
  ensureRule('nat', POSTROUTING, ['-j', chain]);
  if (!internal) {
    try {
      writeFileSync(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, '1');
    } catch {
      /* without it only loopback clients of published ports fail; the rest works */
    }
  }
}

/** BRIDGE's rules gone (its last container stopped, or the network removed). */
export function dropNetwork(bridge: string): void {
  const chain = networkChain(bridge);
  dropRule('filter', FORWARD, ['-i', bridge, '-j', chain]);
  dropRule('filter', FORWARD, ['-o', bridge, '-j', chain]);
  dropRule('nat', POSTROUTING, ['-j', chain]);
  dropChain('filter', chain);
  dropChain('nat', chain);
}

/** A container's published ports: DNAT from the host's addresses to IP (its address on BRIDGE). */
export function publishPorts(containerId: string, forwards: readonly PortForward[], ip: string, bridge: string): void {
  const chain = containerChain(containerId);
  const rules = forwards.map((f) => {
    if (f.hostIp.includes(':')) throw new HxError(`publishing on ${f.hostIp}: rootful networks are IPv4`, { kind: 'not-implemented', hint: 'publish on an IPv4 address, or on all of them (-p HOSTPORT:PORT)' });
    // not from the bridge itself: a container reaching the host's port directly is the host's business
    return ['-p', f.proto, ...(f.hostIp ? ['-d', f.hostIp] : []), '!', '-i', bridge, '--dport', String(f.hostPort), '-j', 'DNAT', '--to-destination', `${ip}:${f.containerPort}`];
  });
  writeChain('nat', chain, rules);
  ensureRule('nat', DNAT, ['-j', chain]);
}

export function unpublishPorts(containerId: string): void {
  const chain = containerChain(containerId);
  dropRule('nat', DNAT, ['-j', chain]);
  dropChain('nat', chain);
}

/** No network in use: hx's chains and jumps gone (routing is left on, as docker leaves it). */
export function releaseFirewall(): void {
  for (const [table, chain, rule] of JUMPS) dropRule(table, chain, rule);
  for (const [table, chain] of [['filter', FORWARD], ['nat', POSTROUTING], ['nat', DNAT]] as const) dropChain(table, chain);
}
