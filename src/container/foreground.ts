// A container run in the foreground by this process: a root filesystem (a plain
// directory, or an image's mounted by container/rootfs.ts) plus docker's process settings
// in, docker's exit code out. Signals are the caller's policy (docker's --sig-proxy): it
// gets a control to forward them through hooks.attach.
//
//   const code = await runForeground({ rootfs, args: ['sh', '-c', 'exit 7'] }, host, io);
import { ContainerProcess } from '../runtime/container-process.js';
import { FD_NULL } from '../runtime/plan.js';
import { ContainerStdio, type InputSource, type OutputTarget } from '../runtime/stdio.js';
import { ContainerConfigError } from '../runtime/run-errors.js';
import type { ContainerOptions } from '../runtime/spec.js';
import type { TerminalIO, TerminalSession } from '../runtime/tty.js';
import { planContainer, planExec, type PlanHost, type PlannedRun } from './plan.js';

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
  /** Something the user should know that does not stop the run (docker's WARNING: lines). */
  onWarning?(message: string): void;
  /** The command runs (pid in hx's pid namespace): record it, for exec, ps, stop. */
  onStarted?(container: { pid: number }): void;
  /** docker's warnings about the request (a discarded limit...), before it starts. */
  onWarning?(message: string): void;
}

export type { PlanHost as ForegroundHost };

/**
 * Run a container in the foreground and resolve with its exit code (docker's: the
 * command's status, 128+N after signal N). Errors before the command runs reject with
 * an error carrying exitCode 125, 126 or 127; nothing is left behind either way.
 */
export async function runForeground(options: ContainerOptions, host: PlanHost, io: RunIO, hooks: RunHooks = {}): Promise<number> {
  return supervise(options.tty ?? false, (slots) => planContainer(options, host, slots), io, hooks);
}

/** `hx exec` without -d: a process joined to a running container (its pid 1 given by pid
 * and start time), supervised like a foreground run: same stdio, terminal, exit codes. */
export async function execForeground(container: ContainerOptions, exec: ExecRequest, target: { pid: number; startTime: bigint }, host: PlanHost, io: RunIO, hooks: RunHooks = {}): Promise<number> {
  return supervise(exec.tty ?? false, (slots) => planExec(container, exec, target, host, slots), io, hooks);
}

export type ExecRequest = Parameters<typeof planExec>[1];

async function supervise(tty: boolean, plan: (slots: [number, number, number]) => Promise<PlannedRun>, io: RunIO, hooks: RunHooks): Promise<number> {
  if (tty && !io.terminal) throw new ContainerConfigError('a terminal (-t) needs the terminal streams to use', 'pass io.terminal');
  const stdio = tty ? undefined : new ContainerStdio(io.stdin, io.stdout, io.stderr);
  const planned = await plan(stdio ? stdio.slots : [FD_NULL, FD_NULL, FD_NULL]);
  hooks.onPhase?.('plan');

  const proc = new ContainerProcess(planned.plan, planned.facts.idMaps);
  stdio?.attach(proc.stdioPipes);
  hooks.onPhase?.('cloned');
  let terminal: TerminalSession | undefined;
  const detach = hooks.attach?.({ signal: (sig) => proc.signal(sig), resize: () => terminal?.resize() });
  try {
    if (tty) {
      // The child hands over the terminal before it waits for the go-ahead: size it now,
      // so the command sees the right window from its first instruction.
      const master = proc.terminal();
      const { TerminalSession } = await import('../runtime/tty.js'); // node:tty only for -t
      terminal = new TerminalSession(master, io.terminal!);
    }
    if (hooks.beforeStart) await hooks.beforeStart({ pid: proc.pid });
    proc.start();
    hooks.onPhase?.('start');
    hooks.onStarted?.({ pid: proc.pid });
    const exit = await proc.exited;
    hooks.onPhase?.('exited');
    if (terminal) await terminal.drained;
    await stdio?.finish();
    return exit.code;
  } catch (e) {
    // a child that failed on its own (command not found) explains a failed beforeStart
    const own = proc.reportedFailure();
    proc.kill();
    await proc.exited.catch(() => {});
    await stdio?.finish();
    throw own ?? e;
  } finally {
    detach?.();
    terminal?.close();
  }
}
