// A container's network around its start: before the clone, the /etc files it gets
// (hosts, hostname, resolv.conf in containers/<id>, bound over the image's unless the
// user binds their own) and the published ports fixed and checked (DIR/network-plan.json);
// between the clone and the go-ahead, the helper connected to /proc/PID/ns/net
// (connectNetwork: in-process for a foreground run, `hx container __network ID PID`
// called by the monitor for a detached one, at every restart); at the end, the helper
// stopped (disconnectNetwork; slirp4netns also quits when its exit fd closes).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HxError } from '../errors.js';
import type { HostMode } from '../host/mode.js';
import { readSysctl } from '../host/probes.js';
import { hostGatewayAddress, hostsFile, resolvConf } from '../net/etc-files.js';
import { HELPER_ADDRESSES, type HelperRecord, type NetworkRequest, type PortForward } from '../net/types.js';
import type { MountRequest } from '../runtime/mounts.js';
import { helperAlive, killHelperNow, readHelperRecord } from '../net/helper.js';
import { planeDir } from '../net/netns.js';
import { processAlive } from '../host/procstat.js';
import { ContainerRecords } from '../store/containers.js';
import { BRIDGE_RECORD, bridgeForwards, sweepBridgeOf, type BridgePlan } from './bridge-network.js';

export const NETWORK_PLAN = 'network-plan.json';

/** What the helper is to do at the next start (written by prepareNetwork). */
export interface NetworkPlan {
  /** 'bridge': veths into user networks (BRIDGE says which), no helper process. */
  helper: 'pasta' | 'slirp4netns' | 'bridge';
  bridge?: BridgePlan;
  options: string[];
  forwards: PortForward[];
  runDir: string;
}

export interface NetworkContainer {
  /** containers/<id> in the store. */
  dir: string;
  /** RUNTIME/containers/<id>. */
  runDir: string;
  hostname: string;
  name: string;
  mode: HostMode;
}

export interface PreparedNetwork {
  /** Binds of the generated /etc files (none where the user binds the path). */
  mounts: MountRequest[];
  /** The helper to connect once the container's namespace exists (undefined: none). */
  plan?: NetworkPlan;
  /** --network container:CTR: CTR's pid 1, whose network namespace the child enters. */
  netJoin?: { pid: number; startTime: bigint };
}

/** The runtime options of a prepared network (the namespace to join, if any). */
export function netJoinOf(p: PreparedNetwork): { netJoin?: { pid: number; startTime: bigint } } {
  return p.netJoin ? { netJoin: p.netJoin } : {};
}

