// The run path's attach policy: which of this process's fds the container's stdio is
// relayed to, and docker's --sig-proxy (signals sent to hx are passed to the container).
import { constants as osConstants } from 'node:os';
import type { RunHooks, RunIO } from '../../engine/index.js';

/** This process's stdio: fd 0 only with -i; the terminal streams with -t. */
export function processIO(interactive: boolean, tty: boolean): RunIO {
  const io: RunIO = { stdin: interactive ? 0 : null, stdout: 1, stderr: 2 };
  if (tty) io.terminal = interactive ? { input: process.stdin, output: process.stdout } : { output: process.stdout };
  return io;
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** Forward INT, TERM, HUP, QUIT, USR1, USR2 (with --sig-proxy, the default) and WINCH. */
export function signalForwarding(sigProxy: boolean): NonNullable<RunHooks['attach']> {
  return (control) => {
    const handlers: [string, () => void][] = [['SIGWINCH', () => control.resize()]];
    if (sigProxy) for (const name of FORWARDED) handlers.push([name, () => void control.signal(osConstants.signals[name])]);
    for (const [name, h] of handlers) process.on(name, h);
    return () => {
      for (const [name, h] of handlers) process.off(name, h);
    };
  };
}
