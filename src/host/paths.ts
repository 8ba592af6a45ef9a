// Where hx keeps state: the runtime dir (holder pid, locks; tmpfs, per boot) and the
// storage root (images, layers, containers). native/holder.c computes the runtime dir
// the same way; keep the two in step.
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The user hx acts for: outside the namespace getuid(); inside, what the launcher recorded. */
export function hostUid(): number {
  const recorded = process.env.HX_HOST_UID;
  if (recorded !== undefined && process.env.HX_NS_PID) return Number(recorded);
  return process.getuid!();
}

export function hostGid(): number {
  const recorded = process.env.HX_HOST_GID;
  if (recorded !== undefined && process.env.HX_NS_PID) return Number(recorded);
  return process.getgid!();
}

export function isRootful(): boolean {
  return hostUid() === 0;
}

export interface RuntimeDirChoice {
  path: string;
  /** Why XDG_RUNTIME_DIR was not used, when it was not. */
  fallbackReason?: string;
}

export function runtimeDirChoice(env: NodeJS.ProcessEnv = process.env): RuntimeDirChoice {
  const explicit = env.HX_RUNTIME_DIR;
  if (explicit) return { path: explicit };
  const uid = hostUid();
  if (uid === 0) return { path: '/run/hx' };
  const xdg = env.XDG_RUNTIME_DIR;
  const fallback = `/tmp/hx-${uid}`;
  if (!xdg) return { path: fallback, fallbackReason: 'XDG_RUNTIME_DIR is not set' };
  try {
    const st = statSync(xdg);
    if (!st.isDirectory()) return { path: fallback, fallbackReason: `XDG_RUNTIME_DIR=${xdg} is not a directory` };
    // Inside the namespace our own uid shows as 0, so compare against what the host sees.
    const owner = env.HX_NS_PID ? (st.uid === 0 ? uid : st.uid) : st.uid;
    if (owner !== uid) return { path: fallback, fallbackReason: `XDG_RUNTIME_DIR=${xdg} belongs to uid ${st.uid}, not to you (common after su)` };
  } catch {
    return { path: fallback, fallbackReason: `XDG_RUNTIME_DIR=${xdg} does not exist` };
  }
  return { path: join(xdg, 'hx') };
}

export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  return runtimeDirChoice(env).path;
}

export function storageRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HX_STORAGE_ROOT) return env.HX_STORAGE_ROOT;
  if (isRootful()) return '/var/lib/hx';
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(dataHome, 'hx');
}

/** Where the user's own hx configuration lives (registries.json, auth.json, certs). */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'hx');
}
