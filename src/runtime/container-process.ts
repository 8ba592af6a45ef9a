// A running container process: created from a plan, started on request, watched through
// libhxns's reaper thread. Events arrive on one pipe for the whole process (a net.Socket),
// so nothing here blocks the event loop or waits on a child libuv spawned.
import { closeSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { decodeEvent, EVENT_SIZE, EventType, eventsFd, signalChild, spawnChild, type ChildEvent } from '../sys/spawn.js';
import { exitCodeOf, startFailure } from './exit.js';
import { encodePlan, type SpawnPlan } from './plan.js';
import type { ContainerStartError } from './run-errors.js';

type Listener = (ev: ChildEvent) => void;

/** Reads the reaper's event pipe and hands each record to the child it names. */
class EventHub {
  private readonly socket: Socket;
  private readonly listeners = new Map<number, Listener>();
  private readonly early = new Map<number, ChildEvent[]>();
  private pending: Buffer = Buffer.alloc(0);

  constructor(fd: number) {
    this.socket = new Socket({ fd, readable: true, writable: false });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.unref();
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    while (this.pending.length - off >= EVENT_SIZE) {
      const ev = decodeEvent(this.pending, off);
      off += EVENT_SIZE;
      const l = this.listeners.get(ev.id);
      if (l) l(ev);
      else this.early.set(ev.id, [...(this.early.get(ev.id) ?? []), ev]);
    }
    this.pending = this.pending.subarray(off);
  }

  /** Listen for ID's events; the socket keeps Node alive while anyone listens. */
  listen(id: number, l: Listener): void {
    this.listeners.set(id, l);
    this.socket.ref();
    const missed = this.early.get(id);
    if (missed) {
      this.early.delete(id);
      for (const ev of missed) l(ev);
    }
  }

  forget(id: number): void {
    this.listeners.delete(id);
    if (this.listeners.size === 0) this.socket.unref();
  }
}

let hub: EventHub | undefined;

function events(): EventHub {
  if (!hub) hub = new EventHub(eventsFd());
  return hub;
}

export interface ProcessExit {
  /** docker's exit code: the status, or 128+signal. */
  code: number;
  signal?: number;
}

/** A container's pid 1 between clone and exit. */
export class ContainerProcess {
  readonly pid: number;
  private readonly id: number;
  private startFd: number;
  private exitedFlag = false;
  /** Resolves once the command has been exec'd; rejects with the reason it could not be. */
  readonly started: Promise<void>;
  /** Resolves with the exit status (also after a failed start). */
  readonly exited: Promise<ProcessExit>;
  /** Resolves with the fd of the terminal's master (only for plans with a tty). */
  readonly terminal: Promise<number>;

  constructor(plan: SpawnPlan) {
    const hubRef = events();
    const child = spawnChild(encodePlan(plan));
    this.pid = child.pid;
    this.id = child.id;
    this.startFd = child.startFd;
    const command = plan.args[0] ?? '';
    let onStarted!: (err?: ContainerStartError) => void;
    let onExit!: (e: ProcessExit) => void;
    let onTerminal!: (fd: number) => void;
    let failTerminal!: (e: Error) => void;
    this.started = new Promise<void>((resolve, reject) => {
      onStarted = (err) => (err ? reject(err) : resolve());
    });
    this.started.catch(() => {}); // observed through exited by callers that only wait
    this.exited = new Promise((resolve) => (onExit = resolve));
    this.terminal = new Promise<number>((resolve, reject) => {
      onTerminal = resolve;
      failTerminal = reject;
    });
    this.terminal.catch(() => {});
    let settled = false;
    hubRef.listen(this.id, (ev) => {
      if (ev.type === EventType.TTY) onTerminal(ev.a);
      else if (ev.type === EventType.ERROR) {
        settled = true;
        onStarted(startFailure(ev.a, ev.b, ev.detail, command));
      } else if (ev.type === EventType.EXEC) {
        settled = true;
        onStarted();
      } else if (ev.type === EventType.EXIT) {
        this.exitedFlag = true;
        hubRef.forget(this.id);
        this.closeStart();
        const e: ProcessExit = { code: exitCodeOf(ev.a, ev.b) };
        if (ev.a !== 1) e.signal = ev.b;
        if (!settled) onStarted(startFailure(23, 4 /* EINTR */, 'killed before it started', command));
        failTerminal(new Error('the container exited before its terminal was set up'));
        onExit(e);
      }
    });
  }

  /** Let the child continue to execve (after the caller's own setup, e.g. networking). */
  start(): void {
    if (this.startFd < 0) return;
    try {
      writeSync(this.startFd, Buffer.of(1));
    } catch {
      /* EPIPE: the child already stopped (a failed lookup); its events say why */
    }
    this.closeStart();
  }

  private closeStart(): void {
    if (this.startFd >= 0) closeSync(this.startFd);
    this.startFd = -1;
  }

  /** Send SIGNAL to pid 1; false once it has exited. */
  signal(signal: number): boolean {
    if (this.exitedFlag) return false;
    return signalChild(this.id, signal);
  }

  /** Kill it (SIGKILL): the pid namespace takes every other process with it. */
  kill(): void {
    this.closeStart();
    this.signal(9);
  }
}
