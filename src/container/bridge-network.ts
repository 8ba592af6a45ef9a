// A container's endpoints on user networks around its start: plugged between the clone
// and the go-ahead (a veth per network into /proc/PID/ns/net, its names given to the
// network's DNS responder), unplugged when it stops, and plugged or unplugged live by
// `network connect|disconnect`. All under RUNTIME/networks/plane.lock; the held namespace
// is made with the first running container and released with the last. What the container
// is on is kept in containers/<id>/bridge.json for the stop (and the sweep after a crash).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HxError } from '../errors.js';
import { readProcStat } from '../host/procstat.js';
import { formatSubnet, macFor, parseIPv4 } from '../net/ipam.js';
import { bridgeName, ensureBridge, hostVethName, linkNames, plugVeth, removeLink } from '../net/bridge.js';
import { dropEntry, ensureResponder, liveEntries, networkRunDir, putEntry, readEntries, stopResponder, writeNames } from '../net/dns.js';
import { networkPlane, type NetworkPlane } from '../net/plane.js';
import { planeLockPath } from '../net/netns.js';
import { finishTeardown, teardownRecorded } from '../net/teardown.js';
import { firewall } from '../net/firewall.js';
import { inUse } from '../net/ports.js';
import { killPortRelay, onIPv6, startPortRelay, stopPortRelay, type RelayRecord } from '../net/portrelay.js';
import type { NetworkEndpoint, PortForward } from '../net/types.js';
import { FileLock, withLock } from '../store/lock.js';

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
  /** The bridges are in hx's own namespace, routed by iptables (root without a user namespace). */
  rootful?: boolean;
}

interface BridgeRecord {
  plane: string;
  containerId: string;
  networks: string[];
  rootful?: boolean;
  /** Rootful: the ports published by DNAT (the container's chain), and by the relay (IPv6 host addresses). */
  forwards?: PortForward[];
  relay?: RelayRecord;
}

function planeOf(p: { plane: string; rootful?: boolean | undefined }): NetworkPlane {
  return networkPlane(p.plane, p.rootful === true);
}

/** The subnet of an endpoint, as A.B.C.D/N. */
function subnetOf(e: NetworkEndpoint): string {
  const ip = parseIPv4(e.ip) ?? 0;
  const mask = e.prefixLength === 0 ? 0 : (0xffffffff << (32 - e.prefixLength)) >>> 0;
  return formatSubnet({ network: (ip & mask) >>> 0, prefix: e.prefixLength });
}

/** BODY under the plane lock (net/netns.ts planeLockPath), after what a killed deferred
 * teardown left is finished. */
function withPlane<T>(plane: string, rootful: boolean, body: (lock: FileLock) => Promise<T> | T): Promise<T> {
  mkdirSync(plane, { recursive: true, mode: 0o700 });
  return withLock(planeLockPath(plane, rootful), (lock) => {
    finishTeardown(plane);
    return body(lock);
  });
}

/** The sweep every rootful command runs: a deferred teardown that was killed is finished now
 * when the plane lock is free (the other holder finishes it otherwise). */
