// `hx network connect [--alias A] [--ip X] NET CTR` and `disconnect [-f] NET CTR`: the
// container record's endpoints rewritten under the store lock (its addresses are taken
// or freed with it), docker's messages for the cases moby refuses.
import { HxError } from '../../errors.js';
import type { NetworkEndpoint, NetworkRequest } from '../../net/types.js';
import type { ContainerRecord, NetworkRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { networkEvent } from '../events.js';
import { findContainer } from '../containers/lookup.js';
import { allocateEndpoint } from './endpoints.js';
import { defaultBridge, endpointsOf, findNetwork, isDefaultBridge, PREDEFINED } from './lookup.js';
import { liveEndpoints } from './live.js';

export interface ConnectRequest {
  aliases?: string[];
  ip?: string;
}

function networkOf(rec: ContainerRecord): NetworkRequest | undefined {
  return (rec.spec as { network?: NetworkRequest } | undefined)?.network;
}

function withEndpoints(rec: ContainerRecord, endpoints: NetworkEndpoint[]): ContainerRecord {
  const spec = { ...(rec.spec ?? {}) } as Record<string, unknown> & { network?: NetworkRequest };
  const net = spec.network!;
  spec.network = { ...net, mode: endpoints.length ? 'bridge' : 'none', endpoints };
  return { ...rec, spec };
}

/** The network a connect or disconnect names: a user network, or (rootful) docker's default
 * bridge; docker's refusals of host and none. */
function connectable(ctx: EngineContext, ref: string): NetworkRecord {
  if (ref === 'bridge' && !ctx.mode.rootless) return defaultBridge(ctx.store);
  if (ref === 'host') throw new HxError('container cannot be disconnected from host network or connected to host network', { kind: 'invalid-argument', hint: 'a container is in the host network from its creation (--network host) or never' });
  if ((PREDEFINED as readonly string[]).includes(ref)) {
    throw new HxError(`container cannot be connected to the predefined network ${ref}`, { kind: 'invalid-argument', hint: ctx.mode.rootless ? 'rootless, connect containers to networks made with hx network create (bridge is a container\'s own helper here)' : 'connect containers to bridge or to networks made with hx network create' });
  }
  return findNetwork(ctx.store, ref);
}

export async function connectContainer(ctx: EngineContext, netRef: string, ctrRef: string, req: ConnectRequest = {}): Promise<void> {
  const store = ctx.store;
  await store.locked(async () => {
    const net = connectable(ctx, netRef);
    if (isDefaultBridge(store, net.Id)) {
      if (req.aliases?.length) throw new HxError('network-scoped alias is supported only for containers in user defined networks', { kind: 'invalid-argument', hint: 'drop --alias (names resolve on networks made with hx network create)' });
      if (req.ip) throw new HxError('user specified IP address is supported on user defined networks only', { kind: 'invalid-argument', hint: 'drop --ip, or use a network made with hx network create' });
    }
    const rec = findContainer(store, ctrRef);
    const net0 = networkOf(rec);
    if (!net0) throw new HxError(`container ${rec.name} was made before networks and cannot be connected`, { kind: 'not-implemented', hint: 'create it again' });
    if (net0.mode !== 'bridge' && net0.mode !== 'none') {
      throw new HxError(`container ${rec.name} uses --network ${net0.mode}: hx connects user networks only to containers created with --network NAME (or none)`, { kind: 'not-implemented', hint: `create it with --network ${net.Name}` });
    }
    const current = endpointsOf(rec);
    if (current.some((e) => e.networkId === net.Id)) throw new HxError(`endpoint with name ${rec.name} already exists in network ${net.Name}`, { kind: 'conflict', hint: `it is connected already (hx network disconnect ${net.Name} ${rec.name} first)` });
    const endpoint = allocateEndpoint(store, net, { ip: req.ip, aliases: req.aliases ?? [] });
    const next = withEndpoints(rec, [...current, endpoint]);
    await liveEndpoints.plug(ctx, next, endpoint);
    store.containers.put(next);
    networkEvent(store, 'connect', net.Id, net.Name, { container: rec.id });
  });
}

export async function disconnectContainer(ctx: EngineContext, netRef: string, ctrRef: string, force = false): Promise<void> {
  const store = ctx.store;
  await store.locked(async () => {
    const net = connectable(ctx, netRef);
    let rec: ContainerRecord;
    try {
      rec = findContainer(store, ctrRef);
    } catch (e) {
      if (force) return;
      throw e;
    }
    const current = endpointsOf(rec);
    const gone = current.find((e) => e.networkId === net.Id);
    if (!gone) throw new HxError(`container ${rec.id} is not connected to network ${net.Name}`, { kind: 'not-found', hint: `hx inspect ${rec.name} lists its networks` });
    const next = withEndpoints(rec, current.filter((e) => e !== gone));
    await liveEndpoints.unplug(ctx, next, gone);
    store.containers.put(next);
    networkEvent(store, 'disconnect', net.Id, net.Name, { container: rec.id });
  });
}
