// The Engine API for running a container in the foreground: a root filesystem (a plain
// directory, or an overlay the image store mounted) plus docker's process settings in,
// docker's exit code out.
//
//   const code = await runContainer({ rootfs, args: ['sh', '-c', 'exit 7'] });
//
// Images: merge the image config with the user's flags first (mergeRunConfig in
// engine/image-rootfs.ts gives args, env, cwd, user), then pass them here with the rootfs.
import { closeSync, fstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { buildDir, hxRoot, runningFromBundle } from '../sys/paths.js';
import { openInRoot } from '../sys/spawn.js';
import { SysError } from '../sys/errors.js';
import { hostLastCap } from '../runtime/capabilities.js';
import { ContainerProcess } from '../runtime/container-process.js';
import { FD_NULL } from '../runtime/plan.js';
import { ContainerStdio, type InputSource, type OutputTarget } from '../runtime/stdio.js';
import { ContainerConfigError } from '../runtime/run-errors.js';
import { buildPlan, containerCapabilities, type ContainerOptions, type HostFacts, type SeccompChoice, type UserFiles } from '../runtime/spec.js';
import type { TerminalIO, TerminalSession } from '../runtime/tty.js';
import { idMapContains, parseIdMap } from '../runtime/idmap.js';
import { parseGroup, parsePasswd } from '../runtime/user.js';
import { isRootful, runtimeDir } from '../runtime/paths.js';
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
  /** Forward INT, TERM, HUP, QUIT, USR1, USR2 and WINCH sent to this process. Default true. */
  forwardSignals?: boolean;
}

export interface RunHooks {
  /** Called after the container's namespaces exist and before its command runs
   * (e.g. to connect its network namespace, /proc/PID/ns/net). */
  beforeStart?(container: { pid: number }): Promise<void> | void;
  /** Timing marks for `hx bench run` (engine/phases.ts): plan, cloned, start, exited. */
  onPhase?(name: string): void;
}

/** This process's stdio: fd 0 only with -i; the TTY streams with -t. */
export function processIO(interactive: boolean, tty: boolean): RunIO {
  const io: RunIO = { stdin: interactive ? 0 : null, stdout: 1, stderr: 2 };
  if (tty) io.terminal = interactive ? { input: process.stdin, output: process.stdout } : { output: process.stdout };
  return io;
}

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

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

function hostFacts(): HostFacts {
  const facts: HostFacts = { setgroupsAllowed: true, ttyGroupMapped: true, lastCap: hostLastCap(), initBinary: join(buildDir(), 'init') };
  if (!isRootful()) {
    try {
      facts.setgroupsAllowed = readFileSync('/proc/self/setgroups', 'utf8').trim() === 'allow';
      const gid = parseIdMap(readFileSync('/proc/self/gid_map', 'utf8'));
      facts.idMaps = { uid: parseIdMap(readFileSync('/proc/self/uid_map', 'utf8')), gid };
      facts.ttyGroupMapped = idMapContains(gid, 5);
    } catch {
      facts.setgroupsAllowed = false;
      facts.ttyGroupMapped = false;
    }
  }
  return facts;
}

async function seccompFilter(choice: SeccompChoice, capabilities: string[]): Promise<Buffer | null> {
  if (choice === 'unconfined') return null;
  const compile = async () => {
    const { compileSeccomp } = await import('../runtime/seccomp/index.js');
    return compileSeccomp({ profile: choice, capabilities });
  };
  if (choice !== 'default') return compile(); // a profile file is read and compiled every time
  return cachedFilter(join(runtimeDir(), 'seccomp'), compilerIdentity(seccompSources()), `default ${process.arch} ${capabilities.join(',')}`, compile);
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
export async function runContainer(options: ContainerOptions, io: RunIO = processIO(false, options.tty ?? false), hooks: RunHooks = {}): Promise<number> {
  const rootfs = checkRootfs(options.rootfs);
  checkBindSources(options);
  if (options.init && !existsFile(join(buildDir(), 'init'))) {
    throw new ContainerConfigError(`${join(buildDir(), 'init')} is missing`, 'run `npm install` (or `npm run build`) in the hx directory');
  }
  const facts = hostFacts();
  const capabilities = containerCapabilities(options, facts.lastCap);
  const seccompChoice: SeccompChoice = options.seccomp ?? (options.privileged ? 'unconfined' : 'default');
  const seccomp = await seccompFilter(seccompChoice, capabilities);
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
  const forward = io.forwardSignals ?? true;
  const handlers = new Map<string, () => void>();
  if (forward) {
    for (const name of FORWARDED_SIGNALS) {
      const h = () => {
        if (name === 'SIGWINCH' && terminal) terminal.resize();
        else proc.signal(osConstants.signals[name]);
      };
      handlers.set(name, h);
      process.on(name, h);
    }
  }
  try {
    if (options.tty) {
      // The child hands over the terminal before it waits for the go-ahead: size it now,
      // so the command sees the right window from its first instruction.
      const master = proc.terminal();
      const { TerminalSession } = await import('../runtime/tty.js'); // node:tty only for -t
      terminal = new TerminalSession(master, io.terminal ?? { output: process.stdout });
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
    for (const [name, h] of handlers) process.off(name, h);
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
