// `hx network connect [--alias A]... [--ip X] NETWORK CONTAINER` and
// `hx network disconnect [-f] NETWORK CONTAINER`: silent on success (docker's), exit 1 on refusal.
import type { CommandRun } from '../../spec.js';
import { daemonCall } from '../daemon-call.js';

export const connect: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const ip = inv.flags.ip as string | undefined;
  const ok = await daemonCall((l) => ctx.stderr.write(l), () =>
    engine.networks.connect(inv.args[0]!, inv.args[1]!, { aliases: (inv.flags.alias as string[] | undefined) ?? [], ...(ip ? { ip } : {}) }),
  );
  return ok ? 0 : 1;
};

export const disconnect: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const ok = await daemonCall((l) => ctx.stderr.write(l), () => engine.networks.disconnect(inv.args[0]!, inv.args[1]!, inv.flags.force === true));
  return ok ? 0 : 1;
};
