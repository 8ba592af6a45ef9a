// A container run in the foreground by this process: a root filesystem (a plain
// directory, or an image's mounted by container/rootfs.ts) plus docker's process settings
// in, docker's exit code out. Signals are the caller's policy (docker's --sig-proxy): it
// gets a control to forward them through hooks.attach.
//
//   const code = await runForeground({ rootfs, args: ['sh', '-c', 'exit 7'] }, host, io);
import { closeSync, fstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';
import { buildDir, hxRoot, runningFromBundle } from '../sys/install.js';
import type { HostMode } from '../host/mode.js';
import { ttyGroupMapped } from '../host/mode.js';
import { openInRoot } from '../sys/spawn.js';
import { SysError } from '../sys/errors.js';
import { hostLastCap } from '../runtime/capabilities.js';
import { ContainerProcess } from '../runtime/container-process.js';
import { FD_NULL } from '../runtime/plan.js';
import { ContainerStdio, type InputSource, type OutputTarget } from '../runtime/stdio.js';
import { ContainerConfigError } from '../runtime/run-errors.js';
import { buildPlan, containerCapabilities, type ContainerOptions, type HostFacts, type SeccompChoice, type UserFiles } from '../runtime/spec.js';
import type { TerminalIO, TerminalSession } from '../runtime/tty.js';
import { parseGroup, parsePasswd } from '../runtime/user.js';
import { cachedFilter, compilerIdentity } from '../runtime/seccomp-cache.js';

export type { ContainerOptions } from '../runtime/spec.js';

export interface RunIO {
  /** What the container reads as stdin (-i): an fd of this process or a stream; null
   * gives it /dev/null. Without a terminal the container gets pipes, never these fds. */
  stdin: InputSource;
  stdout: OutputTarget;
  stderr: OutputTarget;
  /** With tty: where keystrokes come from (only with -i) and where output goes. */
  terminal?: TerminalIO;
}

/** What the caller can do to a running container (its signal policy uses it). */
export interface RunControl {
  /** Send SIGNAL to the container's pid 1; false once it has exited. */
  signal(signal: number): boolean;
  /** The caller's terminal changed size (SIGWINCH): pass it on (with -t). */
  resize(): void;
}

export interface RunHooks {
  /** Called after the container's namespaces exist and before its command runs
   * (e.g. to connect its network namespace, /proc/PID/ns/net). */
  beforeStart?(container: { pid: number }): Promise<void> | void;
  /** The container exists: install the caller's signal forwarding; the returned function
   * removes it once the container is gone. */
  attach?(control: RunControl): () => void;
  /** Timing marks for `hx bench run` (engine/phases.ts): plan, cloned, start, exited. */
  onPhase?(name: string): void;
}

/** Where the container runs: the host mode, and where the seccomp cache lives. */
export interface ForegroundHost {
  mode: HostMode;
  runtimeDir: string;
}

function checkRootfs(path: string): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new ContainerConfigError(`rootfs ${path}: no such directory`, 'give the path of a directory holding the container\'s root filesystem');
  }
  if (!statSync(real).isDirectory()) throw new ContainerConfigError(`rootfs ${path}: not a directory`, 'give the path of a directory holding the container\'s root filesystem');
  return real;
}

function checkBindSources(o: ContainerOptions): void {
  for (const m of o.mounts ?? []) {
    if (m.type !== 'bind') continue;
    try {
      statSync(m.source);
    } catch {
      throw new ContainerConfigError(`bind source path does not exist: ${m.source}`, 'create it first, or fix the path (host paths must be absolute)');
    }
  }
}

