// `hx events`: the store's event log (store/events.ts) read as docker's daemon serves
// /events. Without --since only what happens from now on; with it, the past first. Without
// --until it streams until the signal aborts; with it, it stops there (waiting for that time
// when it is in the future). Filters are moby's daemon/events/filter.go Include.
import { EventReader, type EngineEvent } from '../../store/events.js';
import type { EngineContext } from '../context.js';
import { timestampNanos } from '../docker-syntax/timestamp.js';
import { Filters } from '../filters.js';

export const EVENT_FILTERS = ['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume'];

export interface EventsOptions {
  since?: string | undefined;
  until?: string | undefined;
  filters?: Filters | undefined;
  signal?: AbortSignal | undefined;
  /** How often the log is looked at for new lines while streaming (default 100 ms). */
  pollMs?: number;
}

function nanos(value: string | undefined, now: Date): bigint | undefined {
  return value === undefined || value === '' ? undefined : timestampNanos(value, now);
}

/** reference.FamiliarString's tag stripped, as moby's stripTag does for name:tag (a digest is kept). */
function stripTag(image: string): string {
  if (image.includes('@')) return image;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(0, colon) : image;
}

/** moby's Filter.Include. */
export function eventMatches(f: Filters, ev: EngineEvent): boolean {
  const fuzzyName = (type: string): boolean => ev.Type !== type ? !f.contains(type) : f.fuzzyMatch(type, ev.Actor.ID) || f.fuzzyMatch(type, ev.Actor.Attributes.name ?? '');
  // health_status, exec_create and exec_start carry ": detail" in the action: a prefix matches
  const fuzzyEvent = ['health_status', 'exec_create', 'exec_start'].some((k) => f.get('event').includes(k));
  const imageName = ev.Actor.Attributes[ev.Type === 'image' ? 'name' : 'image'] ?? '';
  const daemon = !f.contains('daemon');
  return (
    f.exactMatch('scope', ev.scope) &&
    (fuzzyEvent ? f.fuzzyMatch('event', ev.Action) : f.exactMatch('event', ev.Action)) &&
    f.exactMatch('type', ev.Type) &&
    daemon &&
    fuzzyName('container') &&
    fuzzyName('volume') &&
    fuzzyName('network') &&
    (f.exactMatch('image', ev.Actor.ID) || f.exactMatch('image', imageName) || f.exactMatch('image', stripTag(ev.Actor.ID)) || f.exactMatch('image', stripTag(imageName))) &&
    f.matchKVList('label', ev.Actor.Attributes) &&
    !f.contains('plugin') && !f.contains('node') && !f.contains('service') && !f.contains('secret') && !f.contains('config')
  );
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The events asked for, oldest first; streaming ones as they are appended. */
export async function* streamEvents(ctx: EngineContext, o: EventsOptions = {}): AsyncGenerator<EngineEvent> {
  const f = o.filters ?? new Filters();
  f.validate(EVENT_FILTERS);
  const now = new Date();
  const since = nanos(o.since, now);
  const until = nanos(o.until, now);
  const log = ctx.store.events;
  const keep = (e: EngineEvent): boolean => (since === undefined || e.timeNano >= since) && (until === undefined || e.timeNano <= until) && eventMatches(f, e);
  // the past and the stream come from one reader of the log (the rotated file before it),
  // so nothing is read twice or falls between them
  const past = since !== undefined ? new EventReader(log.rotatedPath) : undefined;
  const reader = new EventReader(log.path);
  if (since === undefined) reader.skipToEnd();
  try {
    if (past) for (const e of past.read()) if (keep(e)) yield e;
    past?.close();
    for (;;) {
      for (const e of reader.read()) if (keep(e)) yield e;
      // docker: a --until in the past ends after the past; a future one when it comes
      if (until !== undefined && BigInt(Date.now()) * 1_000_000n > until) return;
      if (o.signal?.aborted) return;
      await sleep(o.pollMs ?? 100, o.signal);
    }
  } finally {
    past?.close();
    reader.close();
  }
}
