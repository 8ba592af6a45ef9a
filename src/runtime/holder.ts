// The rootless namespace holder (DESIGN.md "Why a launcher"): a small process, the
// launcher binary in holder mode, that owns the user and mount namespaces every rootless
// hx command joins. Created on demand, recorded in RUNTIME_DIR/holder.pid as
// "PID STARTTIME" so a recycled pid is never trusted.
// node:child_process is loaded only when a holder is created: importing it costs every
// rootless command (hx run included) a few ms.
import type { spawnSync as SpawnSync } from 'node:child_process';
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { HostSetupError, HxError } from '../errors.js';
import { hxRoot, launcherPath } from '../sys/install.js';
import { flock, LOCK } from '../sys/libc.js';
import { hostUid, runtimeDir } from '../host/paths.js';
import type { IdMapEntry, RootlessIdentity } from '../host/idmap.js';
import { readProcStat } from '../host/procstat.js';

export const HOLDER_COMM = 'hx-holder';

export type HolderState =
  | { state: 'alive'; pid: number }
  | { state: 'absent' }
  | { state: 'invalid'; reason: string };

/** What RUNTIME_DIR/holder.pid says, checked the way the launcher checks it. */
export function inspectHolder(dir = runtimeDir()): HolderState {
  let text: string;
  try {
    text = readFileSync(join(dir, 'holder.pid'), 'latin1');
  } catch {
    return { state: 'absent' };
  }
  const m = /^(\d+) (\d+)\n?$/.exec(text);
  if (!m) return { state: 'invalid', reason: 'the pid file is not "PID STARTTIME"' };
  const pid = Number(m[1]);
  if (pid <= 1) return { state: 'invalid', reason: `pid ${pid} cannot be a holder` };
  const stat = readProcStat(pid);
  if (!stat) return { state: 'invalid', reason: `process ${pid} is gone` };
  if (stat.comm !== HOLDER_COMM) return { state: 'invalid', reason: `process ${pid} is ${stat.comm}, not the holder` };
  if (stat.startTime !== m[2]) return { state: 'invalid', reason: `process ${pid} was started after the pid file was written` };
  // A killed holder that nobody reaped yet is a zombie: its namespaces are gone.
  if (stat.state === 'Z' || stat.state === 'X') return { state: 'invalid', reason: `holder ${pid} has exited` };
  try {
    if (lstatSync(`/proc/${pid}`).uid !== process.getuid!()) return { state: 'invalid', reason: `process ${pid} belongs to another user` };
  } catch {
    return { state: 'invalid', reason: `process ${pid} is gone` };
  }
  return { state: 'alive', pid };
}

/** Create the runtime dir 0700, refusing one that someone else planted (it may be in /tmp). */
export function ensureRuntimeDir(dir = runtimeDir()): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== process.getuid!()) {
    throw new HxError(`runtime directory ${dir} is not a directory owned by you`, {
      hint: `remove it, or set XDG_RUNTIME_DIR to a private directory (for example: export XDG_RUNTIME_DIR=$(mktemp -d))`,
    });
  }
  return dir;
}

function withLock<T>(path: string, body: () => T): T {
  const fd = openSync(path, 'a', 0o600);
  try {
    flock(fd, LOCK.EX);
    return body();
  } finally {
    closeSync(fd);
  }
}

function mapArgs(map: IdMapEntry[]): string[] {
  return map.flatMap((e) => [String(e.inside), String(e.outside), String(e.count)]);
}

function writeMaps(pid: number, identity: RootlessIdentity, spawnSync: typeof SpawnSync): void {
  if (identity.singleId) {
    // An unprivileged parent may map only its own ids, and gid_map needs setgroups denied.
    writeFileSync(`/proc/${pid}/uid_map`, `0 ${identity.uid} 1\n`);
    writeFileSync(`/proc/${pid}/setgroups`, 'deny');
    writeFileSync(`/proc/${pid}/gid_map`, `0 ${identity.gid} 1\n`);
    return;
  }
  for (const [tool, map] of [['newuidmap', identity.uidMap], ['newgidmap', identity.gidMap]] as const) {
    const r = spawnSync(tool, [String(pid), ...mapArgs(map)], { encoding: 'utf8' });
    if (r.error) {
      throw new HostSetupError(`${tool} is not installed`, 'install it: sudo apt-get install uidmap (Fedora: shadow-utils, Alpine: shadow-uidmap)');
    }
    if (r.status !== 0) {
      throw new HostSetupError(
        `${tool} failed: ${(r.stderr || '').trim()}`,
        `check that ${tool} is setuid root (sudo chmod u+s $(command -v ${tool})) and that /etc/sub${tool === 'newuidmap' ? 'uid' : 'gid'} lists your range`,
      );
    }
  }
}

