// An attached terminal session (attach, start -a, run with a restart policy): this
// process's stdin in raw mode for a container with a terminal, its window size passed
// on, signals passed on (docker's --sig-proxy, for containers without a terminal), and
// docker's exit: the container's code, or 1 with "read escape sequence" on detach.
import { constants as osConstants } from 'node:os';
import type { Attachment } from '../../../engine/index.js';
import type { CommandContext } from '../../context.js';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** KILL sends a signal to the container (the engine's kill, given so the run bundle
 * need not load the whole Engine). */
export async function holdSession(ctx: CommandContext, a: Attachment, sigProxy: boolean, kill: (signal: string) => Promise<unknown>): Promise<number> {
  const stdin = ctx.stdin;
  const raw = a.tty && a.stdin && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  const handlers: [string, () => void][] = [];
  if (a.tty && process.stdout.isTTY) {
    const resize = (): void => a.resize(process.stdout.rows, process.stdout.columns);
    resize();
    handlers.push(['SIGWINCH', resize]);
  }
  if (sigProxy && !a.tty) {
    for (const name of FORWARDED) handlers.push([name, () => void kill(String(osConstants.signals[name])).catch(() => {})]);
  }
  for (const [n, h] of handlers) process.on(n, h);
  try {
    const end = await a.ended;
    if (end.detached) {
      ctx.stderr.write('read escape sequence\n');
      return 1;
    }
    return end.exitCode ?? 0;
  } finally {
    for (const [n, h] of handlers) process.off(n, h);
    if (raw) stdin.setRawMode(false);
    if (a.stdin) stdin.pause();
  }
}

/** The streams an attachment reads and writes: this process's. */
export function processStreams(ctx: CommandContext, withStdin: boolean): { stdin: NodeJS.ReadStream | null; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } {
  return { stdin: withStdin ? ctx.stdin : null, stdout: process.stdout, stderr: process.stderr };
}