/** --network container:CTR: CTR's pid 1 and its /etc files (bound as they are: one network, one set). */
function sharedNetwork(c: NetworkContainer, target: string, userMounts: readonly MountRequest[]): PreparedNetwork {
  const st = new ContainerRecords(dirname(c.dir)).state(target);
  if (!(st.status === 'running' || st.status === 'paused') || !processAlive(st.pid, st.pidStart)) {
    throw new HxError(`cannot join network of a non running container: ${target}`, { kind: 'conflict', hint: `start it first: hx start ${target.slice(0, 12)}` });
  }
  const bound = new Set(userMounts.map((m) => m.target));
  const mounts: MountRequest[] = [];
  for (const [path, file] of ETC_FILES) {
    const source = join(dirname(c.dir), target, file);
    if (bound.has(path) || !existsSync(source)) continue;
    mounts.push({ type: 'bind', source, target: path, readonly: false, propagation: 'rprivate', recursive: false });
  }
  return { mounts, netJoin: { pid: st.pid, startTime: BigInt(st.pidStart) } };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const ETC_FILES = [
  ['/etc/hosts', 'hosts'],
  ['/etc/hostname', 'hostname'],
  ['/etc/resolv.conf', 'resolv.conf'],
] as const;

/** The files and port forwards of a container about to start. */
export async function prepareNetwork(c: NetworkContainer, req: NetworkRequest, userMounts: readonly MountRequest[]): Promise<PreparedNetwork> {
  if (req.mode === 'container') return sharedNetwork(c, req.container ?? '', userMounts);
  const helper = req.mode === 'pasta' || req.mode === 'slirp4netns' ? req.mode : undefined;
  const endpoint = req.mode === 'bridge' ? req.endpoints?.[0] : undefined;
  const addresses = helper ? HELPER_ADDRESSES : endpoint ? { container: endpoint.ip, prefixLength: endpoint.prefixLength, gateway: endpoint.gateway, dns: endpoint.gateway } : undefined;
  // docker's default bridge has no DNS of its own: the host's resolvers, as for a helper's container
  const plainBridge = endpoint?.noDns === true;
  const routed = req.mode === 'bridge' ? (req.endpoints ?? []).find((e) => !e.internal) : undefined;
  // rootful: the host is the bridge's gateway (docker's host-gateway); rootless: pasta's mapping of its loopback
  const gateway = routed && !c.mode.rootless ? routed.gateway : hostGatewayAddress(req.mode, addresses, routed !== undefined);
  const extraHosts = req.extraHosts.map((h) => {
    if (h.address !== 'host-gateway') return h;
    if (!gateway) throw new HxError(`--add-host ${h.name}:host-gateway: the container has no route to the host with --network ${req.mode}`, { kind: 'invalid-argument', hint: 'use --network pasta or slirp4netns, or give an address' });
    return { name: h.name, address: gateway };
  });
  const files: Record<(typeof ETC_FILES)[number][1], string> = {
    hosts: hostsFile({ mode: req.mode, hostname: c.hostname, name: c.name, extraHosts, ...(gateway ? { hostGateway: gateway } : {}), ...(addresses ? { addresses } : {}), ...(req.mode === 'host' ? { hostHosts: readText('/etc/hosts') } : {}) }),
    hostname: `${c.hostname}\n`,
    'resolv.conf': resolvConf({ mode: plainBridge ? 'none' : req.mode, hostResolv: readText('/etc/resolv.conf'), dns: req.dns, dnsSearch: req.dnsSearch, dnsOptions: req.dnsOptions, ...(addresses && !plainBridge ? { forwarder: addresses.dns } : {}) }),
  };
  const bound = new Set(userMounts.map((m) => m.target));
  const mounts: MountRequest[] = [];
  for (const [target, file] of ETC_FILES) {
    if (bound.has(target)) continue; // the user's own file wins, as with docker
    const source = join(c.dir, file);
    writeFileSync(source, files[file], { mode: 0o644 });
    mounts.push({ type: 'bind', source, target, readonly: false, propagation: 'rprivate', recursive: false });
  }
  const ports = Object.keys(req.portBindings).length;
  if (!helper && req.mode !== 'bridge') {
    if (ports) throw new HxError(`published ports need a network helper: --network ${req.mode} has none`, { kind: 'invalid-argument', hint: 'use --network pasta or slirp4netns (or drop -p/-P)' });
    return { mounts };
  }
  let forwards: PortForward[] = [];
  if (ports) {
    if (c.mode.rootless) {
      const { checkTun } = await import('../net/helper.js');
      checkTun(); // rootful ports are DNAT rules, no helper
    }
    const { resolveForwards } = await import('../net/ports.js');
    const start = Number(readSysctl('/proc/sys/net/ipv4/ip_unprivileged_port_start') ?? '1024');
    forwards = await resolveForwards(req.portBindings, { rootless: c.mode.rootless, unprivilegedPortStart: Number.isFinite(start) ? start : 1024 });
  }
  if (!helper) return { mounts, plan: bridgePlan(c, req, forwards) };
  const plan: NetworkPlan = { helper, options: req.helperOptions, forwards, runDir: c.runDir };
  writeFileSync(join(c.dir, NETWORK_PLAN), JSON.stringify(plan), { mode: 0o600 });
  return { mounts, plan };
}

/** The endpoints to plug at the next start and the ports to publish (FORWARDS: checked free). */
function bridgePlan(c: NetworkContainer, req: NetworkRequest, forwards: PortForward[]): NetworkPlan {
  const endpoints = req.endpoints ?? [];
  if (!endpoints.length) throw new HxError('the container is on no network', { kind: 'internal', hint: 'hx network connect NET CTR' });
  const id = basename(c.dir);
  // --dns become the upstreams of the network's hx-dns for this container
  const bridge: BridgePlan = { plane: planeDir(dirname(dirname(c.runDir))), containerId: id, names: [c.name, id.slice(0, 12)], endpoints, ...(req.dns.length ? { dns: req.dns } : {}), ...(c.mode.rootless ? {} : { rootful: true }) };
  const plan: NetworkPlan = { helper: 'bridge', options: [], forwards, runDir: c.runDir, bridge };
  writeFileSync(join(c.dir, NETWORK_PLAN), JSON.stringify(plan), { mode: 0o600 });
  return plan;
}

export function readNetworkPlan(dir: string): NetworkPlan | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, NETWORK_PLAN), 'utf8')) as NetworkPlan;
  } catch {
    return undefined;
  }
}

