// Probes of what this host lets an unprivileged user do. Each runs the real operation
// (in a throw-away process: the launcher's probe modes) instead of guessing from versions.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { launcherPath } from '../sys/install.js';
import { findInPath } from './which.js';

export { findInPath };
import { lgetxattr } from '../sys/libc.js';

export interface ProbeResult {
  ok: boolean;
  errno?: number;
  step?: string;
}

function parseProbe(stdout: string): ProbeResult {
  const line = stdout.trim();
  if (line === 'ok') return { ok: true };
  const m = /^error (\d+)(?: (\S+))?/.exec(line);
  if (m) return { ok: false, errno: Number(m[1]), ...(m[2] ? { step: m[2] } : {}) };
  return { ok: false, step: line || 'no output' };
}

export function probeUserNamespace(): ProbeResult {
  const r = spawnSync(launcherPath(), ['__probe-userns'], { encoding: 'utf8' });
  return parseProbe(r.stdout ?? '');
}

/** Mount overlayfs (with userxattr when rootless) in a fresh namespace, under DIR. */
export function probeOverlay(parentDir: string): ProbeResult {
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(parentDir, '.probe-overlay-'));
    const r = spawnSync(launcherPath(), ['__probe-overlay', dir], { encoding: 'utf8' });
    return parseProbe(r.stdout ?? '');
  } catch (e) {
    return { ok: false, step: (e as Error).message };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

export function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export interface IdMapperCheck {
  path?: string;
  setuid: boolean;
  fileCaps: boolean;
}

/** newuidmap/newgidmap must be setuid root or carry file capabilities to map ranges. */
export function checkIdMapper(name: string): IdMapperCheck {
  const path = findInPath(name);
  if (!path) return { setuid: false, fileCaps: false };
  const st = statSync(path);
  let fileCaps = false;
  try {
    fileCaps = lgetxattr(path, 'security.capability') !== null;
  } catch {
    fileCaps = false;
  }
  return { path, setuid: (st.mode & 0o4000) !== 0 && st.uid === 0, fileCaps };
}

export function toolVersion(path: string, args: string[] = ['--version']): string | undefined {
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: 5000 });
  const lines = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n');
  const name = basename(path);
  const text = lines.find((l) => l.includes(name) && /version/i.test(l)) ?? lines.find((l) => /version/i.test(l) && /\d/.test(l));
  return text?.trim();
}

/** Can this user open a character device read-write (e.g. /dev/net/tun, /dev/fuse)? */
export function canOpenDevice(path: string): { exists: boolean; usable: boolean; mode?: string } {
  try {
    const st = statSync(path);
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
      return { exists: true, usable: true, mode };
    } catch {
      return { exists: true, usable: false, mode };
    }
  } catch {
    return { exists: false, usable: false };
  }
}
