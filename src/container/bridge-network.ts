// A container's endpoints on user networks around its start: plugged between the clone
// and the go-ahead (a veth per network into /proc/PID/ns/net, its names given to the
// network's DNS responder), unplugged when it stops, and plugged or unplugged live by
// `network connect|disconnect`. All under RUNTIME/networks/plane.lock; the held namespace
// is made with the first running container and released with the last. What the container
// is on is kept in containers/<id>/bridge.json for the stop (and the sweep after a crash).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HxError } from '../errors.js';
import { readProcStat } from '../host/procstat.js';
import { macFor, parseIPv4 } from '../net/ipam.js';
import { bridgeName, ensureBridge, hostVethName, linkNames, plugVeth, removeLink } from '../net/bridge.js';
import { dropEntry, ensureResponder, liveEntries, networkRunDir, putEntry, readEntries, stopResponder, writeNames } from '../net/dns.js';
import { ensureHeldNetns, isMounted, netnsPath, releaseHeldNetns } from '../net/netns.js';
import { allowBridged, allowEgress, dropEgress, ensureOutbound, stopOutbound } from '../net/outbound.js';
import { HELPER_ADDRESSES, type NetworkEndpoint } from '../net/types.js';
import { withLock } from '../store/lock.js';

export const BRIDGE_RECORD = 'bridge.json';

export interface BridgePlan {
  /** RUNTIME/networks */
  plane: string;
  containerId: string;
  /** The container's name and short ID (every endpoint's aliases are added). */
  names: string[];
  endpoints: NetworkEndpoint[];
  /** The container's --dns, the upstreams its network's hx-dns forwards to for it. */
  dns?: string[];
}

interface BridgeRecord {
  plane: string;
  containerId: string;
  networks: string[];
}

function withPlane<T>(plane: string, body: () => Promise<T> | T): Promise<T> {
  mkdirSync(plane, { recursive: true, mode: 0o700 });
  return withLock(join(plane, 'plane.lock'), body);
}

function readRecord(dir: string): BridgeRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, BRIDGE_RECORD), 'utf8')) as BridgeRecord;
  } catch {
    return undefined;
  }
}

function writeRecord(dir: string, rec: BridgeRecord): void {
  writeFileSync(join(dir, BRIDGE_RECORD), JSON.stringify(rec), { mode: 0o600 });
}

/** The first free ethN in the container's namespace. */
function freeIfname(pid: number): string {
  const taken = new Set(linkNames(`/proc/${pid}/ns/net`));
  for (let i = 0; ; i++) if (!taken.has(`eth${i}`)) return `eth${i}`;
}

async function plugOne(ns: string, plan: BridgePlan, e: NetworkEndpoint, pid: number, defaultRoute: boolean): Promise<void> {
  const pidStart = readProcStat(pid)?.startTime;
  if (pidStart === undefined) throw new HxError(`container process ${pid} is gone`, { kind: 'start-failed', hint: 'hx logs shows what it printed' });
  const bridge = bridgeName(e.networkId);
  ensureBridge(ns, bridge, e.gateway, e.prefixLength, macFor(parseIPv4(e.gateway) ?? 0));
  allowBridged(ns, bridge);
  if (!e.internal) allowEgress(ns, bridge);
  const hostVeth = hostVethName(e.endpointId);
  if (linkNames(ns).includes(hostVeth)) removeLink(ns, hostVeth); // a dead start's
  plugVeth(ns, pid, { bridge, hostVeth, ifname: freeIfname(pid), ip: e.ip, prefixLength: e.prefixLength, mac: e.mac, gateway: e.gateway, defaultRoute: defaultRoute && !e.internal });
  const netDir = networkRunDir(plan.plane, e.networkId);
  // the container's --dns travel in its entry; the default upstream is pasta's forwarder (none on an --internal network)
  putEntry(netDir, { containerId: plan.containerId, pid, pidStart, ip: e.ip, names: [...new Set([...plan.names, ...e.aliases])], hostVeth, ...(plan.dns?.length ? { dns: plan.dns } : {}) });
  writeNames(netDir, liveEntries(netDir));
  await ensureResponder(ns, netDir, e.gateway, e.internal ? [] : [HELPER_ADDRESSES.dns]);
}

