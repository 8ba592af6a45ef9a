// `hx exec [-i] [-t] [-d] [-u USER] [-w DIR] [-e K=V] [--env-file F] [--privileged] CONTAINER CMD...`.
import { readFileSync } from 'node:fs';
import { parseEnvFile } from '../../../engine/docker-syntax/envfile.js';
import { expandEnvFlag } from '../../../engine/run-options.js';
import { UsageError } from '../../../errors.js';
import type { CommandRun } from '../../spec.js';
import { processIO, signalForwarding } from '../../run/io.js';

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const [ref, ...command] = inv.args;
  if (command.length === 0) throw new UsageError('"hx exec" requires at least 2 arguments', 'hx exec [OPTIONS] CONTAINER COMMAND [ARG...]');
  const interactive = f.interactive === true;
  const tty = f.tty === true;
  if (interactive && tty && !ctx.stdinIsTTY) {
    ctx.stderr.write('hx: the input device is not a TTY\n  hint: drop -t, or run from a terminal\n');
    return 1;
  }
  const fileEnv = ((f['env-file'] as string[]) ?? []).flatMap((p) => parseEnvFile(readFileSync(p), p, (k) => ctx.env[k]));
  const env = [...fileEnv, ...((f.env as string[]) ?? []).map((e) => expandEnvFlag(e, ctx.env)).filter((e): e is string => e !== undefined)];
  const req = {
    command,
    env,
    tty,
    privileged: f.privileged === true,
    ...(f.user !== undefined ? { user: f.user as string } : {}),
    ...(f.workdir !== undefined ? { workdir: f.workdir as string } : {}),
  };
  const engine = await ctx.engine();
  if (f.detach === true) {
    await engine.containers.execDetached(ref!, req);
    return 0;
  }
  return engine.containers.exec(ref!, req, processIO(interactive, tty), { attach: signalForwarding(true) });
};
