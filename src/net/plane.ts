// Where the bridges of user networks live, and how they reach the outside. Rootless: a
// network namespace hx holds (netns.ts), given outbound access by one pasta (outbound.ts),
// released with everything in it when no network is used. Rootful: hx's own namespace (the
// host's, or the one hx was started in with `ip netns exec`), routed and masqueraded by
// iptables chains of hx's own (firewall.ts); there a network's bridge and rules are removed
// as soon as it has no running container, since nothing else takes them away (teardown.ts:
// after the command that stopped the container returns, under the plane lock).
import { readFileSync } from 'node:fs';
import { bridgeName, removeLink } from './bridge.js';
import { parseResolv } from './etc-files.js';
import { allowNetwork, networksRemoval } from './firewall.js';
import { ensureHeldNetns, isMounted, netnsPath, releaseHeldNetns, SELF_NETNS } from './netns.js';
import { allowBridge, dropBridge, ensureOutbound, stopOutbound } from './outbound.js';
import { tearDown } from './teardown.js';
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
  // HOLD: the plane lock's descriptor, which a deferred teardown inherits (net/teardown.ts)
  /** NETWORKIDS' bridges have no running container any more (rootful: bridges and rules go). */
  idle(ns: string, networkIds: readonly string[], hold?: number): void;
  /** NETWORKIDS removed: their bridges and rules gone. */
  drop(ns: string, networkIds: readonly string[], hold?: number): void;
  /** No network is used; NETWORKIDS are the ones the plane has had (their bridges and rules go). */
  release(networkIds: readonly string[], hold?: number): void;
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
      allowBridge(ns, bridge, internal);
    },
    idle() {
      /* the bridge stays until the namespace is released */
    },
    drop(ns, networkIds) {
      for (const id of networkIds) {
        removeLink(ns, bridgeName(id));
        dropBridge(ns, bridgeName(id));
      }
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
  const remove = (ids: readonly string[], top: boolean, hold?: number): void => {
    const bridges = ids.map(bridgeName);
    tearDown({ links: bridges, firewall: networksRemoval(bridges, top) }, dir, hold);
  };
  return {
    dir,
    rootful: true,
    // hx's chains come with the first network's rules (allow)
    open: async () => SELF_NETNS,
    current: () => SELF_NETNS,
    allow(_ns, bridge, subnet, internal) {
      allowNetwork(bridge, subnet, internal);
    },
    idle: (_ns, ids, hold) => remove(ids, false, hold),
    drop: (_ns, ids, hold) => remove(ids, false, hold),
    release: (ids, hold) => remove(ids, true, hold),
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
