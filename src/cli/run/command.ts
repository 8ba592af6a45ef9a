// `hx run`: docker's flags to a run request for the engine, this process's stdio and
// signals as the attach policy, and docker's implicit pull (--pull missing|always|never,
// the progress on stderr).
import { readFileSync, writeFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import type { RunRequest } from '../../engine/index.js';
import type { EngineContext } from '../../engine/context.js';
import { launcherPath } from '../../engine/install.js';
import type { CommandContext } from '../context.js';
import type { CommandRun } from '../spec.js';
import { createSettings, flagsToOptions, runFlagsOf, type RunFlags } from './flags.js';
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

/** The whole request of a run or create, from the flags. */
function requestOf(ctx: CommandContext, flags: RunFlags): RunRequest {
  const src = { env: ctx.env, readFile: (p: string) => readFileSync(p), cwd: process.cwd() };
  const options = flagsToOptions(flags, src);
  const req: RunRequest = { ...createSettings(flags, src), command: flags.command, options };
  if (flags.rootfs !== undefined) req.rootfs = flags.rootfs;
  else if (flags.image !== undefined) req.image = flags.image;
  return req;
}

/** docker's --cidfile: the ID written to a file that must not exist yet. */
function writeCidfile(path: string | undefined, id: string): void {
  if (!path) return;
  try {
    writeFileSync(path, id, { flag: 'wx', mode: 0o644 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`container ID file found, make sure the other container isn't running or delete ${path}`, `rm ${path}`);
    throw new UsageError(`failed to create the container ID file: ${(e as Error).message}`);
  }
}

/** Run F, pulling the image first as --pull says (docker: missing, always, never). */
async function withPull<T>(ctx: CommandContext, flags: RunFlags, f: () => Promise<T>): Promise<T> {
  const image = flags.rootfs === undefined ? flags.image : undefined;
  const policy = flags.pull ?? 'missing';
  if (image && policy === 'always') await pull(ctx, flags, image);
  try {
    return await f();
  } catch (e) {
    if (!image || !isNoSuchImage(e) || policy !== 'missing') throw e;
    ctx.stderr.write(`Unable to find image '${image}' locally\n`);
    await pull(ctx, flags, image);
    return await f();
  }
}

/** `hx create`: prints the ID. */
export async function createFromFlags(ctx: CommandContext, flags: RunFlags): Promise<number> {
  const req = requestOf(ctx, flags);
  if (!req.image) throw new UsageError('"hx create" requires an image', 'hx create [OPTIONS] IMAGE [COMMAND] [ARG...]');
  const engine = await ctx.engine();
  const r = await withPull(ctx, flags, () => engine.containers.create({ ...req, image: req.image! }));
  for (const w of r.warnings) ctx.stderr.write(`WARNING: ${w}\n`);
  writeCidfile(flags.cidfile, r.id);
  ctx.stdout.write(`${r.id}\n`);
  return 0;
}

/** `hx run` once its flags are parsed (and the process is where containers are made). */
export async function runWithFlags(ctx: CommandContext, flags: RunFlags, engine: EngineContext): Promise<number> {
  const req = requestOf(ctx, flags);
  if (flags.interactive && flags.tty && !flags.detach && !ctx.stdinIsTTY) {
    // docker's wording and status for `-it` without a terminal
    ctx.stderr.write('hx: the input device is not a TTY\n  hint: drop -t, or run from a terminal\n');
    return 1;
  }
  const restarts = req.restart !== undefined && req.restart !== '' && req.restart !== 'no';
  if (flags.detach || restarts) {
    if (req.rootfs !== undefined) throw new UsageError('--rootfs runs in the foreground only', 'drop -d and --restart, or use an image');
    const { runDetached } = await import('../../engine/containers/run.js');
    const image = req.image!;
    if (flags.detach) {
      const r = await withPull(ctx, flags, () => runDetached(engine, { ...req, image }));
      for (const w of r.warnings) ctx.stderr.write(`WARNING: ${w}\n`);
      writeCidfile(flags.cidfile, r.id);
      ctx.stdout.write(`${r.id}\n`);
      return 0;
    }
    // a restart policy in the foreground: docker's create + start -a; the monitor restarts
    const { holdSession, processStreams } = await import('../commands/container/session.js');
    const streams = processStreams(ctx, flags.interactive);
    const r = await withPull(ctx, flags, () => runDetached(engine, { ...req, image }, { attach: { streams, options: flags.detachKeys ? { detachKeys: flags.detachKeys } : {} } }));
    writeCidfile(flags.cidfile, r.id);
    const { killContainer } = await import('../../engine/containers/lifecycle.js');
    return holdSession(ctx, r.attachment!, flags.sigProxy, (sig) => killContainer(engine, r.id, sig));
  }
  const io = processIO(flags.interactive, flags.tty);
  const hooks = { attach: signalForwarding(flags.sigProxy), onWarning: (w: string) => ctx.stderr.write(`WARNING: ${w}\n`) };
  const { runContainer } = await import('../../engine/containers/run.js');
  return withPull(ctx, flags, () => runContainer(engine, req, io, hooks));
}
export const run: CommandRun = async (ctx, inv) => runWithFlags(ctx, runFlagsOf(inv), await ctx.engineContext());
