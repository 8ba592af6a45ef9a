// The nftables backend of net/firewall.ts, for hosts with nft and no iptables: the same rules as
// firewall-iptables.ts in a table of hx's own, `ip hx`, so nothing of the host's is touched and
// the last network's removal is one `delete table`. A network or container has chains of its
// own; the base chains only dispatch to them, and are written whole at every change from the
// chains the table has (read with `nft -j list table`), so a change is one read and one
// `nft -f -` transaction (all of it or nothing), as with iptables-restore.
//
//   forward     (filter hook)          -> HXN-<net>      (-i BR / -o BR)
//   postrouting (nat hook, srcnat)     -> HXN-<net>-nat  (masquerade out; loopback clients in)
//   prerouting, output (fib daddr type local) -> ports -> HXC-<container> (published ports)
//
// One difference from iptables: an nft accept ends only its own chain's verdict, so a host
// whose other tables drop forwarded traffic still drops it (hx prefers iptables where it is).
import { HxError } from '../errors.js';
import { findInPath } from '../host/which.js';
import { inNetns, SELF_NETNS } from './netns.js';
import type { PortForward } from './types.js';

const TABLE = 'ip hx';

function nftBinary(): string {
  return findInPath('nft') ?? 'nft';
}

function nftError(what: string, why: string): HxError {
  return new HxError(`${what}: ${why}`, { kind: 'unavailable', hint: 'networks need nft (apt-get install nftables) or iptables, and the nf_tables kernel module; or run with --network none or host' });
}

/** What the teardown runs with the removal's text on its stdin. */
export function restoreCommand(): string[] {
  return [nftBinary(), '-f', '-'];
}

/** The chains of hx's table in NS (none: no table). */
function chains(ns = SELF_NETNS): Set<string> {
  const r = inNetns(ns, [nftBinary(), '-j', 'list', 'table', 'ip', 'hx']);
  if (r.status !== 0) {
    if (/No such file or directory/.test(r.stderr)) return new Set();
    throw nftError('nft list table ip hx', r.stderr.trim() || `exit ${r.status}`);
  }
  const out = new Set<string>();
  try {
    const doc = JSON.parse(r.stdout) as { nftables?: { chain?: { name?: string } }[] };
    for (const e of doc.nftables ?? []) if (e.chain?.name) out.add(e.chain.name);
  } catch {
    throw nftError('nft list table ip hx', `unreadable output ${JSON.stringify(r.stdout.slice(0, 80))}`);
  }
  return out;
}

/** One nft transaction. */
class Tx {
  private readonly lines: string[] = [];
  add(...lines: string[]): void {
    this.lines.push(...lines);
  }
  text(): string | undefined {
    return this.lines.length ? `${this.lines.join('\n')}\n` : undefined;
  }
  apply(what: string, ns = SELF_NETNS): void {
    const text = this.text();
    if (text === undefined) return;
    const r = inNetns(ns, [nftBinary(), '-f', '-'], text);
    if (r.status !== 0) throw nftError(`nft (${what})`, r.stderr.trim() || `exit ${r.status}`);
  }
}

/** CHAIN made, or emptied, and filled with RULES. */
function writeChain(tx: Tx, chain: string, rules: readonly string[]): void {
  tx.add(`add chain ${TABLE} ${chain}`, `flush chain ${TABLE} ${chain}`, ...rules.map((r) => `add rule ${TABLE} ${chain} ${r}`));
}

function deleteChain(tx: Tx, have: ReadonlySet<string>, chain: string): void {
  if (have.has(chain)) tx.add(`flush chain ${TABLE} ${chain}`, `delete chain ${TABLE} ${chain}`);
}

export function networkChain(bridge: string): string {
  return `HXN-${bridge.replace(/^hxbr-/, '')}`;
}

function natChain(bridge: string): string {
  return `${networkChain(bridge)}-nat`;
}

function containerChain(containerId: string): string {
  return `HXC-${containerId.slice(0, 12)}`;
}

/** The bridges whose chains the table has. */
function bridgesOf(have: ReadonlySet<string>): string[] {
  return [...have].filter((c) => /^HXN-[^-]+$/.test(c)).map((c) => `hxbr-${c.slice(4)}`);
}

