// `hx volume create [--name N] [-d local] [--label K=V]... [-o K=V]... [NAME]`: prints the name.
import { UsageError } from '../../../errors.js';
import type { CommandRun } from '../../spec.js';
import { daemonCall } from '../daemon-call.js';

/** KEY=VALUE flags as a map (docker's ListOpts of labels: a bare KEY is KEY=""). */
export function keyValues(values: string[], flag: string, needValue: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0 && needValue) throw new UsageError(`invalid argument ${JSON.stringify(v)} for ${JSON.stringify(flag)} flag: invalid key value pair format`, `write ${flag.split(' ').pop()} KEY=VALUE`);
    out[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
  }
  return out;
}

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const flagName = (f.name as string | undefined) ?? '';
  const arg = inv.args[0] ?? '';
  if (flagName && arg && flagName !== arg) {
    throw new UsageError('conflicting options: either specify --name or provide positional arg, not both', 'give the name once');
  }
  const labels = keyValues((f.label as string[] | undefined) ?? [], '--label', false);
  const options = keyValues((f.opt as string[] | undefined) ?? [], '-o, --opt', true);
  const engine = await ctx.engine();
  let name = '';
  const ok = await daemonCall((l) => ctx.stderr.write(l), async () => {
    const v = await engine.volumes.create({ name: flagName || arg, driver: (f.driver as string | undefined) ?? 'local', labels, options });
    name = v.Name;
  });
  if (!ok) return 1;
  ctx.stdout.write(`${name}\n`);
  return 0;
};
