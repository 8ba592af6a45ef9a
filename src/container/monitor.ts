// The TypeScript side of the detached-container monitor (native/monitor): starting one
// for a container, and talking to it over its attach socket (frames of monitor.h).
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { HxError } from '../errors.js';
import { launcherPath } from '../sys/install.js';
import { encodePlan, type SpawnPlan } from '../runtime/plan.js';
import { startFailure } from '../runtime/exit.js';
import { childProcess, netModule } from '../host/child-process.js';

export const Frame = {
  STDIN: 1,
  STDIN_EOF: 2,
  RESIZE: 3,
  STOP: 4,
  KILL: 5,
  HELLO: 6,
  STDOUT: 16,
  STDERR: 17,
  EXIT: 18,
  ACK: 19,
} as const;

export const AttachFlag = { STDIN: 1, STDOUT: 2, STDERR: 4 } as const;

export interface MonitorOptions {
  id: string;
  /** containers/<id> in the store: plan.hxp, ctr.log, state.json. */
  dir: string;
  /** RUNTIME/containers/<id>: the attach socket. */
  runDir: string;
  tty: boolean;
  openStdin: boolean;
  restart: { name: string; max: number };
  log: { maxSize: number; maxFiles: number };
  /** Run when the container is gone for good (hx's cleanup: unmount, --rm). */
  exitCommand: string[];
  /** The fd of the container's owner lock: the monitor keeps it (store/owners.ts). */
  lockFd?: number;
  /** --log-driver none: no log file. */
  noLog?: boolean;
  /** `start -a`: the container waits until this has attached (it is called with its pid). */
  attach?: (pid: number) => Promise<void>;
  /** The environment of the monitor and of its exit command. */
  env?: NodeJS.ProcessEnv;
  /** Connect the container's network before each go-ahead: the monitor runs the exit
   * command with __network for __cleanup, plus PID and the helper's lifetime fd (3). */
  networkHook?: boolean;
  /** Health checks: the monitor runs the exit command with __healthcheck for __cleanup. */
  health?: { intervalMs: number; timeoutMs: number; startPeriodMs: number; startIntervalMs: number; retries: number };
  /** The container's cgroup: the monitor puts each start's first process there before its go-ahead. */
  cgroup?: { procs: string[]; tasks?: string[]; oomFile?: string };
  /** --oom-score-adj (0: unset). */
  oomScoreAdj?: number;
  /** The store's event log, where the monitor writes start, die and health_status. */
  events?: {
    path: string;
    from: string;
    attributes: Record<string, string>;
    /** The actor (default: the monitored container; an exec's is its container). */
    actorId?: string;
    /** The actions of a start and an exit (default start and die; "" for none). */
    start?: string;
    die?: string;
  };
}


