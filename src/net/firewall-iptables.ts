// The iptables backend of net/firewall.ts. Rootful user networks, in hx's own network namespace
// (the host's, or the one `ip netns exec` put hx in): iptables, whose Debian 12 build is
// iptables-nft, so the rules land in nf_tables on hosts that use nft and in x_tables on legacy
// ones. Every rule
// is in hx's own chains, reached by one jump from each built-in chain it needs; a network
// or container has a chain of its own, so removing it is a flush and a delete, never a
// search through rules someone else owns. The host's policies are never changed.
//
//   filter FORWARD     -> HX-FORWARD -> HXN-<net> (per network: -i BR / -o BR)
//   nat    POSTROUTING -> HX-POSTROUTING -> HXN-<net> (masquerade out; loopback clients in)
//   nat    PREROUTING, OUTPUT (dst-type LOCAL) -> HX-DNAT -> HXC-<container> (published ports)
import { HxError } from '../errors.js';
import { inNetns, SELF_NETNS } from './netns.js';
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

function firewallError(what: string, why: string): HxError {
  return new HxError(`${what}: ${why}`, { kind: 'unavailable', hint: 'networks need iptables (apt-get install iptables) or nft (apt-get install nftables) and the nf_tables or ip_tables kernel modules; or run with --network none or host' });
}

/** What the teardown runs with the removal's text on its stdin. */
export const RESTORE = ['iptables-restore', '-w', '--noflush'];

/** The rules as iptables-save prints them: table -> its chain and rule lines. One process
 * per change to read, one to write (iptables-restore): a container start costs two, not forty. */
type Saved = Map<string, Set<string>>;

function saved(ns = SELF_NETNS): Saved {
  const r = inNetns(ns, ['iptables-save']);
  if (r.status !== 0) throw firewallError('iptables-save', r.stderr.trim() || `exit ${r.status}`);
  const out: Saved = new Map();
  let table: Set<string> | undefined;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('*')) out.set(line.slice(1), (table = new Set()));
    else if (table && (line.startsWith('-A ') || line.startsWith(':'))) table.add(line.startsWith(':') ? line.split(' ')[0]! : line);
  }
  return out;
}

const hasChain = (s: Saved, table: string, chain: string): boolean => s.get(table)?.has(`:${chain}`) === true;
const hasRule = (s: Saved, table: string, rule: string): boolean => s.get(table)?.has(rule) === true;

/** Lines per table, written by one iptables-restore --noflush (all of it or nothing). */
class Batch {
  private readonly tables = new Map<string, string[]>();
  add(table: string, ...lines: string[]): void {
    this.tables.set(table, [...(this.tables.get(table) ?? []), ...lines]);
  }
  /** The iptables-restore input (undefined: nothing to change). */
  text(): string | undefined {
    if (!this.tables.size) return undefined;
    return [...this.tables].map(([t, lines]) => [`*${t}`, ...lines, 'COMMIT'].join('\n')).join('\n') + '\n';
  }
  apply(what: string, ns = SELF_NETNS): void {
    const text = this.text();
    if (text === undefined) return;
    const r = inNetns(ns, ['iptables-restore', '-w', '--noflush'], text);
    if (r.status !== 0) throw firewallError(`iptables-restore (${what})`, r.stderr.trim() || `exit ${r.status}`);
  }
}

/** CHAIN in TABLE made, or emptied, and filled with RULES. */
function writeChain(b: Batch, s: Saved, table: string, chain: string, rules: string[][]): void {
  b.add(table, ...(hasChain(s, table, chain) ? [`-F ${chain}`] : [`:${chain} - [0:0]`]), ...rules.map((r) => `-A ${chain} ${r.join(' ')}`));
}

/** CHAIN's jumps (every rule of TABLE that ends "-j CHAIN") and CHAIN itself removed. */
function dropChain(b: Batch, s: Saved, table: string, chain: string, flush = true): void {
  for (const rule of s.get(table) ?? []) if (rule.endsWith(` -j ${chain}`)) b.add(table, rule.replace(/^-A /, '-D '));
  if (hasChain(s, table, chain)) b.add(table, ...(flush ? [`-F ${chain}`] : []), `-X ${chain}`);
}

/** RULE (a "-A CHAIN ..." line as iptables-save prints it) added unless present; FIRST: at the top. */
function ensureRule(b: Batch, s: Saved, table: string, rule: string, first = false): void {
  if (!hasRule(s, table, rule)) b.add(table, first ? rule.replace(/^-A (\S+)/, '-I $1 1') : rule);
}

/** hx's chains and their jumps. */
function ensureBase(b: Batch, s: Saved): void {
  for (const [table, chain] of [['filter', FORWARD], ['nat', POSTROUTING], ['nat', DNAT]] as const) {
    if (!hasChain(s, table, chain)) b.add(table, `:${chain} - [0:0]`);
  }
  // first in FORWARD: a host policy or rule that drops forwarded traffic would hide the networks
  for (const [table, chain, rule] of JUMPS) ensureRule(b, s, table, `-A ${chain} ${rule.join(' ')}`, table === 'filter');
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
 * could not answer 127.0.0.1; firewall.ts lets BRIDGE route them).
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
  const s = saved();
  const b = new Batch();
  ensureBase(b, s);
  writeChain(b, s, 'filter', chain, rules);
  writeChain(b, s, 'nat', chain, internal ? [] : [['-s', subnet, '!', '-o', bridge, '-j', 'MASQUERADE'], ['-o', bridge, '-m', 'addrtype', '--src-type', 'LOCAL', '-j', 'MASQUERADE']]);
  ensureRule(b, s, 'filter', `-A ${FORWARD} -i ${bridge} -j ${chain}`);
  ensureRule(b, s, 'filter', `-A ${FORWARD} -o ${bridge} -j ${chain}`);
  ensureRule(b, s, 'nat', `-A ${POSTROUTING} -j ${chain}`);
  b.apply(`the rules of ${bridge}`);
}