/** The base chains of the rootful table (made if missing; `add chain` of one that is there is a no-op). */
function base(tx: Tx, have: ReadonlySet<string>): void {
  tx.add(
    `add table ${TABLE}`,
    `add chain ${TABLE} forward { type filter hook forward priority filter; policy accept; }`,
    `add chain ${TABLE} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `add chain ${TABLE} prerouting { type nat hook prerouting priority dstnat; policy accept; }`,
    `add chain ${TABLE} output { type nat hook output priority -100; policy accept; }`,
    `add chain ${TABLE} ports`,
  );
  if (!have.has('prerouting')) tx.add(`add rule ${TABLE} prerouting fib daddr type local jump ports`, `add rule ${TABLE} output fib daddr type local jump ports`);
}

/** The dispatching base chains written whole for BRIDGES and CONTAINERCHAINS. */
function dispatch(tx: Tx, bridges: readonly string[], containerChains: readonly string[]): void {
  tx.add(`flush chain ${TABLE} forward`, `flush chain ${TABLE} postrouting`, `flush chain ${TABLE} ports`);
  for (const br of bridges) {
    tx.add(`add rule ${TABLE} forward iifname "${br}" jump ${networkChain(br)}`, `add rule ${TABLE} forward oifname "${br}" jump ${networkChain(br)}`, `add rule ${TABLE} postrouting jump ${natChain(br)}`);
  }
  for (const c of containerChains) tx.add(`add rule ${TABLE} ports jump ${c}`);
}

const containerChainsOf = (have: ReadonlySet<string>): string[] => [...have].filter((c) => c.startsWith('HXC-'));

/** BRIDGE's rules, as firewall-iptables.ts allowNetwork writes them. */
export function allowNetwork(bridge: string, subnet: string, internal: boolean): void {
  const q = `"${bridge}"`;
  const rules = [`iifname ${q} oifname ${q} accept`];
  if (internal) rules.push('drop');
  else rules.push(`iifname ${q} oifname "hxbr-*" drop`, `iifname ${q} accept`, `oifname ${q} ct state related,established accept`, `oifname ${q} ct status dnat accept`, `oifname ${q} drop`);
  const have = chains();
  const tx = new Tx();
  base(tx, have);
  writeChain(tx, networkChain(bridge), rules);
  writeChain(tx, natChain(bridge), internal ? [] : [`ip saddr ${subnet} oifname != ${q} masquerade`, `oifname ${q} fib saddr type local masquerade`]);
  dispatch(tx, [...new Set([...bridgesOf(have), bridge])], containerChainsOf(have));
  tx.apply(`the rules of ${bridge}`);
}

/** What removes BRIDGES' chains; with TOP, the whole table (no network in use), unless another
 * store's networks or ports still have chains in it. */
export function networksRemoval(bridges: readonly string[], top: boolean): string | undefined {
  const have = chains();
  if (!have.size) return undefined;
  const tx = new Tx();
  const ours = new Set(bridges.flatMap((b) => [networkChain(b), natChain(b)]));
  if (top && ![...have].some((c) => /^HX[NC]-/.test(c) && !ours.has(c))) {
    tx.add(`delete table ${TABLE}`);
    return tx.text();
  }
  const gone = new Set(bridges);
  if (!bridges.some((b) => have.has(networkChain(b)))) return undefined;
  dispatch(tx, bridgesOf(have).filter((b) => !gone.has(b)), containerChainsOf(have));
  for (const b of bridges) {
    deleteChain(tx, have, networkChain(b));
    deleteChain(tx, have, natChain(b));
  }
  return tx.text();
}

export function publishPorts(containerId: string, forwards: readonly PortForward[], ip: string, bridge: string): void {
  const chain = containerChain(containerId);
  const rules = forwards.map((f) => {
    return `iifname != "${bridge}" ${f.hostIp ? `ip daddr ${f.hostIp} ` : ''}${f.proto} dport ${f.hostPort} dnat to ${ip}:${f.containerPort}`;
  });
  const have = chains();
  const tx = new Tx();
  base(tx, have);
  writeChain(tx, chain, rules);
  dispatch(tx, bridgesOf(have), [...new Set([...containerChainsOf(have), chain])]);
  tx.apply(`the published ports of ${containerId.slice(0, 12)}`);
}

export function unpublishPorts(containerId: string): void {
  const chain = containerChain(containerId);
  const have = chains();
  if (!have.has(chain)) return;
  const tx = new Tx();
  dispatch(tx, bridgesOf(have), containerChainsOf(have).filter((c) => c !== chain));
  deleteChain(tx, have, chain);
  tx.apply(`the published ports of ${containerId.slice(0, 12)}`);
}

// The rootless plane's held namespace: forward drops but answers and what a bridge allows
// (a chain HXB-<net> per bridge); out through OUT masqueraded.

function heldChain(bridge: string): string {
  return `HXB-${bridge.replace(/^hxbr-/, '')}`;
}

function heldDispatch(tx: Tx, bridges: readonly string[]): void {
  tx.add(`flush chain ${TABLE} forward`, `add rule ${TABLE} forward ct state related,established accept`);
  for (const br of bridges) tx.add(`add rule ${TABLE} forward iifname "${br}" jump ${heldChain(br)}`);
}

const heldBridgesOf = (have: ReadonlySet<string>): string[] => [...have].filter((c) => c.startsWith('HXB-')).map((c) => `hxbr-${c.slice(4)}`);

export function heldBase(ns: string, out: string): void {
  const have = chains(ns);
  const tx = new Tx();
  tx.add(`add table ${TABLE}`, `add chain ${TABLE} forward { type filter hook forward priority filter; policy drop; }`, `add chain ${TABLE} postrouting { type nat hook postrouting priority srcnat; policy accept; }`);
  tx.add(`flush chain ${TABLE} postrouting`, `add rule ${TABLE} postrouting oifname "${out}" masquerade`);
  heldDispatch(tx, heldBridgesOf(have));
  tx.apply("hx's network namespace", ns);
}

export function heldAllowBridge(ns: string, bridge: string, out: string, internal: boolean): void {
  const have = chains(ns);
  const tx = new Tx();
  writeChain(tx, heldChain(bridge), [`oifname "${bridge}" accept`, ...(internal ? [] : [`oifname "${out}" accept`])]);
  heldDispatch(tx, [...new Set([...heldBridgesOf(have), bridge])]);
  tx.apply("hx's network namespace", ns);
}

export function heldDropBridge(ns: string, bridge: string, _out: string): void {
  const have = chains(ns);
  if (!have.has(heldChain(bridge))) return;
  const tx = new Tx();
  heldDispatch(tx, heldBridgesOf(have).filter((b) => b !== bridge));
  deleteChain(tx, have, heldChain(bridge));
  tx.apply("hx's network namespace", ns);
}
