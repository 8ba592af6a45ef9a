// `hx network create [-d bridge] [--subnet] [--gateway] [--ip-range] [--internal] [--label]
// [-o K=V] NAME`: prints the new network's ID (docker's output); errors as the daemon's, exit 1.
import { UsageError } from '../../../errors.js';
import type { CommandRun } from '../../spec.js';
import { daemonCall } from '../daemon-call.js';
import { keyValues } from '../volume/create.js';

/** hx networks have one IPv4 pool: a second --subnet (or gateway, range) is refused. */
function single(values: string[] | undefined, flag: string): string | undefined {
  if (!values || values.length === 0) return undefined;
  if (values.length > 1) throw new UsageError(`hx networks take one ${flag}`, `give ${flag} once (hx networks are IPv4 with one pool)`);
  return values[0];
}

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const subnet = single(f.subnet as string[] | undefined, '--subnet');
  const gateway = single(f.gateway as string[] | undefined, '--gateway');
  const ipRange = single(f['ip-range'] as string[] | undefined, '--ip-range');
  const labels = keyValues((f.label as string[] | undefined) ?? [], '--label', false);
  const options = keyValues((f.opt as string[] | undefined) ?? [], '-o, --opt', true);
  const engine = await ctx.engine();
  let id = '';
  const ok = await daemonCall((l) => ctx.stderr.write(l), async () => {
    const n = await engine.networks.create({
      name: inv.args[0]!,
      driver: (f.driver as string | undefined) ?? 'bridge',
      ...(subnet !== undefined ? { subnet } : {}),
      ...(gateway !== undefined ? { gateway } : {}),
      ...(ipRange !== undefined ? { ipRange } : {}),
      internal: f.internal === true,
      labels,
      options,
    });
    id = n.Id;
  });
  if (!ok) return 1;
  ctx.stdout.write(`${id}\n`);
  return 0;
};
