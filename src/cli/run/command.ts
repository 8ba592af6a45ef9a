// `hx run`: docker's flags to a run request for the engine, this process's stdio and
// signals as the attach policy, and docker's implicit pull (--pull missing|always|never,
// the progress on stderr).
import { readFileSync } from 'node:fs';
import type { RunRequest } from '../../engine/index.js';
import type { EngineContext } from '../../engine/context.js';
import { launcherPath } from '../../engine/install.js';
import type { CommandContext } from '../context.js';
import type { CommandRun } from '../spec.js';
import { flagsToOptions, runFlagsOf, type RunFlags } from './flags.js';
import { processIO, signalForwarding } from './io.js';

function isNoSuchImage(e: unknown): boolean {
  return e instanceof Error && e.name === 'NoSuchImage';
}

/** docker run's implicit pull, as `hx pull` run beside (its output on our stderr, as
 * docker prints it): the run bundle stays free of the registry client, which start-up
 * latency pays for on every run, and a pull costs far more than a process start. */
async function pull(ctx: CommandContext, flags: RunFlags, image: string): Promise<void> {
  const { spawnSync } = (await import('../../engine/child-process.js')).childProcess();
  const args = ['pull', ...(flags.platform ? ['--platform', flags.platform] : []), ...(flags.quiet ? ['-q'] : []), image];
  const globals = [...(ctx.globals.root ? ['--root', ctx.globals.root] : []), ...(ctx.globals.runroot ? ['--runroot', ctx.globals.runroot] : []), ...(ctx.globals.storageDriver ? ['--storage-driver', ctx.globals.storageDriver] : [])];
  const r = spawnSync(launcherPath(), [...globals, ...args], { stdio: ['ignore', 2, 2], env: ctx.env });
  if (r.status !== 0) {
    const { HxError } = await import('../../errors.js');
    throw new HxError(`pulling ${image} failed`, { kind: 'unavailable', exitCode: 125 });
  }
}

/** `hx run` once its flags are parsed (and the process is where containers are made). */
export async function runWithFlags(ctx: CommandContext, flags: RunFlags, engine: EngineContext): Promise<number> {
  const options = flagsToOptions(flags, { env: ctx.env, readFile: (p) => readFileSync(p) });
  if (flags.interactive && flags.tty && !ctx.stdinIsTTY) {
    // docker's wording and status for `-it` without a terminal
    ctx.stderr.write('hx: the input device is not a TTY\n  hint: drop -t, or run from a terminal\n');
    return 1;
  }
  const req: RunRequest = { command: flags.command, entrypoint: flags.entrypoint, options, name: flags.name, autoRemove: flags.rm };
  if (flags.rootfs !== undefined) req.rootfs = flags.rootfs;
  else if (flags.image !== undefined) req.image = flags.image;
  const io = processIO(flags.interactive, flags.tty);
  const hooks = { attach: signalForwarding(flags.sigProxy) };
  const image = req.image;
  const pullPolicy = flags.pull ?? 'missing';
  if (image && pullPolicy === 'always') await pull(ctx, flags, image);
  const { runContainer } = await import('../../engine/containers/run.js');
  try {
    return await runContainer(engine, req, io, hooks);
  } catch (e) {
    if (!image || !isNoSuchImage(e) || pullPolicy !== 'missing') throw e;
    ctx.stderr.write(`Unable to find image '${image}' locally\n`);
    await pull(ctx, flags, image);
    return await runContainer(engine, req, io, hooks);
  }
}

export const run: CommandRun = async (ctx, inv) => runWithFlags(ctx, runFlagsOf(inv), ctx.engineContext());
