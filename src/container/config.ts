// The image config merged with docker's run flags: Entrypoint/Cmd (an --entrypoint drops
// the image's Cmd), Env (PATH added when the image has none), WorkingDir, User, and what
// the container keeps (VOLUMEs, StopSignal, Labels).
import { HxError } from '../errors.js';
import type { ImageConfig } from '../image/config.js';
import { DEFAULT_PATH, mergeEnv } from '../runtime/env.js';

export interface RunFlags {
  /** --entrypoint: replaces the image's Entrypoint and drops its Cmd (docker). '' clears it. */
  entrypoint?: string | undefined;
  /** Arguments after IMAGE: replace the image's Cmd. */
  cmd?: string[] | undefined;
  env?: string[] | undefined;
  workdir?: string | undefined;
  user?: string | undefined;
}

export interface RunConfig {
  args: string[];
  /** The two halves of args, as docker's Config shows them. */
  entrypoint: string[];
  cmd: string[];
  env: string[];
  cwd: string;
  user: string;
  volumes: string[];
  stopSignal: string;
  labels: Record<string, string>;
}

export function mergeRunConfig(image: ImageConfig, flags: RunFlags): RunConfig {
  const c = image.config ?? {};
  let entrypoint = c.Entrypoint ?? [];
  let cmd = c.Cmd ?? [];
  if (flags.entrypoint !== undefined) {
    entrypoint = flags.entrypoint === '' ? [] : [flags.entrypoint];
    cmd = [];
  }
  if (flags.cmd && flags.cmd.length) cmd = flags.cmd;
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw new HxError('no command specified', { kind: 'invalid-argument', hint: 'the image has no Entrypoint or Cmd: give a command after the image name' });
  const imageEnv = c.Env ?? [];
  const hasPath = imageEnv.some((e) => e === 'PATH' || e.startsWith('PATH='));
  // KEY=VALUE only: the caller expands `-e KEY` from its own environment (docker's CLI does).
  const flagEnv = (flags.env ?? []).filter((e) => e.indexOf('=') > 0);
  return {
    args,
    entrypoint,
    cmd,
    env: mergeEnv(imageEnv, hasPath ? [] : [`PATH=${DEFAULT_PATH}`], flagEnv),
    cwd: flags.workdir || c.WorkingDir || '/',
    user: flags.user ?? c.User ?? '',
    volumes: Object.keys(c.Volumes ?? {}),
    stopSignal: c.StopSignal || 'SIGTERM',
    labels: c.Labels ?? {},
  };
}