/** A file of the container read as if its root were "/" (null when missing). */
function readContainerFile(rootfs: string, path: string): string | null {
  let fd: number;
  try {
    fd = openInRoot(rootfs, path);
  } catch (e) {
    if (e instanceof SysError && (e.code === 'ENOENT' || e.code === 'ENOTDIR' || e.code === 'ELOOP')) return null;
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > 16 << 20) return null;
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

function userFiles(rootfs: string): UserFiles {
  const passwd = readContainerFile(rootfs, '/etc/passwd');
  const group = readContainerFile(rootfs, '/etc/group');
  return { passwd: passwd === null ? null : parsePasswd(passwd), group: group === null ? null : parseGroup(group) };
}

function hostFacts(mode: HostMode): HostFacts {
  const facts: HostFacts = { setgroupsAllowed: mode.setgroupsAllowed, ttyGroupMapped: ttyGroupMapped(mode), lastCap: hostLastCap(), initBinary: join(buildDir(), 'init') };
  if (mode.rootless) facts.idMaps = { uid: mode.uidMap, gid: mode.gidMap };
  return facts;
}

async function seccompFilter(choice: SeccompChoice, capabilities: string[], runtimeDir: string): Promise<Buffer | null> {
  if (choice === 'unconfined') return null;
  const compile = async () => {
    const { compileSeccomp } = await import('../runtime/seccomp/index.js');
    return compileSeccomp({ profile: choice, capabilities });
  };
  if (choice !== 'default') return compile(); // a profile file is read and compiled every time
  return cachedFilter(join(runtimeDir, 'seccomp'), compilerIdentity(seccompSources()), `default ${process.arch} ${capabilities.join(',')}`, compile);
}

/** The files the seccomp compiler runs from: the CLI bundle, or its modules in dist/. */
function seccompSources(): string[] {
  if (runningFromBundle()) return [join(buildDir(), 'cli.cjs')];
  const dir = join(hxRoot(), 'dist', 'runtime', 'seccomp');
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.js')).sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/**
 * Run a container in the foreground and resolve with its exit code (docker's: the
 * command's status, 128+N after signal N). Errors before the command runs reject with
 * an error carrying exitCode 125, 126 or 127; nothing is left behind either way.
 */
export async function runForeground(options: ContainerOptions, host: ForegroundHost, io: RunIO, hooks: RunHooks = {}): Promise<number> {
  const rootfs = checkRootfs(options.rootfs);
  checkBindSources(options);
  if (options.init && !existsFile(join(buildDir(), 'init'))) {
    throw new ContainerConfigError(`${join(buildDir(), 'init')} is missing`, 'run `npm install` (or `npm run build`) in the hx directory');
  }
  const facts = hostFacts(host.mode);
  const capabilities = containerCapabilities(options, facts.lastCap);
  const seccompChoice: SeccompChoice = options.seccomp ?? (options.privileged ? 'unconfined' : 'default');
  const seccomp = await seccompFilter(seccompChoice, capabilities, host.runtimeDir);
  const hostname = options.hostname ?? (options.network === 'host' ? hostHostname() : randomHostname());
  const stdio = options.tty ? undefined : new ContainerStdio(io.stdin, io.stdout, io.stderr);
  const plan = buildPlan({
    options: { ...options, rootfs },
    facts,
    files: userFiles(rootfs),
    hostname,
    capabilities,
    seccomp,
    stdio: stdio ? stdio.slots : [FD_NULL, FD_NULL, FD_NULL],
  });
  hooks.onPhase?.('plan');

  const proc = new ContainerProcess(plan, facts.idMaps);
  stdio?.attach(proc.stdioPipes);
  hooks.onPhase?.('cloned');
  let terminal: TerminalSession | undefined;
  const detach = hooks.attach?.({ signal: (sig) => proc.signal(sig), resize: () => terminal?.resize() });
  try {
    if (options.tty) {
      // The child hands over the terminal before it waits for the go-ahead: size it now,
      // so the command sees the right window from its first instruction.
      const master = proc.terminal();
      const { TerminalSession } = await import('../runtime/tty.js'); // node:tty only for -t
      if (!io.terminal) throw new ContainerConfigError('a terminal (-t) needs the terminal streams to use', 'pass io.terminal');
      terminal = new TerminalSession(master, io.terminal);
    }
    if (hooks.beforeStart) await hooks.beforeStart({ pid: proc.pid });
    proc.start();
    hooks.onPhase?.('start');
    const exit = await proc.exited;
    hooks.onPhase?.('exited');
    if (terminal) await terminal.drained;
    await stdio?.finish();
    return exit.code;
  } catch (e) {
    proc.kill();
    await proc.exited.catch(() => {});
    await stdio?.finish();
    throw e;
  } finally {
    detach?.();
    terminal?.close();
  }
}

/** 12 hex digits, like the short container ids docker uses as hostnames (node:crypto
 * would cost ~3 ms to load; a hostname needs no cryptographic randomness). */
function randomHostname(): string {
  let out = '';
  for (let i = 0; i < 12; i++) out += Math.floor(Math.random() * 16).toString(16);
  return out;
}

function existsFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
