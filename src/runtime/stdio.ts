// A container's stdin, stdout and stderr without a terminal: pipes of its own, never an
// fd that hx was given. hx's fds (the user's terminal, a file the shell redirected to)
// could otherwise be read from, reconfigured with tcsetattr, or reopened through
// /proc/self/fd by the container. Bytes between the pipes and hx's fds move on a thread of
// libhxns (native/lib/relay.c), off Node's event loop; an embedding program may pass
// streams instead, which are piped here in JS.
import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { hxRoot } from '../sys/install.js';
import { finishRelay, startRelay } from '../sys/spawn.js';
import { FD_NULL, FD_PIPE, FD_PIPE_STDOUT } from './plan.js';

/** Where a stream of the container goes: an fd of this process (relayed), or a stream. */
export type OutputTarget = number | Writable;
/** Where stdin comes from: an fd of this process, a stream, or nothing (/dev/null). */
export type InputSource = number | Readable | null;

/** Same open file (a terminal, a pipe, `2>&1` into a file): one pipe keeps the order. */
function sameFile(a: number, b: number): boolean {
  try {
    const x = fstatSync(a);
    const y = fstatSync(b);
    return x.dev === y.dev && x.ino === y.ino && x.rdev === y.rdev;
  } catch {
    return false;
  }
}

interface StreamPump {
  done: Promise<void>;
  stop(): void;
}

export class ContainerStdio {
  /** The plan's stdio slots (FD_NULL or a pipe request). */
  readonly slots: [number, number, number];
  private relay: number | undefined;
  private pumps: StreamPump[] = [];
  private readonly merged: boolean;

  constructor(
    private readonly stdin: InputSource,
    private readonly stdout: OutputTarget,
    private readonly stderr: OutputTarget,
  ) {
    this.merged = typeof stdout === 'number' && typeof stderr === 'number' && (stdout === stderr || sameFile(stdout, stderr));
    this.slots = [stdin === null ? FD_NULL : FD_PIPE, FD_PIPE, this.merged ? FD_PIPE_STDOUT : FD_PIPE];
  }

  /** The container exists and PIPES are hx's ends (stdin write end, stdout and stderr read ends). */
  attach(pipes: [number, number, number]): void {
    const fdIn = typeof this.stdin === 'number' ? this.stdin : -1;
    const fdOut = typeof this.stdout === 'number' ? this.stdout : -1;
    const fdErr = typeof this.stderr === 'number' && !this.merged ? this.stderr : -1;
    const relayed: [number, number][] = [
      [fdIn, fdIn >= 0 ? pipes[0] : -1],
      [fdOut >= 0 ? pipes[1] : -1, fdOut],
      [fdErr >= 0 ? pipes[2] : -1, fdErr],
    ];
    if (relayed.some(([a, b]) => a >= 0 && b >= 0)) this.relay = startRelay(relayed[0]!, relayed[1]!, relayed[2]!);
    if (this.stdin !== null && typeof this.stdin !== 'number') this.pumps.push(pumpIn(this.stdin, pipes[0]));
    if (typeof this.stdout !== 'number') this.pumps.push(pumpOut(pipes[1], this.stdout));
    if (typeof this.stderr !== 'number' && !this.merged) this.pumps.push(pumpOut(pipes[2], this.stderr));
  }

  /** After the container exited: everything it wrote has been delivered. */
  async finish(): Promise<void> {
    if (this.relay !== undefined) finishRelay(this.relay);
    this.relay = undefined;
    // Every writer is gone, so the pipes reach EOF once drained; a writer kept alive
    // elsewhere (an fd the container passed out) must not hold hx forever.
    const timer = setTimeout(() => this.pumps.forEach((p) => p.stop()), 2000);
    await Promise.all(this.pumps.map((p) => p.done));
    clearTimeout(timer);
    this.pumps = [];
  }

  /** The container never started: close what nobody will relay. */
  abandon(): void {
    if (this.relay !== undefined) finishRelay(this.relay);
    this.relay = undefined;
    for (const p of this.pumps) p.stop();
    this.pumps = [];
  }
}

// Streams (an embedding program's) go through libuv pipe handles: node:net is loaded only
// on this path, so `hx run` never pays for it (require: run.cjs runs in a vm.Script,
// where import() throws).
function socketFor(fd: number, readable: boolean): Socket {
  const net = createRequire(join(hxRoot(), 'package.json'))('node:net') as typeof import('node:net');
  return new net.Socket({ fd, readable, writable: !readable });
}

function pumpOut(fd: number, out: Writable): StreamPump {
  const sock = socketFor(fd, true);
  const done = new Promise<void>((resolve) => {
    sock.on('end', resolve);
    sock.on('close', resolve);
    sock.on('error', resolve);
  });
  sock.pipe(out, { end: false });
  return { done, stop: () => sock.destroy() };
}

function pumpIn(input: Readable, fd: number): StreamPump {
  const sock = socketFor(fd, false);
  sock.on('error', () => {}); // EPIPE: the container closed its stdin
  input.pipe(sock);
  return { done: Promise.resolve(), stop: () => { input.unpipe(sock); sock.destroy(); } };
}
