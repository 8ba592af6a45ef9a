// The network namespace hx holds for every user network (rootless podman's design): made
// inside hx's user namespace, kept alive by a bind mount of its nsfs file in the holder's
// mount namespace (RUNTIME/networks/netns). A bind mount rather than a held process: no
// process to supervise or leak, it survives the hx that made it (detached containers), and
// "is it there" is one line of /proc/self/mountinfo. Released (umount) when no user network
// has a running container, which takes its bridges with it.
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { HxError } from '../errors.js';

export const NETNS_FILE = 'netns';

/** RUNTIME/networks: the held namespace, its lock, and a directory per network. */
export function planeDir(runtimeDir: string): string {
  return join(runtimeDir, 'networks');
}

/** The plane lock. Rootless: in the plane dir (the held namespace is the plane's own). Rootful:
 * one per network namespace, in /run/lock, so that two stores (two runtime dirs) in one
 * namespace take turns at the chains they share; in the plane dir where /run/lock is not
 * writable. */
export function planeLockPath(plane: string, rootful: boolean): string {
  if (rootful) {
    try {
      accessSync('/run/lock', constants.W_OK);
      const ns = statSync('/proc/self/ns/net');
      return join('/run/lock', `hx-net-${ns.dev}-${ns.ino}.lock`);
    } catch {
      /* no /run/lock: the plane's own */
    }
  }
  return join(plane, 'plane.lock');
}

export function netnsPath(plane: string): string {
  return join(plane, NETNS_FILE);
}

/** Whether PATH is a mount point in this mount namespace (the nsfs bind is in place). */
export function isMounted(path: string): boolean {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return false;
  }
  const escaped = path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return text.split('\n').some((l) => l.split(' ')[4] === escaped);
}

/** The held namespace, made now when it is not there (call under the plane lock). */
export function ensureHeldNetns(plane: string): string {
  const path = netnsPath(plane);
  if (isMounted(path)) return path;
  mkdirSync(plane, { recursive: true, mode: 0o700 });
  if (!existsSync(path)) writeFileSync(path, '', { mode: 0o600 });
  // /proc/self is the mount process, already in the new namespace; lo up for the DNS responders
  const r = spawnSync('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up && exec mount --bind /proc/self/ns/net "$0"', path], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) {
    throw new HxError(`could not make hx's network namespace: ${(r.stderr || r.error?.message || '').trim()}`, { kind: 'host-setup', hint: 'user networks need unshare(1), mount(1) and ip(8) (util-linux, iproute2)' });
  }
  return path;
}

/** Drop the held namespace (its bridges and veths go with it once nothing runs inside). */
export function releaseHeldNetns(plane: string): void {
  const path = netnsPath(plane);
  if (isMounted(path)) spawnSync('umount', ['-l', path], { timeout: 10_000 });
  rmSync(path, { force: true });
}

/** hx's own network namespace (rootful networks): commands for it run without nsenter. */
export const SELF_NETNS = '/proc/self/ns/net';

/** Run ARGS inside the namespace at NSPATH (a held one, /proc/PID/ns/net, or SELF_NETNS). */
export function inNetns(nsPath: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const [cmd, ...rest] = nsPath === SELF_NETNS ? args : ['nsenter', `--net=${nsPath}`, '--', ...args];
  const r = spawnSync(cmd!, rest, { encoding: 'utf8', timeout: 10_000, ...(input !== undefined ? { input } : {}) });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
}
