// `hx logout [SERVER]`: docker says "Not logged in to ..." (exit 0) when nothing was saved.
import { UsageError } from '../../../errors.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const registry = inv.args[0] as string | undefined;
  if (inv.flags.all && registry) throw new UsageError('--all and a registry name are mutually exclusive');
  const engine = await ctx.engine();
  const r = await engine.registry.logout(inv.flags.all ? undefined : registry ?? 'docker.io', { authFile: inv.flags.authfile as string | undefined });
  if (r.removed) ctx.stdout.write(`Removing login credentials for ${r.registry}\n`);
  else {
    ctx.stdout.write(`Not logged in to ${r.registry}\n`);
    if (r.elsewhere) ctx.stderr.write(`hx: the credentials hx uses for ${r.registry} come from ${r.elsewhere}, which hx logout does not change\n`);
  }
};