/** Start the monitor of a container whose PLAN is ready; resolves with its pid 1. */
export async function startMonitor(plan: SpawnPlan, o: MonitorOptions): Promise<{ pid: number; startTime: string }> {
  writeFileSync(join(o.dir, 'plan.hxp'), encodePlan(plan), { mode: 0o600 });
  mkdirSync(o.runDir, { recursive: true, mode: 0o700 });
  const args = ['__monitor', o.id, o.dir, o.runDir];
  if (o.tty) args.push('--tty');
  if (o.openStdin) args.push('--stdin');
  if (o.noLog) args.push('--no-log');
  if (o.attach) args.push('--attach-wait');
  if (o.networkHook) args.push('--network-hook');
  if (o.health) {
    const h = o.health;
    args.push('--health', [h.intervalMs, h.timeoutMs, h.startPeriodMs, h.startIntervalMs, h.retries].map((n) => Math.max(0, Math.round(n))).join(','));
  }
  // v1: the child joins through `tasks` itself (fast); else the monitor writes its pid
  if (o.cgroup?.tasks?.length) for (const f of o.cgroup.tasks) args.push('--cgroup-tasks', f);
  else for (const f of o.cgroup?.procs ?? []) args.push('--cgroup-procs', f);
  if (o.cgroup?.oomFile) args.push('--oom-file', o.cgroup.oomFile);
  if (o.oomScoreAdj) args.push('--oom-score-adj', String(o.oomScoreAdj));
  if (o.log.maxSize > 0) args.push('--log-max-size', String(o.log.maxSize));
  if (o.log.maxFiles > 1) args.push('--log-max-files', String(o.log.maxFiles));
  if (o.events) {
    // the actor's attributes, already in JSON: the monitor only adds exitCode
    const attrs = JSON.stringify(o.events.attributes).slice(1, -1);
    args.push('--events', o.events.path, '--event-from', JSON.stringify(o.events.from), '--event-attrs', attrs);
    if (o.events.actorId !== undefined) args.push('--event-id', o.events.actorId);
    if (o.events.start !== undefined) args.push('--event-start', o.events.start);
    if (o.events.die !== undefined) args.push('--event-die', o.events.die);
  }
  if (o.restart.name !== 'no') args.push('--restart', o.restart.name, '--restart-max', String(o.restart.max));
  args.push('--', ...o.exitCommand);
  const { spawn } = childProcess();
  const child = spawn(launcherPath(), args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe', o.lockFd ?? 'ignore'], detached: true, ...(o.env ? { env: o.env } : {}) });
  child.on('error', () => {});
  child.unref();
  const lines = syncLines(child.stdio[3] as Readable);
  let line = (await lines.next()).value ?? '';
  const wait = /^wait (\d+)$/.exec(line);
  if (wait && o.attach) {
    await o.attach(Number(wait[1]));
    line = (await lines.next()).value ?? '';
  }
  await lines.return(undefined);
  const ok = /^ok (\d+) (\d+)$/.exec(line);
  if (ok) return { pid: Number(ok[1]), startTime: ok[2]! };
  const err = /^error (\d+) (\d+) ?(.*)$/.exec(line);
  if (err) throw startFailure(Number(err[1]), Number(err[2]), err[3] ?? '', plan.args[0] ?? '');
  throw new HxError(`the container's monitor did not start${line ? `: ${line}` : ''}`, { kind: 'internal', hint: 'run with HX_DEBUG=1 and look at the container\'s state.json' });
}

/** The lines the monitor writes to its starter on fd 3. */
async function* syncLines(sync: Readable): AsyncGenerator<string, void, undefined> {
  let text = '';
  try {
    for await (const chunk of sync) {
      text += String(chunk);
      let nl: number;
      while ((nl = text.indexOf('\n')) >= 0) {
        yield text.slice(0, nl);
        text = text.slice(nl + 1);
      }
    }
    if (text) yield text;
  } finally {
    sync.destroy();
  }
}

type FrameHandler = (type: number, body: Buffer) => void;

/** A connection to a container's monitor. */
export class MonitorClient {
  private buf: Buffer = Buffer.alloc(0);
  private handlers: FrameHandler[] = [];
  private closed = false;
  readonly ended: Promise<void>;

  private constructor(private readonly sock: Socket) {
    this.ended = new Promise((resolve) => {
      sock.on('close', () => {
        this.closed = true;
        resolve();
      });
    });
    sock.on('error', () => {});
    sock.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      while (this.buf.length >= 8) {
        const len = this.buf.readUInt32LE(4);
        if (this.buf.length < 8 + len) break;
        const type = this.buf[0]!;
        const body = this.buf.subarray(8, 8 + len);
        this.buf = this.buf.subarray(8 + len);
        for (const h of this.handlers) h(type, body);
      }
    });
  }

  /** Connect to RUNDIR/attach (through /proc/self/fd: socket paths are limited to 107 bytes). */
  static connect(runDir: string): Promise<MonitorClient> {
    let fd: number;
    try {
      fd = openSync(runDir, 'r');
    } catch {
      return Promise.reject(new HxError('the container is not running (no monitor)', { kind: 'conflict' }));
    }
    let open = true;
    const release = (): void => {
      if (open) closeSync(fd);
      open = false;
    };
    return new Promise((resolve, reject) => {
      const sock = netModule().connect(`/proc/self/fd/${fd}/attach`);
      sock.once('connect', () => {
        release();
        resolve(new MonitorClient(sock));
      });
      sock.once('error', (e) => {
        release();
        reject(new HxError(`cannot reach the container's monitor: ${e.message}`, { kind: 'unavailable', cause: e }));
      });
    });
  }

  onFrame(h: FrameHandler): void {
    this.handlers.push(h);
  }

  send(type: number, body: Buffer = Buffer.alloc(0)): void {
    if (this.closed) return;
    const head = Buffer.alloc(8);
    head[0] = type;
    head.writeUInt32LE(body.length, 4);
    this.sock.write(Buffer.concat([head, body]));
  }

  hello(flags: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(flags);
    this.send(Frame.HELLO, b);
  }

  /** The next frame of TYPE (or undefined when the connection closes first). */
  next(type: number, timeoutMs = 0): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const h: FrameHandler = (t, body) => {
        if (t !== type) return;
        this.handlers = this.handlers.filter((x) => x !== h);
        if (timer) clearTimeout(timer);
        resolve(Buffer.from(body));
      };
      this.handlers.push(h);
      void this.ended.then(() => resolve(undefined));
      if (timeoutMs > 0) timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
  }

  /** Ask the monitor to stop the container: SIGNAL, then SIGKILL after TIMEOUT seconds. */
  async stop(signal: number, timeoutSec: number): Promise<number | undefined> {
    const exit = this.next(Frame.EXIT);
    const b = Buffer.alloc(8);
    b.writeUInt32LE(signal, 0);
    b.writeUInt32LE(Math.max(0, Math.floor(timeoutSec)), 4);
    this.hello(0);
    this.send(Frame.STOP, b);
    const code = await exit;
    return code ? code.readInt32LE(0) : undefined;
  }

  /** Send SIGNAL; FATAL: it stops the container for good (no restart until started again). */
  async kill(signal: number, fatal: boolean): Promise<number> {
    const ack = this.next(Frame.ACK, 10_000);
    const b = Buffer.alloc(8);
    b.writeUInt32LE(signal, 0);
    b.writeUInt32LE(fatal ? 1 : 0, 4);
    this.send(Frame.KILL, b);
    const r = await ack;
    return r ? r.readUInt32LE(0) : 3;
  }

  resize(rows: number, cols: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt16LE(rows, 0);
    b.writeUInt16LE(cols, 2);
    this.send(Frame.RESIZE, b);
  }

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }
}
