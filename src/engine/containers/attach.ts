// `hx attach`, `hx start -a`: a connection to a detached container's monitor that
// carries its output to the caller's streams and (with -i) the caller's input to it,
// watching that input for docker's detach keys (ctrl-p ctrl-q by default). Terminal
// modes and signal forwarding are the caller's policy.
import type { Readable, Writable } from 'node:stream';
import { AttachFlag, Frame, MonitorClient } from '../../container/monitor.js';
import { currentState, isRunning } from '../../container/state.js';
import { HxError } from '../../errors.js';
import type { ContainerRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { DEFAULT_DETACH_KEYS, EscapeFilter, parseDetachKeys } from '../docker-syntax/detach-keys.js';
import { containerSpecOf } from './spec.js';
import { findContainer } from './lookup.js';
import { containerRunDir } from './paths.js';

export interface AttachStreams {
  /** Input for the container (only used when it was created with -i). */
  stdin?: Readable | null;
  stdout: Writable;
  stderr: Writable;
}

export interface AttachOptions {
  detachKeys?: string;
  /** --no-stdin */
  noStdin?: boolean;
}

export interface AttachEnd {
  /** The container's exit code when it stopped; undefined when the caller detached. */
  exitCode?: number;
  detached: boolean;
}

export interface Attachment {
  readonly record: ContainerRecord;
  /** The container has a terminal (the caller puts its own into raw mode). */
  readonly tty: boolean;
  /** Input is forwarded (the container keeps stdin open and --no-stdin was not given). */
  readonly stdin: boolean;
  readonly ended: Promise<AttachEnd>;
  resize(rows: number, cols: number): void;
  /** Stop forwarding and disconnect, leaving the container running. */
  detach(): void;
}

/** Attach to a running container. */
export async function attachContainer(ctx: EngineContext, ref: string, io: AttachStreams, o: AttachOptions = {}): Promise<Attachment> {
  const rec = findContainer(ctx.store, ref);
  if (!isRunning(currentState(ctx.store, rec)) || currentState(ctx.store, rec).owner?.kind !== 'monitor') {
    throw new HxError('You cannot attach to a stopped container, start it first', { kind: 'conflict', hint: `hx start -a ${rec.name}` });
  }
  return connectAttach(ctx, rec, io, o);
}

/** Attach to REC's monitor (running, or about to start it: `start -a`). */
export async function connectAttach(ctx: EngineContext, rec: ContainerRecord, io: AttachStreams, o: AttachOptions = {}): Promise<Attachment> {
  const spec = containerSpecOf(rec.spec, rec.id);
  const keys = parseDetachKeys(o.detachKeys ?? DEFAULT_DETACH_KEYS);
  const client = await MonitorClient.connect(containerRunDir(ctx, rec.id));
  const withStdin = spec.openStdin && !o.noStdin && io.stdin != null;
  let finish!: (end: AttachEnd) => void;
  const ended = new Promise<AttachEnd>((resolve) => (finish = resolve));
  let done = false;
  const end = (e: AttachEnd): void => {
    if (done) return;
    done = true;
    if (withStdin) io.stdin!.off('data', onInput).off('end', onInputEnd);
    client.close();
    finish(e);
  };
  client.onFrame((type, body) => {
    if (type === Frame.STDOUT) io.stdout.write(Buffer.from(body));
    else if (type === Frame.STDERR) io.stderr.write(Buffer.from(body));
    else if (type === Frame.EXIT) end({ exitCode: body.readInt32LE(0), detached: false });
  });
  void client.ended.then(() => {
    // the monitor went away without an exit frame (killed): read what the state says
    if (!done) end({ exitCode: currentState(ctx.store, rec).exitCode, detached: false });
  });
  const filter = new EscapeFilter(keys);
  const onInput = (chunk: Buffer | string): void => {
    const { data, escaped } = filter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    if (data.length) client.send(Frame.STDIN, data);
    if (escaped) end({ detached: true });
  };
  const onInputEnd = (): void => {
    // docker: a container without a terminal sees its stdin close; with one it stays
    if (!spec.tty) client.send(Frame.STDIN_EOF);
  };
  client.hello(AttachFlag.STDOUT | AttachFlag.STDERR | (withStdin ? AttachFlag.STDIN : 0));
  if (withStdin) io.stdin!.on('data', onInput).on('end', onInputEnd);
  return {
    record: rec,
    tty: spec.tty,
    stdin: withStdin,
    ended,
    resize: (rows, cols) => client.resize(rows, cols),
    detach: () => end({ detached: true }),
  };
}
