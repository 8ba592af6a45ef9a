// `hx logs`: a detached container's json-file log (container/logs.ts), stdout and stderr
// to their own sinks, with docker's --tail, --since, --until, -t and -f (which ends when
// the container stops).
import { currentState, isRunning } from '../../container/state.js';
import { fixedNanoTime, readLog, type LogRecord } from '../../container/logs.js';
import { HxError, UsageError } from '../../errors.js';
import type { EngineContext } from '../context.js';
import { timestampNanos } from '../docker-syntax/timestamp.js';
import { containerSpecOf } from './spec.js';
import { findContainer } from './lookup.js';

export interface LogsOptions {
  follow?: boolean;
  /** "all" or a number of lines from the end. */
  tail?: string;
  /** docker's times: a duration before now (10m), a timestamp, Unix seconds. */
  since?: string;
  until?: string;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface LogSink {
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
}

function nanos(value: string | undefined, now: Date): bigint | undefined {
  return value === undefined || value === '' ? undefined : timestampNanos(value, now);
}

function tailCount(tail: string | undefined): number | undefined {
  if (tail === undefined || tail === 'all' || tail === '') return undefined;
  if (!/^-?\d+$/.test(tail)) throw new UsageError(`invalid value for "tail": ${JSON.stringify(tail)}`, 'give a number of lines, or "all"');
  const n = Number(tail);
  return n < 0 ? undefined : n;
}

export async function containerLogs(ctx: EngineContext, ref: string, o: LogsOptions, sink: LogSink): Promise<void> {
  const store = ctx.store;
  const rec = findContainer(store, ref);
  const spec = containerSpecOf(rec.spec, rec.id);
  if (spec.log.driver === 'none') {
    throw new HxError('configured logging driver does not support reading', { kind: 'invalid-argument', hint: 'the container was created with --log-driver none' });
  }
  const now = new Date();
  const since = nanos(o.since, now);
  const until = nanos(o.until, now);
  const tail = tailCount(o.tail);
  const emit = (records: LogRecord[]): void => {
    // consecutive records of one stream go out in one write
    let i = 0;
    while (i < records.length) {
      const stream = records[i]!.stream;
      const parts: Buffer[] = [];
      for (; i < records.length && records[i]!.stream === stream; i++) {
        const r = records[i]!;
        if (o.timestamps) parts.push(Buffer.from(`${fixedNanoTime(r.time)} `));
        parts.push(r.log);
      }
      const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      if (stream === 'stderr') sink.stderr(data);
      else sink.stdout(data);
    }
  };
  const follow = o.follow && until === undefined ? { done: () => !isRunning(currentState(store, rec)), ...(o.signal ? { signal: o.signal } : {}) } : undefined;
  await readLog(store.containerDir(rec.id), { ...(tail !== undefined ? { tail } : {}), ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), ...(follow ? { follow } : {}) }, emit);
}