/** Unplug CONTAINERID from NETWORKID (call under the plane lock); the responder stops with its last name. */
function unplugOne(plane: string, networkId: string, containerId: string): void {
  const netDir = networkRunDir(plane, networkId);
  const entry = readEntries(netDir).find((e) => e.containerId === containerId);
  dropEntry(netDir, containerId);
  const ns = netnsPath(plane);
  if (entry && isMounted(ns)) removeLink(ns, entry.hostVeth);
  const live = liveEntries(netDir);
  if (live.length) writeNames(netDir, live);
  else stopResponder(netDir);
}

/** No running container on any user network: the responders stopped, the namespace released. */
function releaseIfUnused(plane: string): void {
  let dirs: string[];
  try {
    dirs = readdirSync(plane).filter((d) => /^[a-f0-9]{64}$/.test(d));
  } catch {
    return;
  }
  for (const d of dirs) if (liveEntries(join(plane, d)).length) return;
  for (const d of dirs) {
    stopResponder(join(plane, d));
    rmSync(join(plane, d), { recursive: true, force: true });
  }
  stopOutbound(plane);
  releaseHeldNetns(plane);
}

/** Plug every endpoint of PLAN into the namespace of PID (before its go-ahead). */
export async function attachBridge(dir: string, plan: BridgePlan, pid: number): Promise<void> {
  await withPlane(plan.plane, async () => {
    const ns = ensureHeldNetns(plan.plane);
    const done: string[] = [];
    // the default route: through the first network that has outbound access
    const routed = plan.endpoints.find((e) => !e.internal);
    try {
      await ensureOutbound(plan.plane, ns);
      for (const e of plan.endpoints) {
        await plugOne(ns, plan, e, pid, e === routed);
        done.push(e.networkId);
      }
    } catch (err) {
      for (const id of done) unplugOne(plan.plane, id, plan.containerId);
      releaseIfUnused(plan.plane);
      throw err;
    }
    writeRecord(dir, { plane: plan.plane, containerId: plan.containerId, networks: done });
  });
}

/** A running container connected to one more network (`network connect`). */
export async function plugLive(dir: string, plan: BridgePlan, e: NetworkEndpoint, pid: number, defaultRoute: boolean): Promise<void> {
  await withPlane(plan.plane, async () => {
    const ns = ensureHeldNetns(plan.plane);
    await ensureOutbound(plan.plane, ns);
    await plugOne(ns, plan, e, pid, defaultRoute);
    const rec = readRecord(dir) ?? { plane: plan.plane, containerId: plan.containerId, networks: [] };
    writeRecord(dir, { ...rec, networks: [...new Set([...rec.networks, e.networkId])] });
  });
}

/** A running container off one network (`network disconnect`): its veth and names gone now. */
export async function unplugLive(dir: string, networkId: string): Promise<void> {
  const rec = readRecord(dir);
  if (!rec) return;
  await withPlane(rec.plane, () => {
    unplugOne(rec.plane, networkId, rec.containerId);
    writeRecord(dir, { ...rec, networks: rec.networks.filter((n) => n !== networkId) });
    releaseIfUnused(rec.plane);
  });
}

/** The container stopped: its names withdrawn, and the plane released if it was the last. */
export async function detachBridge(dir: string): Promise<void> {
  const rec = readRecord(dir);
  if (!rec) return;
  await withPlane(rec.plane, () => detachLocked(dir, rec));
}

function detachLocked(dir: string, rec: BridgeRecord): void {
  for (const n of rec.networks) unplugOne(rec.plane, n, rec.containerId);
  releaseIfUnused(rec.plane);
  rmSync(join(dir, BRIDGE_RECORD), { force: true });
}

/** The sweep's detach of a container whose owner died (synchronous, without the plane lock:
 * the dead owner cannot hold it, and every step tolerates a concurrent one). */
export function sweepBridgeOf(dir: string): void {
  if (!existsSync(join(dir, BRIDGE_RECORD))) return;
  const rec = readRecord(dir);
  if (rec) detachLocked(dir, rec);
  else rmSync(join(dir, BRIDGE_RECORD), { force: true });
}

/** Remove NETWORKID's bridge and run dir (`network rm`; no container is on it). */
export async function removeBridgeOf(plane: string, networkId: string): Promise<void> {
  if (!existsSync(plane)) return;
  await withPlane(plane, () => {
    const netDir = networkRunDir(plane, networkId);
    stopResponder(netDir);
    rmSync(netDir, { recursive: true, force: true });
    const ns = netnsPath(plane);
    if (isMounted(ns)) {
      removeLink(ns, bridgeName(networkId));
      dropEgress(ns, bridgeName(networkId));
    }
    releaseIfUnused(plane);
  });
}
