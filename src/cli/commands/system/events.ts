// `hx events`: docker/cli's system/events.go. Each event as docker's prettyPrintEvent
// writes it (local time with nanoseconds, type, action, actor, sorted attributes), or
// through --format (a Go template over events.Message; `json` is {{json .}}). Runs until
// Ctrl-C unless --until ends it.
import type { EngineEvent } from '../../../engine/index.js';
import { Filters } from '../../../engine/filters.js';
import { HxError } from '../../../errors.js';
import { goMap, goStruct, parseTemplate, TemplateError, type Template } from '../../format/template.js';
import { untilInterrupted } from '../../interrupt.js';
import type { CommandRun } from '../../spec.js';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Go's RFC3339NanoFixed ("2006-01-02T15:04:05.000000000Z07:00") in the local zone. */
export function rfc3339NanoFixed(nano: bigint): string {
  const ms = Number(nano / 1_000_000n);
  const d = new Date(ms);
  const offset = -d.getTimezoneOffset();
  const local = new Date(ms + offset * 60_000);
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  const frac = String(nano % 1_000_000_000n).padStart(9, '0');
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${frac}${zone}`;
}

export function prettyEvent(e: EngineEvent): string {
  const keys = Object.keys(e.Actor.Attributes).sort();
  const attrs = keys.length ? ` (${keys.map((k) => `${k}=${e.Actor.Attributes[k]}`).join(', ')})` : '';
  return `${rfc3339NanoFixed(e.timeNano)} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs}\n`;
}

/** events.Message as a Go value: its fields by Go name, {{json .}} by its json tags. */
function messageValue(e: EngineEvent): object {
  const json = (): string => {
    const legacy = e.status !== undefined ? { status: e.status, id: e.id, ...(e.from !== undefined ? { from: e.from } : {}) } : {};
    const head = JSON.stringify({ ...legacy, Type: e.Type, Action: e.Action, Actor: { ID: e.Actor.ID, Attributes: e.Actor.Attributes }, scope: e.scope, time: e.time });
    return `${head.slice(0, -1)},"timeNano":${e.timeNano}}`;
  };
  const proto = { MarshalJSON: json };
  const actor = goStruct({ ID: e.Actor.ID, Attributes: goMap(e.Actor.Attributes, 'map[string]string') }, 'events.Actor');
  const fields = { Status: e.status ?? '', ID: e.id ?? '', From: e.from ?? '', Type: e.Type, Action: e.Action, Actor: actor, Scope: e.scope, Time: e.time, TimeNano: e.timeNano };
  return goStruct(Object.assign(Object.create(proto) as object, fields), 'events.Message');
}

const EMPTY: EngineEvent = { Type: '' as EngineEvent['Type'], Action: '', Actor: { ID: '', Attributes: {} }, scope: 'local', time: 0, timeNano: 0n };

/** docker's makeTemplate: parsed, then run once on an empty Message so a bad field fails
 * before any event comes; either failure is "Error parsing format: ...", exit 64. */
function eventTemplate(format: string | undefined): Template | undefined {
  if (format === undefined || format === '') return undefined;
  try {
    const t = parseTemplate(format === 'json' ? '{{json .}}' : format);
    t.execute(messageValue(EMPTY));
    return t;
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    throw new HxError(`Error parsing format: ${e.goMessage}`, { kind: 'invalid-argument', hint: e.hint, exitCode: 64 });
  }
}

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const template = eventTemplate(f.format as string | undefined);
  const filters = Filters.fromFlags((f.filter as string[] | undefined) ?? []);
  const engine = await ctx.engine();
  await untilInterrupted(async (signal) => {
    for await (const e of engine.system.events({ since: f.since as string | undefined, until: f.until as string | undefined, filters, signal })) {
      ctx.stdout.write(template ? `${template.execute(messageValue(e))}\n` : prettyEvent(e));
    }
  });
};
