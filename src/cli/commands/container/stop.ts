// `hx stop [-s SIG] [-t N] CONTAINER...`, `hx restart` (same flags), `hx kill [-s SIG]`.
import type { CommandRun } from '../../spec.js';
import { forEachContainer } from './each.js';

function stopOptions(flags: Record<string, unknown>): { signal?: string; timeout?: number } {
  return {
    ...(typeof flags.signal === 'string' ? { signal: flags.signal } : {}),
    ...(typeof flags.timeout === 'number' ? { timeout: flags.timeout } : {}),
  };
}

export const stop: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  return forEachContainer(ctx, inv.args, async (ref) => void (await engine.containers.stop(ref, stopOptions(inv.flags))));
};

export const restart: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  return forEachContainer(ctx, inv.args, async (ref) => void (await engine.containers.restart(ref, stopOptions(inv.flags))));
};

export const kill: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const signal = typeof inv.flags.signal === 'string' ? inv.flags.signal : 'KILL';
  return forEachContainer(ctx, inv.args, async (ref) => void (await engine.containers.kill(ref, signal)));
};
