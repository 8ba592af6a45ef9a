// `hx start [-a] [-i] CONTAINER...`: start under a monitor; -a attaches first (nothing
// of the output is missed) and exits with the container's code.
import type { CommandRun } from '../../spec.js';
import { forEachContainer } from './each.js';
import { holdSession, processStreams } from './session.js';

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const interactive = inv.flags.interactive === true;
  if (inv.flags.attach !== true && !interactive) return forEachContainer(ctx, inv.args, async (ref) => void (await engine.containers.start(ref)));
  if (inv.args.length > 1) {
    ctx.stderr.write('hx: you cannot start and attach multiple containers at once\n  hint: start them without -a, then attach to one\n');
    return 1;
  }
  const ref = inv.args[0]!;
  const options = inv.flags['detach-keys'] ? { detachKeys: inv.flags['detach-keys'] as string } : {};
  const r = await engine.containers.start(ref, { attach: { streams: processStreams(ctx, interactive), options } });
  // running already: docker attaches to it
  const a = r.attachment ?? (await engine.containers.attach(ref, processStreams(ctx, interactive), options));
  return holdSession(ctx, a, true, (sig) => engine.containers.kill(a.record.id, sig));
};