/** Connect the namespace of PID as PLAN says (a helper left by an earlier start is stopped
 * first: it holds the host ports). EXITFD: slirp4netns' --exit-fd. */
export async function connectNetwork(dir: string, plan: NetworkPlan, pid: number, exitFd?: number): Promise<{ end(): void } | undefined> {
  if (plan.helper === 'bridge') {
    const { attachBridge } = await import('./bridge-network.js');
    const rootful = plan.bridge!.rootful === true;
    // rootful: the ports are the firewall's DNAT, set up with the endpoints
    await attachBridge(dir, plan.bridge!, pid, rootful ? plan.forwards : []);
    if (plan.forwards.length && !rootful) {
      const { startPortsHelper, stopHelper } = await import('../net/helper.js');
      await stopHelper(dir); // an earlier start's holds the host ports
      mkdirSync(plan.runDir, { recursive: true, mode: 0o700 });
      await startPortsHelper({ pid, forwards: plan.forwards, dir, runDir: plan.runDir });
    }
    return undefined;
  }
  const { startHelper, stopHelper } = await import('../net/helper.js');
  await stopHelper(dir);
  mkdirSync(plan.runDir, { recursive: true, mode: 0o700 });
  const started = await startHelper({ helper: plan.helper, pid, forwards: plan.forwards, options: plan.options, dir, runDir: plan.runDir, ...(exitFd !== undefined ? { exitFd } : {}) });
  return started.lifetime;
}

/** Stop the container's helper (if one runs). */
export async function disconnectNetwork(dir: string): Promise<void> {
  if (existsSync(join(dir, BRIDGE_RECORD))) {
    const { detachBridge } = await import('./bridge-network.js');
    await detachBridge(dir);
  }
  if (!existsSync(join(dir, 'network.json'))) return; // no helper: load nothing
  const { stopHelper } = await import('../net/helper.js');
  await stopHelper(dir);
}

/** A foreground run's network: the helper connected in beforeStart, stopped by stop(). */
export function foregroundNetwork(dir: string, plan: NetworkPlan | undefined): { beforeStart(pid: number): Promise<void>; stop(): Promise<void> } {
  let lifetime: { end(): void } | undefined;
  return {
    async beforeStart(pid) {
      if (plan) lifetime = await connectNetwork(dir, plan, pid);
    },
    async stop() {
      lifetime?.end();
      await disconnectNetwork(dir);
    },
  };
}

/** The sweep's stop of a dead owner's helper (synchronous: SIGKILL, no wait). */
export function stopHelperOf(dir: string): void {
  sweepBridgeOf(dir);
  if (!existsSync(join(dir, 'network.json'))) return;
  killHelperNow(dir);
}

/** The helper of a container, while it runs. */
export function activeHelper(dir: string): HelperRecord | undefined {
  if (!existsSync(join(dir, 'network.json'))) return undefined;
  const rec = readHelperRecord(dir);
  return rec && helperAlive(rec) ? rec : undefined;
}

/** The published ports of a container whose helper runs, or that the rootful firewall
 * forwards to it (none otherwise, as in docker). */
export function activeForwards(dir: string): PortForward[] {
  return activeHelper(dir)?.forwards ?? bridgeForwards(dir);
}
