// Which firewall the networks' rules go through: iptables (firewall-iptables.ts) where the host
// has it, else nft (firewall-nft.ts), else iptables again so the error names what to install.
// iptables first: its rules sit in the host's own chains, where the host's drops cannot
// override hx's accepts (an nft table of hx's own can be overridden), and Debian's is
// iptables-nft anyway. HX_FIREWALL=iptables|nftables picks one (as netavark's
// firewall_driver); the choice must stay the same while networks are in use.
import { writeFileSync } from 'node:fs';
import { HxError } from '../errors.js';
import { findInPath } from '../host/which.js';
import * as iptables from './firewall-iptables.js';
import * as nft from './firewall-nft.js';
import type { PortForward } from './types.js';

export interface Firewall {
  readonly name: 'iptables' | 'nftables';
  /** A rootful network's bridge routed, isolated from the others, masqueraded unless internal. */
  allowNetwork(bridge: string, subnet: string, internal: boolean): void;
  /** The text that removes BRIDGES' rules (TOP: all of hx's), for net/teardown.ts. */
  networksRemoval(bridges: readonly string[], top: boolean): string | undefined;
  /** The command the removal text is piped to. */
  restoreCommand(): string[];
  /** FORWARDS on IPv4 host addresses DNATed to IP on BRIDGE (IPv6 ones are relayed: net/portrelay.ts). */
  publishPorts(containerId: string, forwards: readonly PortForward[], ip: string, bridge: string): void;
  unpublishPorts(containerId: string): void;
  /** The rootless held namespace NS: forwarding dropped but answers; out through OUT masqueraded. */
  heldBase(ns: string, out: string): void;
  heldAllowBridge(ns: string, bridge: string, out: string, internal: boolean): void;
  heldDropBridge(ns: string, bridge: string, out: string): void;
}

/** What both backends need of the host around a network's rules: routing on, and BRIDGE
 * routing loopback sources (the loopback clients of a published port, masqueraded to it). */
function withSysctls(allow: Firewall['allowNetwork']): Firewall['allowNetwork'] {
  return (bridge, subnet, internal) => {
    try {
      writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    } catch (e) {
      throw new HxError(`cannot enable IPv4 forwarding: ${(e as Error).message}`, { kind: 'permission', hint: 'rootful networks need root in the network namespace hx runs in' });
    }
    allow(bridge, subnet, internal);
    if (internal) return;
    try {
      writeFileSync(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, '1');
    } catch {
      /* without it only loopback clients of published ports fail; the rest works */
    }
  };
}

const IPTABLES: Firewall = { name: 'iptables', ...iptables, allowNetwork: withSysctls(iptables.allowNetwork), restoreCommand: () => [...iptables.RESTORE] };
const NFTABLES: Firewall = { name: 'nftables', ...nft, allowNetwork: withSysctls(nft.allowNetwork) };

let chosen: Firewall | undefined;

export function firewall(): Firewall {
  if (chosen) return chosen;
  const asked = process.env.HX_FIREWALL;
  if (asked === 'iptables') chosen = IPTABLES;
  else if (asked === 'nftables' || asked === 'nft') chosen = NFTABLES;
  else if (asked) throw new HxError(`HX_FIREWALL=${asked}: not a firewall hx knows`, { kind: 'invalid-argument', hint: 'set HX_FIREWALL to iptables or nftables, or unset it to detect one' });
  else chosen = findInPath('iptables-restore') || !findInPath('nft') ? IPTABLES : NFTABLES;
  return chosen;
}