/** What removes BRIDGES' rules (their last container stopped, or the networks removed); with
 * TOP, hx's own chains and jumps too (no network in use; routing is left on, as docker leaves
 * it), unless another store's networks or ports still have chains here. One iptables-restore
 * input, for net/teardown.ts to run. */
export function networksRemoval(bridges: readonly string[], asked: boolean): string | undefined {
  const s = saved();
  const ours = new Set(bridges.map(networkChain));
  const others = [...(s.get('filter') ?? []), ...(s.get('nat') ?? [])].some((l) => /^:HX[NC]-/.test(l) && !ours.has(l.slice(1)));
  const top = asked && !others;
  const b = new Batch();
  const tops = [['filter', FORWARD], ['nat', POSTROUTING], ['nat', DNAT]] as const;
  // with the top chains going, they are flushed first, which takes the networks' jumps: a rule
  // deleted twice in one nf_tables transaction leaves its chain "busy"
  if (top) for (const [table, chain] of tops) if (hasChain(s, table, chain)) b.add(table, `-F ${chain}`);
  for (const chain of bridges.map(networkChain)) {
    for (const table of ['filter', 'nat']) {
      if (!top) dropChain(b, s, table, chain);
      else if (hasChain(s, table, chain)) b.add(table, `-F ${chain}`, `-X ${chain}`);
    }
  }
  if (top) for (const [table, chain] of tops) dropChain(b, s, table, chain, false);
  return b.text();
}

/** A container's published ports: DNAT from the host's addresses to IP (its address on BRIDGE). */
export function publishPorts(containerId: string, forwards: readonly PortForward[], ip: string, bridge: string): void {
  const chain = containerChain(containerId);
  const rules = forwards.map((f) => {
    // not from the bridge itself: a container reaching the host's port directly is the host's business
    return ['-p', f.proto, ...(f.hostIp ? ['-d', f.hostIp] : []), '!', '-i', bridge, '--dport', String(f.hostPort), '-j', 'DNAT', '--to-destination', `${ip}:${f.containerPort}`];
  });
  const s = saved();
  const b = new Batch();
  writeChain(b, s, 'nat', chain, rules);
  ensureRule(b, s, 'nat', `-A ${DNAT} -j ${chain}`);
  b.apply(`the published ports of ${containerId.slice(0, 12)}`);
}

export function unpublishPorts(containerId: string): void {
  const s = saved();
  const b = new Batch();
  dropChain(b, s, 'nat', containerChain(containerId));
  b.apply(`the published ports of ${containerId.slice(0, 12)}`);
}

/** RULES (table, "-A CHAIN ..." as iptables-save prints it) in the namespace NS where they are
 * missing, with POLICIES (table, built-in chain, policy), in one iptables-restore. */
function ensureRules(ns: string, rules: readonly (readonly [string, string])[], policies: readonly (readonly [string, string, string])[] = []): void {
  const s = saved(ns);
  const b = new Batch();
  for (const [table, chain, policy] of policies) b.add(table, `:${chain} ${policy} [0:0]`);
  for (const [table, rule] of rules) ensureRule(b, s, table, rule);
  b.apply("hx's network namespace", ns);
}

/** RULES (as for ensureRules) gone from NS where present. */
function removeRules(ns: string, rules: readonly (readonly [string, string])[]): void {
  const s = saved(ns);
  const b = new Batch();
  for (const [table, rule] of rules) if (hasRule(s, table, rule)) b.add(table, rule.replace(/^-A /, '-D '));
  b.apply("hx's network namespace", ns);
}

// The rootless plane's held namespace (outbound.ts): FORWARD drops but answers and what a
// bridge allows; out through OUT masqueraded.

export function heldBase(ns: string, out: string): void {
  ensureRules(ns, [['filter', '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'], ['nat', `-A POSTROUTING -o ${out} -j MASQUERADE`]], [['filter', 'FORWARD', 'DROP']]);
}

/** BRIDGE's containers reach each other (the host has br_netfilter: bridged frames pass FORWARD
 * too), and out through OUT unless INTERNAL. */
function heldBridgeRules(bridge: string, out: string, internal: boolean): [string, string][] {
  return [['filter', `-A FORWARD -i ${bridge} -o ${bridge} -j ACCEPT`], ...(internal ? [] : [['filter', `-A FORWARD -i ${bridge} -o ${out} -j ACCEPT`] as [string, string]])];
}

export function heldAllowBridge(ns: string, bridge: string, out: string, internal: boolean): void {
  ensureRules(ns, heldBridgeRules(bridge, out, internal));
}

export function heldDropBridge(ns: string, bridge: string, out: string): void {
  removeRules(ns, heldBridgeRules(bridge, out, false));
}
