// `hx wait`, `hx rename`, `hx top`, `hx port`: the small container commands.
import { alignTable } from '../../format/tabwriter.js';
import type { CommandRun } from '../../spec.js';
import { formatError } from '../../errors.js';

/** docker wait: each container's exit code on its own line, as it stops. */
export const wait: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  let failed = 0;
  for (const ref of inv.args) {
    try {
      ctx.stdout.write(`${await engine.containers.wait(ref)}\n`);
    } catch (e) {
      failed++;
      ctx.stderr.write(formatError(e).text);
    }
  }
  return failed ? 1 : 0;
};

export const rename: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  await engine.containers.rename(inv.args[0]!, inv.args[1]!);
};

export const top: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const r = engine.containers.top(inv.args[0]!, inv.args.slice(1));
  ctx.stdout.write(alignTable([r.Titles.join('\t'), ...r.Processes.map((p) => p.join('\t'))].join('\n') + '\n'));
};

/** docker port CTR [PORT[/PROTO]]: "80/tcp -> 0.0.0.0:32768" lines, or the host sides of PORT. */
export const port: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const ports = await engine.containers.ports(inv.args[0]!, inv.args[1]);
  for (const p of ports) ctx.stdout.write(inv.args[1] !== undefined ? `${p.host}\n` : `${p.key} -> ${p.host}\n`);
};
