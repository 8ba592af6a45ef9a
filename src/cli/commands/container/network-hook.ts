// `hx container __network ID PID [FD]` (hidden): the monitor's network hook. It starts the
// container's network helper against /proc/PID/ns/net before the command runs; FD is the
// pipe end the helper watches to know when the container has gone (slirp4netns --exit-fd).
import { UsageError } from '../../../errors.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const [id, pidText, fdText] = inv.args as [string, string, string?];
  const pid = Number(pidText);
  const fd = fdText === undefined ? undefined : Number(fdText);
  if (!Number.isInteger(pid) || pid <= 0 || (fd !== undefined && !Number.isInteger(fd))) throw new UsageError(`bad arguments: ${inv.args.join(' ')}`);
  const engine = await ctx.engine();
  await engine.containers.connectNetwork(id, pid, fd);
};
