// Bridges and veth pairs through iproute2 (`ip -batch`: one process per namespace per
// change, measured against netlink through koffi in bench/RESULTS.md). A network's bridge
// carries its gateway address; a container endpoint is a veth pair whose host end is on the
// bridge and whose other end is moved straight into the container's namespace as ethN.
import { readFileSync } from 'node:fs';
import { HxError } from '../errors.js';
import { inNetns, SELF_NETNS } from './netns.js';

function batch(nsPath: string, lines: string[], what: string): void {
  const r = inNetns(nsPath, ['ip', '-batch', '-'], lines.join('\n') + '\n');
  if (r.status !== 0) throw new HxError(`${what}: ${r.stderr.trim() || `ip exited ${r.status}`}`, { kind: 'unavailable', hint: 'HX_DEBUG=1 shows the commands; hx network ls and inspect show the networks' });
}

/** The names of the links in NSPATH. A namespace a process is in (hx's own, a container's)
 * is read from /proc/PID/net/dev: no process to start (an `ip` costs ~4 ms, and a setup asks
 * three times); a held namespace, which no process of ours is in, through `ip`. */
export function linkNames(nsPath: string): string[] {
  const pid = nsPath === SELF_NETNS ? 'self' : /^\/proc\/(\d+)\/ns\/net$/.exec(nsPath)?.[1];
  if (pid !== undefined) {
    try {
      return readFileSync(`/proc/${pid}/net/dev`, 'utf8')
        .split('\n')
        .slice(2)
        .map((l) => l.split(':')[0]!.trim())
        .filter(Boolean);
    } catch {
      /* not readable here: ask ip */
    }
  }
  const r = inNetns(nsPath, ['ip', '-o', 'link', 'show']);
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

/** NAME with GATEWAY/PREFIX and MAC, up (nothing when it is there). The MAC is set: a bridge
 * without one takes the lowest of its ports', so unplugging a container would change the
 * gateway's MAC under the others' ARP caches (their DNS then times out until they re-ARP). */
export function ensureBridge(nsPath: string, name: string, gateway: string, prefix: number, mac: string, links = linkNames(nsPath)): void {
  if (links.includes(name)) return;
  batch(nsPath, [`link add ${name} address ${mac} type bridge`, `addr add ${gateway}/${prefix} dev ${name}`, `link set ${name} up`], `bridge ${name}`);
}

export function removeLink(nsPath: string, name: string): void {
  inNetns(nsPath, ['ip', 'link', 'del', name]);
}

export interface VethEndpoint {
  bridge: string;
  /** The end left on the bridge (15 characters at most). */
  hostVeth: string;
  /** The container's end: eth0, eth1... */
  ifname: string;
  ip: string;
  prefixLength: number;
  mac: string;
  gateway: string;
  /** The first network's gateway is the container's default route. */
  defaultRoute: boolean;
}

/** A veth pair from the bridge in PLANE into the namespace of PID, configured. */
export function plugVeth(plane: string, pid: number, e: VethEndpoint): void {
  const target = `/proc/${pid}/ns/net`;
  batch(plane, [`link add ${e.hostVeth} type veth peer name ${e.ifname} netns ${target}`, `link set ${e.hostVeth} master ${e.bridge} up`], `veth ${e.hostVeth}`);
  try {
    batch(target, [`link set ${e.ifname} address ${e.mac}`, `addr add ${e.ip}/${e.prefixLength} dev ${e.ifname}`, `link set ${e.ifname} up`, ...(e.defaultRoute ? [`route add default via ${e.gateway} dev ${e.ifname}`] : [])], `${e.ifname} of the container`);
  } catch (err) {
    removeLink(plane, e.hostVeth);
    throw err;
  }
}

/** The bridge of a network (IFNAMSIZ: 15 characters). */
export function bridgeName(networkId: string): string {
  return `hxbr-${networkId.slice(0, 8)}`;
}

/** The host end of an endpoint's veth pair. */
export function hostVethName(endpointId: string): string {
  return `hxv${endpointId.slice(0, 11)}`;
}
