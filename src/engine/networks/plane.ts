// `network rm`/`prune`: the network's bridge and DNS responder removed from hx's network
// namespace (which is released when nothing else uses it).
import { removeBridgeOf } from '../../container/bridge-network.js';
import { planeDir } from '../../net/netns.js';
import type { NetworkRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';

export async function removeNetworkPlane(ctx: EngineContext, net: NetworkRecord): Promise<void> {
  await removeBridgeOf(planeDir(ctx.runtimeDir), net.Id, !ctx.mode.rootless);
}