export function sweepTeardown(plane: string): void {
  if (!teardownRecorded(plane)) return;
  const lock = new FileLock(planeLockPath(plane, true));
  if (!lock.tryAcquire()) return;
  try {
    finishTeardown(plane);
  } finally {
    lock.release();
  }
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

async function plugOne(plane: NetworkPlane, ns: string, plan: BridgePlan, e: NetworkEndpoint, pid: number, defaultRoute: boolean): Promise<void> {
  const pidStart = readProcStat(pid)?.startTime;
  if (pidStart === undefined) throw new HxError(`container process ${pid} is gone`, { kind: 'start-failed', hint: 'hx logs shows what it printed' });
  const bridge = bridgeName(e.networkId);
  // the run dir first: a setup killed after the bridge is made leaves the network known to
  // the next change, which tears it down
  const netDir = networkRunDir(plan.plane, e.networkId);
  mkdirSync(netDir, { recursive: true, mode: 0o700 });
  const links = linkNames(ns);
  ensureBridge(ns, bridge, e.gateway, e.prefixLength, macFor(parseIPv4(e.gateway) ?? 0), links);
  plane.allow(ns, bridge, subnetOf(e), e.internal === true);
  const hostVeth = hostVethName(e.endpointId);
  if (links.includes(hostVeth)) removeLink(ns, hostVeth); // a dead start's
  plugVeth(ns, pid, { bridge, hostVeth, ifname: freeIfname(pid), ip: e.ip, prefixLength: e.prefixLength, mac: e.mac, gateway: e.gateway, defaultRoute: defaultRoute && !e.internal });
  // the container's --dns travel in its entry; the default upstreams are the plane's (none on an --internal network)
  putEntry(netDir, { containerId: plan.containerId, pid, pidStart, ip: e.ip, names: [...new Set([...plan.names, ...e.aliases])], hostVeth, ...(plan.dns?.length ? { dns: plan.dns } : {}) });
  if (e.noDns) return; // docker's default bridge: no names, the host's resolvers
  writeNames(netDir, liveEntries(netDir));
  await ensureResponder(ns, netDir, e.gateway, plane.upstreams(e.internal === true));
}

/** A container taken off a network, or (removed) a network removed. */
interface Unplugged {
  networkId: string;
  /** Its veth's end on the bridge. */
  hostVeth?: string | undefined;
  /** No container is left on the network. */
  emptied: boolean;
  /** The network itself is removed (network rm). */
  removed?: boolean;
  /** The container keeps running (network disconnect): its veth must go by name. */
  live?: boolean;
}

/** Take CONTAINERID off NETWORKID's names (call under the plane lock, then settle); the
 * responder stops with the last name. */
function unplugOne(plane: NetworkPlane, networkId: string, containerId: string): Unplugged {
  const netDir = networkRunDir(plane.dir, networkId);
  const entry = readEntries(netDir).find((e) => e.containerId === containerId);
  dropEntry(netDir, containerId);
  const live = liveEntries(netDir);
  if (live.length) {
    if (existsSync(join(netDir, 'names'))) writeNames(netDir, live);
  } else stopResponder(netDir);
  return { networkId, hostVeth: entry?.hostVeth, emptied: live.length === 0 };
}

/**
 * After unplugs (call under the plane lock; LOCK: that lock, which a deferred teardown
 * inherits): with no running container on any network, the responders stopped and the plane
 * released, in one change; otherwise the veths of the unplugged containers removed, and the
 * emptied networks idled (rootful: their bridges and rules go). A bridge's deletion leaves the
 * veths on it, so a live unplug's veth is always named. A stopped container's dies with its
 * namespace (the kernel's cleanup runs later, and deleting it first cost an RCU grace period,
 * 17-24 ms, in every rootful stop's teardown), so it is named only where its bridge stays: a
 * container:NAME sharer keeps the namespace, and with it the veth on that bridge.
 */
function settle(plane: NetworkPlane, unplugged: readonly Unplugged[], lock?: FileLock): void {
  let dirs: string[];
  try {
    dirs = readdirSync(plane.dir).filter((d) => /^[a-f0-9]{64}$/.test(d));
  } catch {
    dirs = [];
  }
  const hold = lock?.descriptor;
  const veths = unplugged.filter((u) => u.hostVeth && (u.live || !plane.rootful || !u.emptied)).map((u) => u.hostVeth!);
  const unused = dirs.filter((d) => !liveEntries(join(plane.dir, d)).length);
  if (unused.length === dirs.length) {
    for (const d of dirs) {
      stopResponder(join(plane.dir, d));
      rmSync(join(plane.dir, d), { recursive: true, force: true });
    }
    plane.change(plane.current(), { veths, idle: [], removed: [], release: [...new Set([...dirs, ...unplugged.map((u) => u.networkId)])] }, hold);
    return;
  }
  const removed = unplugged.filter((u) => u.removed).map((u) => u.networkId);
  // the emptied networks, and any other without a running container (a killed setup's): idled
  // once, their run dirs go
  const idle = [...new Set([...unplugged.filter((u) => u.emptied).map((u) => u.networkId), ...unused])].filter((id) => !removed.includes(id));
  for (const id of idle) {
    stopResponder(join(plane.dir, id));
    rmSync(join(plane.dir, id), { recursive: true, force: true });
  }
  plane.change(plane.current(), { veths, idle, removed }, hold);
}

/** The plane opened; if that fails, what it made is released (and the first error kept). */
async function openPlane(plane: NetworkPlane): Promise<string> {
  try {
    return await plane.open();
  } catch (err) {
    try {
      settle(plane, []);
    } catch {
      /* the error that matters is the open's */
    }
    throw err;
  }
}

/** Rootful ports are DNAT rules, which hold no socket: the bind check before the start
 * cannot see another container's. Their records can (call under the plane lock). */
function checkPortsFree(dir: string, forwards: readonly PortForward[]): void {
  const store = dirname(dir);
  let others: string[];
  try {
    others = readdirSync(store).filter((d) => d !== basename(dir));
  } catch {
    return;
  }
  for (const other of others) {
    for (const f of readRecord(join(store, other))?.forwards ?? []) {
      const clash = forwards.find((g) => g.proto === f.proto && g.hostPort === f.hostPort && (g.hostIp === f.hostIp || !g.hostIp || !f.hostIp));
      if (clash) throw inUse(clash.hostIp, clash.hostPort, clash.proto);
    }
  }
}

/** Plug every endpoint of PLAN into the namespace of PID (before its go-ahead); rootful,
 * FORWARDS are published to its address on the first network with outbound access. */
export async function attachBridge(dir: string, plan: BridgePlan, pid: number, forwards: readonly PortForward[] = []): Promise<void> {
  const plane = planeOf(plan);
  await withPlane(plan.plane, plan.rootful === true, async (lock) => {
    // the default route: through the first network that has outbound access
    const routed = plan.endpoints.find((e) => !e.internal);
    const networks = plan.endpoints.map((e) => e.networkId);
    const publish = plane.rootful && forwards.length > 0;
    // written before anything is made (the plane included): a setup killed midway leaves what the sweep undoes
    writeRecord(dir, { plane: plan.plane, containerId: plan.containerId, networks, ...(plane.rootful ? { rootful: true } : {}), ...(publish ? { forwards: [...forwards] } : {}) });
    let ns: string;
    try {
      ns = await openPlane(plane);
    } catch (err) {
      rmSync(join(dir, BRIDGE_RECORD), { force: true });
      throw err;
    }
    try {
      for (const e of plan.endpoints) await plugOne(plane, ns, plan, e, pid, e === routed);
      if (publish) {
        checkPortsFree(dir, forwards);
        const to = routed ?? plan.endpoints[0]!;
        // DNAT cannot turn an IPv6 host address into the container's IPv4 one: those are relayed
        const v4 = forwards.filter((f) => !onIPv6(f));
        const v6 = forwards.filter(onIPv6);
        if (v4.length) firewall().publishPorts(plan.containerId, v4, to.ip, bridgeName(to.networkId));
        if (v6.length) writeRecord(dir, { ...readRecord(dir)!, relay: await startPortRelay(pid, v6, join(dir, 'portrelay.log')) });
      }
    } catch (err) {
      if (publish) {
        firewall().unpublishPorts(plan.containerId);
        killPortRelay(readRecord(dir)?.relay);
      }
      settle(plane, networks.map((id) => unplugOne(plane, id, plan.containerId)), lock);
      rmSync(join(dir, BRIDGE_RECORD), { force: true });
      throw err;
    }
  });
}

/** A running container connected to one more network (`network connect`). */
export async function plugLive(dir: string, plan: BridgePlan, e: NetworkEndpoint, pid: number, defaultRoute: boolean): Promise<void> {
  const plane = planeOf(plan);
  await withPlane(plan.plane, plan.rootful === true, async (lock) => {
    const rec = readRecord(dir) ?? { plane: plan.plane, containerId: plan.containerId, networks: [], ...(plane.rootful ? { rootful: true } : {}) };
    writeRecord(dir, { ...rec, networks: [...new Set([...rec.networks, e.networkId])] }); // first, as for attachBridge
    try {
      const ns = await openPlane(plane);
      await plugOne(plane, ns, plan, e, pid, defaultRoute);
    } catch (err) {
      settle(plane, [unplugOne(plane, e.networkId, plan.containerId)], lock);
      writeRecord(dir, rec);
      throw err;
    }
  });
}

/** A running container off one network (`network disconnect`): its veth and names gone now. */
export async function unplugLive(dir: string, networkId: string): Promise<void> {
  const rec = readRecord(dir);
  if (!rec) return;
  const plane = planeOf(rec);
  await withPlane(rec.plane, rec.rootful === true, (lock) => {
    const unplugged = unplugOne(plane, networkId, rec.containerId);
    writeRecord(dir, { ...rec, networks: rec.networks.filter((n) => n !== networkId) });
    settle(plane, [{ ...unplugged, live: true }], lock);
  });
}

/** The container stopped: its names withdrawn, and the plane released if it was the last. */
export async function detachBridge(dir: string): Promise<void> {
  const rec = readRecord(dir);
  if (!rec) return;
  await stopPortRelay(rec.relay); // waited for: it holds host ports
  await withPlane(rec.plane, rec.rootful === true, (lock) => detachLocked(dir, rec, lock));
}

function detachLocked(dir: string, rec: BridgeRecord, lock?: FileLock): void {
  const plane = planeOf(rec);
  if (rec.forwards?.length) firewall().unpublishPorts(rec.containerId);
  killPortRelay(rec.relay);
  settle(plane, rec.networks.map((n) => unplugOne(plane, n, rec.containerId)), lock);
  rmSync(join(dir, BRIDGE_RECORD), { force: true });
}

/** The sweep's detach of a container whose owner died (synchronous: with the plane lock if it
 * is free, else left to the container's rm or next start). */
export function sweepBridgeOf(dir: string): void {
  if (!existsSync(join(dir, BRIDGE_RECORD))) return;
  const rec = readRecord(dir);
  if (!rec) {
    rmSync(join(dir, BRIDGE_RECORD), { force: true });
    return;
  }
  // not while another command changes the plane: that change drops the dead entries itself,
  // and the record stays for the container's rm or next start to detach
  mkdirSync(rec.plane, { recursive: true, mode: 0o700 });
  const lock = new FileLock(planeLockPath(rec.plane, rec.rootful === true));
  if (!lock.tryAcquire()) return;
  try {
    finishTeardown(rec.plane);
    detachLocked(dir, rec, lock);
  } finally {
    lock.release();
  }
}

/** The ports a rootful container publishes through the firewall (none once it is detached). */
export function bridgeForwards(dir: string): PortForward[] {
  return readRecord(dir)?.forwards ?? [];
}

/** Remove NETWORKID's bridge and run dir (`network rm`; no container is on it). */
export async function removeBridgeOf(planeDir: string, networkId: string, rootful: boolean): Promise<void> {
  if (!existsSync(planeDir)) return;
  const plane = networkPlane(planeDir, rootful);
  await withPlane(planeDir, rootful, (lock) => {
    const netDir = networkRunDir(planeDir, networkId);
    stopResponder(netDir);
    rmSync(netDir, { recursive: true, force: true });
    settle(plane, [{ networkId, emptied: true, removed: true }], lock);
  });
}
