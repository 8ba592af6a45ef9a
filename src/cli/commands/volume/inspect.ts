// `hx volume inspect [-f FORMAT] VOLUME...`: docker's JSON (or template) of each volume;
// the unknown ones are reported after the rest ("get X: no such volume"), exit 1.
import type { CommandRun } from '../../spec.js';
import { inspectEach } from '../daemon-call.js';

const VOLUME_MAPS = { Labels: 'map[string]string', Options: 'map[string]string' };

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  return inspectEach(ctx, inv.args, inv.flags.format as string | undefined, VOLUME_MAPS, (name) => engine.volumes.inspect(name));
};
