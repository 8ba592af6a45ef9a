// `hx stop`, `hx kill`, `hx restart`, `hx wait`: docker's semantics over control.ts.
// stop: the container's StopSignal (or -s), then SIGKILL after -t seconds (its
// --stop-timeout, docker's default 10); stopping a stopped container is not an error.
// kill: any signal; SIGKILL or the stop signal also turns its restart policy off until
// the next start (moby's ExitOnNext). kill of a stopped container is an error.
import { HxError } from '../../errors.js';
import { currentState, isRunning } from '../../container/state.js';
import type { ContainerRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { containerEvent } from '../events.js';
import { killSignal, parseSignal } from '../docker-syntax/signals.js';
import { containerSpecOf } from './spec.js';
import { signalContainer, stopRunning, waitStopped } from './control.js';
import { findContainer } from './lookup.js';
import { startContainer } from './start.js';

export interface StopOptions {
  /** -s: a signal name or number (default: the container's StopSignal). */
  signal?: string;
  /** -t: seconds before SIGKILL (default: the container's stop timeout; -1 waits for ever). */
  timeout?: number;
}

function stopSettings(rec: ContainerRecord, o: StopOptions): { signal: number; timeout: number } {
  const spec = containerSpecOf(rec.spec, rec.id);
  return { signal: o.signal !== undefined ? parseSignal(o.signal) : spec.stopSignal, timeout: o.timeout ?? spec.stopTimeout };
}

export async function stopContainer(ctx: EngineContext, ref: string, o: StopOptions = {}): Promise<ContainerRecord> {
  const rec = findContainer(ctx.store, ref);
  const { signal, timeout } = stopSettings(rec, o);
  await stopWithEvents(ctx, rec, signal, timeout);
  return rec;
}

/** docker's events of a stop: kill (the signal), then the monitor's die, then stop. */
async function stopWithEvents(ctx: EngineContext, rec: ContainerRecord, signal: number, timeout: number): Promise<void> {
  if (!isRunning(currentState(ctx.store, rec))) return;
  containerEvent(ctx.store, rec, 'kill', { signal: String(signal) });
  if (await stopRunning(ctx, rec, signal, timeout)) containerEvent(ctx.store, rec, 'stop');
}

export async function killContainer(ctx: EngineContext, ref: string, signal = 'KILL'): Promise<ContainerRecord> {
  const sig = killSignal(signal);
  const rec = findContainer(ctx.store, ref);
  const st = currentState(ctx.store, rec);
  const notRunning = new HxError(`cannot kill container: ${ref}: container ${rec.id} is not running`, { kind: 'conflict', hint: `start it first: hx start ${rec.name}` });
  if (!isRunning(st)) throw notRunning;
  const spec = containerSpecOf(rec.spec, rec.id);
  containerEvent(ctx.store, rec, 'kill', { signal: String(sig) });
  if (!(await signalContainer(ctx, rec, sig, sig === 9 || sig === spec.stopSignal))) throw notRunning;
  return rec;
}

export async function restartContainer(ctx: EngineContext, ref: string, o: StopOptions = {}): Promise<ContainerRecord> {
  const rec = findContainer(ctx.store, ref);
  const { signal, timeout } = stopSettings(rec, o);
  await stopWithEvents(ctx, rec, signal, timeout);
  await startContainer(ctx, rec.id);
  containerEvent(ctx.store, rec, 'restart');
  return rec;
}

/** Block until the container stops; its exit code. */
export async function waitContainer(ctx: EngineContext, ref: string): Promise<number> {
  return waitStopped(ctx, findContainer(ctx.store, ref));
}
