// `hx unshare [CMD...]`: a command (default: the user's shell) inside hx's user and mount
// namespace, like `podman unshare`.
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const { runInNamespace } = await import('../../../engine/system/unshare.js');
  runInNamespace(engine.context, inv.args[0] === '--' ? inv.args.slice(1) : inv.args);
};
