// What `hx run IMAGE` needs from the image store: a root filesystem (the image's layers
// under a per-container upper dir), the image config merged with the flags (docker's
// Entrypoint/Cmd rules, Env, WorkingDir, User), the image's VOLUMEs as anonymous volumes
// (filled from the image, like docker), and a cleanup for after the process exits.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HxError } from '../errors.js';
import { createContainerRootfs, mergeRunConfig, removeContainerRootfs, unmountContainerRootfs, type RunConfig } from './image-rootfs.js';
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
}

export interface ImageRun extends RunConfig {
  containerId: string;
  rootfs: string;
  driver: string;
  /** Anonymous volumes for the image's VOLUMEs: bind SOURCE at TARGET. */
  volumeMounts: { source: string; target: string }[];
  /** After the container exited: remove everything (--rm) or just unmount (kept for GC/inspect). */
  finish(remove: boolean): Promise<void>;
}

export async function prepareImageRun(req: ImageRunRequest): Promise<ImageRun> {
  const made = await createContainerRootfs(req.image, {
    ...(req.name ? { name: req.name } : {}),
    ...(req.storageDriver ? { storageDriver: req.storageDriver } : {}),
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
    cfg.volumes.forEach((target, i) => {
      if (!target.startsWith('/')) return;
      const source = join(store.containerDir(made.id), 'volumes', String(i));
      mkdirSync(source, { recursive: true, mode: 0o755 });
      // docker fills a new anonymous volume with what the image has at its path.
      const inImage = join(made.rootfs, target);
      let isDir = false;
      try {
        isDir = lstatSync(inImage).isDirectory();
      } catch {
        isDir = false;
      }
      if (isDir) {
        const r = spawnSync('cp', ['-a', `${inImage}/.`, source]);
        if (r.status !== 0) throw new HxError(`cannot fill the volume for ${target}: ${r.stderr.toString().trim()}`);
      }
      volumeMounts.push({ source, target });
    });
    return {
      ...cfg,
      containerId: made.id,
      rootfs: made.rootfs,
      driver: made.driver,
      volumeMounts,
      finish: async (remove: boolean) => {
        if (remove) await removeContainerRootfs(made.id);
        else if (existsSync(made.rootfs)) unmountContainerRootfs(made.id);
      },
    };
  } catch (e) {
    await removeContainerRootfs(made.id).catch(() => {});
    throw e;
  }
}
