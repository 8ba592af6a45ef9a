// What `hx run IMAGE` needs from the image store: a root filesystem (the image's layers
// under a per-container upper dir), the image config merged with the flags (docker's
// Entrypoint/Cmd rules, Env, WorkingDir, User), the image's VOLUMEs as anonymous volumes
// (filled from the image, like docker), and a cleanup for after the process exits.
import { existsSync, mkdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { wrap } from '../errors.js';
import { SysError } from '../sys/errors.js';
import { copyTree, CopyFlag } from '../sys/spawn.js';
import { createContainerRootfs, markExited, mergeRunConfig, removeContainerRootfs, unmountContainerRootfs, type RunConfig } from './image-rootfs.js';
import { openStore } from './images.js';

export interface ImageRunRequest {
  image: string;
  /** --entrypoint ('' clears the image's). */
  entrypoint?: string | undefined;
  /** Arguments after IMAGE. */
  command: string[];
  /** KEY=VALUE from -e and --env-file, already expanded: they override the image's Env. */
  env: string[];
  workdir?: string | undefined;
  user?: string | undefined;
  name?: string | undefined;
  storageDriver?: string | undefined;
  /** --rm: also removed by the next command if this one dies. */
  autoRemove?: boolean;
}

export interface ImageRun extends RunConfig {
  containerId: string;
  rootfs: string;
  driver: string;
  /** Anonymous volumes for the image's VOLUMEs: bind SOURCE at TARGET. */
  volumeMounts: { source: string; target: string }[];
  /** After the container exited with CODE (undefined: it never ran): remove everything
   * (--rm) or unmount and record the exit (kept for GC/inspect). */
  finish(remove: boolean, code?: number): Promise<void>;
}

export async function prepareImageRun(req: ImageRunRequest): Promise<ImageRun> {
  const made = await createContainerRootfs(req.image, {
    ...(req.name ? { name: req.name } : {}),
    ...(req.storageDriver ? { storageDriver: req.storageDriver } : {}),
    ...(req.autoRemove ? { autoRemove: true } : {}),
    state: 'running', // run right away, owned by this command until finish()
  });
  try {
    const cfg = mergeRunConfig(made.config, {
      entrypoint: req.entrypoint,
      cmd: req.command,
      env: req.env,
      workdir: req.workdir,
      user: req.user,
    });
    const volumeMounts: { source: string; target: string }[] = [];
    const store = openStore();
    const seen = new Set<string>();
    cfg.volumes.forEach((key, i) => {
      const target = volumeTarget(key);
      if (seen.has(target)) return;
      seen.add(target);
      const source = join(store.containerDir(made.id), 'volumes', String(i));
      mkdirSync(source, { recursive: true, mode: 0o755 });
      copyUp(made.rootfs, target, source);
      volumeMounts.push({ source, target });
    });
    return {
      ...cfg,
      containerId: made.id,
      rootfs: made.rootfs,
      driver: made.driver,
      volumeMounts,
      finish: async (remove: boolean, code?: number) => {
        try {
          if (remove) await removeContainerRootfs(made.id);
          else {
            if (existsSync(made.rootfs)) unmountContainerRootfs(made.id);
            if (code !== undefined) markExited(made.id, code);
          }
        } finally {
          made.claim.release();
        }
      },
    };
  } catch (e) {
    await removeContainerRootfs(made.id).catch(() => {});
    made.claim.release();
    throw e;
  }
}

/** An image's VOLUME key as a path inside the container: cleaned, absolute, so that no
 * `..` climbs anywhere (it is resolved inside the container's root in any case). */
export function volumeTarget(key: string): string {
  const clean = posix.normalize(`/${key}`);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

/**
 * docker's copy-up: a new, empty volume gets what the image has at TARGET (owners, modes,
 * xattrs, hardlinks kept), when that is a directory. TARGET is resolved inside ROOTFS
 * (symlinks in the image stay in the image) and the copy never follows a symlink out of it.
 */
export function copyUp(rootfs: string, target: string, volume: string): void {
  try {
    copyTree({ root: rootfs, path: target }, { root: '', path: volume }, CopyFlag.XATTRS | CopyFlag.HARDLINKS | CopyFlag.ROOT_ATTRS | CopyFlag.IGNORE_CHOWN);
  } catch (e) {
    // Nothing at that path in the image (or not a directory): the volume starts empty.
    if (e instanceof SysError && (e.code === 'ENOENT' || e.code === 'ENOTDIR') && e.message.startsWith(`copy open ${target}:`)) return;
    throw wrap(e, `cannot fill the volume for ${target}`);
  }
}
