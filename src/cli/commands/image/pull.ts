// `hx pull`: docker's output (progress per layer on a terminal, plain lines otherwise; the
// reference at the end, and only that with -q).
import { pullWithProgress } from '../../ui/pull.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  await pullWithProgress(ctx, inv.args[0]!, { platform: f.platform as string | undefined, tlsVerify: f['tls-verify'] as boolean | undefined, authFile: f.authfile as string | undefined, quiet: Boolean(f.quiet) });
};
