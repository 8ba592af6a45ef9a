// A running container process: created from a plan, started on request, collected when
// it exits. The child's exit raises SIGCHLD; one process-wide listener then collects
// every live child through libhxns (non-blocking waitid on its pidfd), so nothing blocks
// the event loop and no child that libuv spawned is touched.
import { closeSync, writeSync } from 'node:fs';
import { collectChild, EventType, signalChild, spawnChild, type ChildEvent } from '../sys/spawn.js';
import { exitCodeOf, startFailure, type ProcessIdentity } from './exit.js';
import type { IdMapEntry } from '../host/idmap.js';
import { encodePlan, type SpawnPlan } from './plan.js';

export interface ProcessExit {
  /** docker's exit code: the status, or 128+signal. */
  code: number;
  signal?: number;
}

const live = new Set<ContainerProcess>();
let keepAlive: ReturnType<typeof setInterval> | undefined;

function onSigchld(): void {
  for (const p of [...live]) p.collect();
}

/** Listen for SIGCHLD while children live. Signal listeners do not keep Node running, so a
 * timer does, until the last child is collected; it also polls once a second, in case
 * someone else removed the listener (the SIGCHLD path is the one that sets the latency). */
function track(p: ContainerProcess): void {
  if (live.size === 0) {
    process.on('SIGCHLD', onSigchld);
    keepAlive = setInterval(onSigchld, 1000);
  }
  live.add(p);
}

function untrack(p: ContainerProcess): void {
  live.delete(p);
  if (live.size === 0) {
    process.off('SIGCHLD', onSigchld);
    if (keepAlive) clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

/** A container's pid 1 between clone and exit. */
export class ContainerProcess {
  readonly pid: number;
  private readonly id: number;
  private readonly command: string;
  private readonly identity: ProcessIdentity;
  private startFd: number;
  /** hx's ends of the container's stdio pipes (FD_PIPE slots of the plan), else -1. */
  readonly stdioPipes: [number, number, number];
  private done = false;
  private failure: Error | undefined;
  private master: number | undefined;
  private masterTaken = false;
  private resolveExit!: (e: ProcessExit) => void;
  private rejectExit!: (e: Error) => void;
  /** The exit status; rejects (exitCode 125/126/127) when the command could not be started. */
  readonly exited: Promise<ProcessExit>;

  /** MAPS: the user namespace's, for the hint when the child cannot take its uid or gid. */
  constructor(plan: SpawnPlan, maps?: { uid: IdMapEntry[]; gid: IdMapEntry[] }) {
    this.command = plan.args[0] ?? '';
    this.identity = { ...(plan.user ?? { uid: 0, gid: 0, groups: [] }), uidMap: maps?.uid, gidMap: maps?.gid };
    this.exited = new Promise<ProcessExit>((resolve, reject) => {
      this.resolveExit = resolve;
      this.rejectExit = reject;
    });
    this.exited.catch(() => {}); // callers that only kill() need not observe it
    const encoded = encodePlan(plan);
    track(this); // before clone: its SIGCHLD must not come before the listener
    let child;
    try {
      child = spawnChild(encoded);
    } catch (e) {
      untrack(this);
      throw e;
    }
    this.pid = child.pid;
    this.id = child.id;
    this.startFd = child.startFd;
    this.stdioPipes = child.stdio;
  }

  /** Take what the child reported; settle `exited` once it is gone. */
  collect(waitMs = 0): void {
    if (this.done || this.id === undefined) return;
    this.handle(collectChild(this.id, waitMs));
  }

  private handle(events: ChildEvent[]): void {
    for (const ev of events) {
      if (ev.type === EventType.TTY) this.master = ev.a;
      else if (ev.type === EventType.ERROR) this.failure = startFailure(ev.a, ev.b, ev.detail, this.command, this.identity);
      else if (ev.type === EventType.EXIT) {
        this.done = true;
        untrack(this);
        this.closeStart();
        if (this.master !== undefined && this.failure && !this.masterTaken) {
          closeSync(this.master);
          this.master = undefined;
        }
        if (this.failure) this.rejectExit(this.failure);
        else {
          const e: ProcessExit = { code: exitCodeOf(ev.a, ev.b) };
          if (ev.a !== 1 /* CLD_EXITED */) e.signal = ev.b;
          this.resolveExit(e);
        }
      }
    }
  }

  /**
   * The master side of the container's terminal (plans with a tty). The child sends it
   * before it waits for start(), so this waits (briefly, synchronously) for that message.
   */
  terminal(timeoutMs = 10_000): number {
    const deadline = Date.now() + timeoutMs;
    while (this.master === undefined && !this.done && !this.failure && Date.now() < deadline) {
      this.handle(collectChild(this.id, Math.max(1, deadline - Date.now())));
    }
    if (this.master !== undefined) {
      this.masterTaken = true; // the caller owns (and closes) it now
      return this.master;
    }
    if (this.failure) throw this.failure;
    throw new Error('the container did not set up its terminal');
  }

  /** The error the child reported on its own before the go-ahead (a command not found),
   * if it has: what explains a failure of the caller's own setup in the meantime. */
  reportedFailure(): Error | undefined {
    if (!this.done && !this.failure) this.handle(collectChild(this.id, 0));
    return this.failure;
  }

  /** Let the child continue to execve (after the caller's own setup, e.g. networking). */
  start(): void {
    if (this.startFd < 0) return;
    try {
      writeSync(this.startFd, Buffer.of(1));
    } catch {
      /* EPIPE: the child already stopped (a failed lookup); its report says why */
    }
    this.closeStart();
  }

  private closeStart(): void {
    if (this.startFd >= 0) closeSync(this.startFd);
    this.startFd = -1;
  }

  /** Send SIGNAL to pid 1; false once it has exited. */
  signal(signal: number): boolean {
    if (this.done) return false;
    return signalChild(this.id, signal);
  }

  /** Kill it (SIGKILL): the pid namespace takes every other process with it. */
  kill(): void {
    this.closeStart();
    this.signal(9);
  }
}
