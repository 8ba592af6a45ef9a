// `hx logs`: stdout lines to stdout, stderr lines to stderr, as the container wrote them.
import { untilInterrupted } from '../../interrupt.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const engine = await ctx.engine();
  await untilInterrupted((signal) =>
    engine.containers.logs(
      inv.args[0]!,
      {
        follow: f.follow === true,
        ...(f.tail !== undefined ? { tail: String(f.tail) } : {}),
        ...(f.since !== undefined ? { since: f.since as string } : {}),
        ...(f.until !== undefined ? { until: f.until as string } : {}),
        timestamps: f.timestamps === true,
        signal,
      },
      { stdout: (d) => ctx.stdout.write(d), stderr: (d) => ctx.stderr.write(d) },
    ),
  );
};
