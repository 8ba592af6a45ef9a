// `hx run`: a container from an image (or a root filesystem directory) in the
// foreground, docker's exit code out. The use case lives here, the parts below it:
// container/rootfs (record, driver mount), container/config (the image config merged
// with the flags), container/volumes (the image's VOLUMEs), container/foreground (spawn,
// stdio, exit).
import { UsageError } from '../../errors.js';
import { mergeRunConfig } from '../../container/config.js';
import { runForeground, type RunHooks, type RunIO } from '../../container/foreground.js';
import { createContainer, mountRootfs, removeContainer, unmountRootfs } from '../../container/rootfs.js';
import { imageVolumes } from '../../container/volumes.js';
import { ensureHelloWorld, isHelloWorld } from '../../image/hello.js';
import { imageConfigOf, resolveImage } from '../../image/resolve.js';
import type { ContainerOptions } from '../../runtime/spec.js';
import type { EngineContext } from '../context.js';

export type { RunHooks, RunIO };

/** docker's process and security settings of a container (what `hx run`'s flags give). */
export type RunOptions = Omit<ContainerOptions, 'rootfs' | 'args'>;

export interface RunRequest {
  /** An image (name or ID)... */
  image?: string;
  /** ...or a directory holding a root filesystem (hx's --rootfs). */
  rootfs?: string;
  /** Arguments after IMAGE (they replace the image's Cmd), or the command for a rootfs. */
  command: string[];
  /** --entrypoint ('' clears the image's). */
  entrypoint?: string | undefined;
  options: RunOptions;
  name?: string | undefined;
  /** --rm: remove the container when it exits (also if this process dies). */
  autoRemove?: boolean;
}

export async function runContainer(ctx: EngineContext, req: RunRequest, io: RunIO, hooks: RunHooks = {}): Promise<number> {
  const host = { mode: ctx.mode, runtimeDir: ctx.runtimeDir };
  const phase = hooks.onPhase ?? ctx.onPhase;
  const withPhase: RunHooks = phase ? { ...hooks, onPhase: phase } : hooks;
  if (req.rootfs !== undefined) {
    const args = req.entrypoint !== undefined ? [...(req.entrypoint ? [req.entrypoint] : []), ...req.command] : req.command;
    if (args.length === 0) throw new UsageError('no command specified', 'hx run [OPTIONS] --rootfs DIR COMMAND [ARG...]');
    return runForeground({ ...req.options, rootfs: req.rootfs, args }, host, io, withPhase);
  }
  if (!req.image) throw new UsageError('"hx run" requires an image (or --rootfs DIR) and a command', 'hx run [OPTIONS] IMAGE [COMMAND] [ARG...]');
  const store = ctx.store;
  if (isHelloWorld(req.image)) await ensureHelloWorld(store, ctx.layerContext());
  const image = resolveImage(store, req.image);
  const config = mergeRunConfig(imageConfigOf(store, image), {
    entrypoint: req.entrypoint,
    cmd: req.command,
    env: req.options.env ?? [],
    workdir: req.options.cwd,
    user: req.options.user,
  });
  const { record, claim } = await createContainer(ctx, image, { name: req.name, autoRemove: req.autoRemove ?? false, state: 'running' });
  phase?.('store-lookup');
  let code: number | undefined;
  try {
    const rootfs = mountRootfs(ctx, record);
    phase?.('rootfs');
    const userTargets = new Set((req.options.mounts ?? []).map((m) => m.target));
    const volumes = imageVolumes(store.containerDir(record.id), rootfs, config.volumes, userTargets);
    code = await runForeground(
      {
        ...req.options,
        ...(config.user ? { user: config.user } : {}),
        rootfs,
        args: config.args,
        env: config.env,
        cwd: config.cwd,
        mounts: [...volumes, ...(req.options.mounts ?? [])],
      },
      host,
      io,
      withPhase,
    );
    return code;
  } finally {
    try {
      if (req.autoRemove) await removeContainer(ctx, record.id);
      else {
        unmountRootfs(ctx, record);
        const rec = store.getContainer(record.id);
        if (rec) store.putContainer({ ...rec, state: 'exited', ...(code !== undefined ? { exitCode: code } : {}), finishedAt: new Date().toISOString() });
      }
    } finally {
      claim.release();
      phase?.('teardown');
    }
  }
}
