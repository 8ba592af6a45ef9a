// `hx attach [--no-stdin] [--sig-proxy] [--detach-keys] CONTAINER`.
import type { CommandRun } from '../../spec.js';
import { holdSession, processStreams } from './session.js';

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const engine = await ctx.engine();
  const a = await engine.containers.attach(inv.args[0]!, processStreams(ctx, f['no-stdin'] !== true), {
    ...(f['detach-keys'] ? { detachKeys: f['detach-keys'] as string } : {}),
    noStdin: f['no-stdin'] === true,
  });
  return holdSession(ctx, a, f['sig-proxy'] !== false, (sig) => engine.containers.kill(a.record.id, sig));
};