function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let acc = '';
    const onData = (chunk: Buffer): void => {
      acc += chunk.toString('latin1');
      const nl = acc.indexOf('\n');
      if (nl >= 0) {
        stream.off('data', onData);
        stream.off('end', onEnd);
        resolve(acc.slice(0, nl));
      }
    };
    const onEnd = (): void => resolve(acc);
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}

function userNamespaceAdvice(errno: number): string {
  if (errno === 28) {
    return 'user.max_user_namespaces is exhausted (ENOSPC here means too many user namespaces, not a full disk): raise it with sudo sysctl -w user.max_user_namespaces=28633';
  }
  return 'run `hx info` to see why unprivileged user namespaces are unavailable and how to enable them';
}

async function startHolder(identity: RootlessIdentity): Promise<number> {
  // require, not import(): build/run.cjs runs inside a vm.Script, where import() throws.
  const { spawn, spawnSync } = createRequire(join(hxRoot(), 'package.json'))('node:child_process') as typeof import('node:child_process');
  const child = spawn(launcherPath(), ['__holder'], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  const first = await readLine(child.stdout!);
  const ready = /^ready (\d+)$/.exec(first);
  if (!ready) {
    const errno = Number(/^error (\d+)/.exec(first)?.[1] ?? 0);
    child.stdin!.end();
    throw new HxError(`cannot create a user namespace${errno ? ` (errno ${errno})` : ''}`, { hint: userNamespaceAdvice(errno) });
  }
  const mapPid = Number(ready[1]);
  try {
    writeMaps(mapPid, identity, spawnSync);
  } catch (e) {
    child.stdin!.end();
    throw e;
  }
  child.stdin!.write('g');
  // The holder forks once more so it is nobody's child; the grandchild is the holder.
  const ok = /^ok (\d+)$/.exec(await readLine(child.stdout!));
  child.stdin!.destroy();
  child.stdout!.destroy();
  child.unref();
  if (!ok) throw new HxError('the namespace holder did not start', { hint: 'run `hx info` for a diagnosis' });
  return Number(ok[1]);
}

/** A live holder's pid, creating one (under a lock, so two commands agree) if needed. */
export async function ensureHolder(identity: RootlessIdentity): Promise<number> {
  const dir = ensureRuntimeDir();
  const current = inspectHolder(dir);
  if (current.state === 'alive') return current.pid;
  const lock = join(dir, 'holder.lock');
  const fd = openSync(lock, 'a', 0o600);
  try {
    flock(fd, LOCK.EX);
    const again = inspectHolder(dir);
    if (again.state === 'alive') return again.pid;
    const pid = await startHolder(identity);
    const stat = readProcStat(pid);
    if (!stat) throw new HxError('the namespace holder exited right after starting', { hint: 'run `hx info` for a diagnosis' });
    const tmp = join(dir, `holder.pid.${process.pid}`);
    writeFileSync(tmp, `${pid} ${stat.startTime}\n`, { mode: 0o600 });
    renameSync(tmp, join(dir, 'holder.pid'));
    return pid;
  } finally {
    closeSync(fd);
  }
}

/** Stop the holder (after the admin changed the subuid ranges, for example). */
export function stopHolder(dir = runtimeDir()): number | undefined {
  return withLock(join(ensureRuntimeDir(dir), 'holder.lock'), () => {
    const current = inspectHolder(dir);
    if (current.state !== 'alive') return undefined;
    process.kill(current.pid, 'SIGKILL');
    return current.pid;
  });
}

export function insideHolder(): boolean {
  return Boolean(process.env.HX_NS_PID) && process.getuid!() === 0 && hostUid() !== 0;
}
