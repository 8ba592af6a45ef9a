// Where the bridges of user networks live, and how they reach the outside. Rootless: a
// network namespace hx holds (netns.ts), given outbound access by one pasta (outbound.ts),
// released with everything in it when no network is used. Rootful: hx's own namespace (the
// host's, or the one hx was started in with `ip netns exec`), routed and masqueraded by
// iptables chains of hx's own (firewall.ts); there a network's bridge and rules are removed
// as soon as it has no running container, since nothing else takes them away.
import { readFileSync } from 'node:fs';
import { bridgeName, removeLink } from './bridge.js';
import { parseResolv } from './etc-files.js';
import { allowNetwork, dropNetwork, ensureFirewall, releaseFirewall } from './firewall.js';
import { ensureHeldNetns, isMounted, netnsPath, releaseHeldNetns, SELF_NETNS } from './netns.js';
import { allowBridged, allowEgress, dropEgress, ensureOutbound, stopOutbound } from './outbound.js';
import { HELPER_ADDRESSES } from './types.js';

export interface NetworkPlane {
  /** RUNTIME/networks: the lock, a directory per network. */
  readonly dir: string;
  readonly rootful: boolean;
  /** The namespace of the bridges, made ready for traffic (call under the plane lock). */
  open(): Promise<string>;
  /** The namespace of the bridges if it is there (undefined: released). */
  current(): string | undefined;
  /** BRIDGE (of SUBNET) routed as its network says. */
  allow(ns: string, bridge: string, subnet: string, internal: boolean): void;
  /** NETWORKID's bridge has no running container any more (rootful: bridge and rules go). */
  idle(ns: string, networkId: string): void;
  /** NETWORKID removed: its bridge and rules gone. */
  drop(ns: string, networkId: string): void;
  /** No network is used. */
  release(): void;
  /** Where a network's DNS responder forwards the names it does not know. */
  upstreams(internal: boolean): string[];
}

function rootlessPlane(dir: string): NetworkPlane {
  return {
    dir,
    rootful: false,
    async open() {
      const ns = ensureHeldNetns(dir);
      await ensureOutbound(dir, ns);
      return ns;
    },
    current() {
      const ns = netnsPath(dir);
      return isMounted(ns) ? ns : undefined;
    },
    allow(ns, bridge, _subnet, internal) {
      allowBridged(ns, bridge);
      if (!internal) allowEgress(ns, bridge);
    },
    idle() {
      /* the bridge stays until the namespace is released */
    },
    drop(ns, networkId) {
      removeLink(ns, bridgeName(networkId));
      dropEgress(ns, bridgeName(networkId));
    },
    release() {
      stopOutbound(dir);
      releaseHeldNetns(dir);
    },
    // pasta's forwarder in the held namespace
    upstreams: (internal) => (internal ? [] : [HELPER_ADDRESSES.dns]),
  };
}

function rootfulPlane(dir: string): NetworkPlane {
  const drop = (ns: string, networkId: string): void => {
    removeLink(ns, bridgeName(networkId));
    dropNetwork(bridgeName(networkId));
  };
  return {
    dir,
    rootful: true,
    async open() {
      ensureFirewall();
      return SELF_NETNS;
    },
    current: () => SELF_NETNS,
    allow(_ns, bridge, subnet, internal) {
      allowNetwork(bridge, subnet, internal);
    },
    idle: drop,
    drop,
    release: releaseFirewall,
    // the host's resolvers: the responder runs in the host's namespace, a stub on 127.0.0.53 included
    upstreams(internal) {
      if (internal) return [];
      try {
        return parseResolv(readFileSync('/etc/resolv.conf', 'utf8')).nameservers.filter((s) => !s.includes(':'));
      } catch {
        return [];
      }
    },
  };
}

export function networkPlane(dir: string, rootful: boolean): NetworkPlane {
  return rootful ? rootfulPlane(dir) : rootlessPlane(dir);
}
