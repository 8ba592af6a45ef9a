// The data plane of user networks (bridges, veths, DNS): placeholder until it is built.
import type { NetworkRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';

/** Remove NET's bridge (nothing is built yet). */
export async function removeNetworkPlane(_ctx: EngineContext, _net: NetworkRecord): Promise<void> {}
