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
import { firewall } from './firewall.js';
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
  /** What unplugs left to undo, in one change (HOLD: the plane lock's descriptor, which a
   * deferred teardown inherits: net/teardown.ts). NS: the current namespace (undefined: released). */
  change(ns: string | undefined, c: PlaneChange, hold?: number): void;
  /** Where a network's DNS responder forwards the names it does not know. */
  upstreams(internal: boolean): string[];
}

export interface PlaneChange {
  /** Host ends of veths whose container left a bridge (a live one keeps its end otherwise). */
  veths: readonly string[];
  /** Networks with no running container any more (rootful: their bridges and rules go). */
  idle: readonly string[];
  /** Networks removed (network rm): their bridges and rules go. */
  removed: readonly string[];
  /** No network is used: these are every network the plane has had, and all of it goes. */
  release?: readonly string[] | undefined;
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
    change(ns, c) {
      if (c.release) {
        // the veths and bridges go with the namespace
        stopOutbound(dir);
        releaseHeldNetns(dir);
        return;
      }
      if (!ns) return;
      for (const v of c.veths) removeLink(ns, v);
      // an idle bridge stays until the namespace is released
      for (const id of c.removed) {
        removeLink(ns, bridgeName(id));
        dropBridge(ns, bridgeName(id));
      }
    },
    // pasta's forwarder in the held namespace
    upstreams: (internal) => (internal ? [] : [HELPER_ADDRESSES.dns]),
  };
}

function rootfulPlane(dir: string): NetworkPlane {
  return {
    dir,
    rootful: true,
    // hx's chains come with the first network's rules (allow)
    open: async () => SELF_NETNS,
    current: () => SELF_NETNS,
    allow(_ns, bridge, subnet, internal) {
      firewall().allowNetwork(bridge, subnet, internal);
    },
    // a bridge's deletion leaves its ports: a running container's veth goes by name
    change(_ns, c, hold) {
      const ids = c.release ?? [...c.idle, ...c.removed];
      tearDown({ bridges: ids.map(bridgeName), top: c.release !== undefined, links: [...c.veths] }, dir, hold);
    },
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
