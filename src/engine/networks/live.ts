// `network connect|disconnect` of a running container: its veth plugged or unplugged now
// (a stopped one only has its record changed; the next start plugs what the record says).
import { plugLive, unplugLive } from '../../container/bridge-network.js';
import { currentState, isRunning } from '../../container/state.js';
import { planeDir } from '../../net/netns.js';
import type { NetworkEndpoint } from '../../net/types.js';
import type { ContainerRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { endpointsOf } from './lookup.js';

/** What a connect or disconnect does to a running container's namespace. */
export interface LiveEndpointHooks {
  plug(ctx: EngineContext, rec: ContainerRecord, e: NetworkEndpoint): Promise<void>;
  unplug(ctx: EngineContext, rec: ContainerRecord, e: NetworkEndpoint): Promise<void>;
}

export const liveEndpoints: LiveEndpointHooks = {
  async plug(ctx, rec, e) {
    const st = currentState(ctx.store, rec);
    if (!isRunning(st)) return;
    const others = endpointsOf(rec).filter((x) => x.networkId !== e.networkId);
    const dns = (rec.spec as { network?: { dns?: string[] } } | undefined)?.network?.dns ?? [];
    // its --dns: the upstreams of this network's responder for it, as at start
    const plan = { plane: planeDir(ctx.runtimeDir), containerId: rec.id, names: [rec.name, rec.id.slice(0, 12)], endpoints: [e], ...(dns.length ? { dns } : {}), ...(ctx.mode.rootless ? {} : { rootful: true }) };
    await plugLive(ctx.store.containerDir(rec.id), plan, e, st.pid, others.every((x) => x.internal));
  },
  async unplug(ctx, rec, e) {
    if (!isRunning(currentState(ctx.store, rec))) return;
    await unplugLive(ctx.store.containerDir(rec.id), e.networkId);
  },
};
