// `hx network inspect [-f FORMAT] NETWORK...`: docker's NetworkResource JSON (or template);
// the unknown ones reported after the rest ("network X not found"), exit 1.
import type { CommandRun } from '../../spec.js';
import { inspectEach } from '../daemon-call.js';

const NETWORK_MAPS = { Labels: 'map[string]string', Options: 'map[string]string', Containers: 'map[string]network.EndpointResource' };

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  return inspectEach(ctx, inv.args, inv.flags.format as string | undefined, NETWORK_MAPS, (ref) => engine.networks.inspect(ref));
};
