// docker's filters: `--filter KEY=VALUE` from the CLI (docker/cli opts.FilterOpt) and
// `filters={"key":{"value":true}}` from the Engine API (moby api/types/filters), one
// parser and the matchers moby's daemon applies. Different keys AND; the values of one
// key OR, except `label`, whose values must all match (moby's MatchKVList).
//
//   const f = Filters.fromFlags(flags.filter);                     // bad format -> HxError
//   f.validate(['dangling', 'label', 'label!', 'before', 'since', 'reference', 'until']);
//   const dangling = f.getBool('dangling', false);
//   images.filter((i) => matchLabels(f, i.labels) && ...)
import { HxError } from '../errors.js';
import { timestampNanos } from './docker-syntax/timestamp.js';
import { pathMatch } from './path-match.js';

/** moby's invalidFilter: "invalid filter 'foo'", "invalid filter 'dangling=[maybe]'". docker exits 1 for it. */
export function invalidFilter(key?: string, values?: readonly string[]): HxError {
  let msg = 'invalid filter';
  if (key !== undefined && key !== '') msg += ` '${key}${values ? `=[${values.join(' ')}]` : ''}'`;
  return new HxError(msg, { kind: 'invalid-argument', hint: 'see the command\'s --help for the filters it accepts', exitCode: 1 });
}

export type Labels = Readonly<Record<string, string>> | ReadonlyMap<string, string> | null | undefined;

function labelGet(labels: Labels, key: string): string | undefined {
  if (!labels) return undefined;
  if (labels instanceof Map) return labels.get(key);
  return Object.prototype.hasOwnProperty.call(labels, key) ? (labels as Record<string, string>)[key] : undefined;
}

function labelCount(labels: Labels): number {
  if (!labels) return 0;
  return labels instanceof Map ? labels.size : Object.keys(labels).length;
}

export class Filters {
  // key -> value -> the API's boolean (true for everything the CLI adds)
  private readonly fields = new Map<string, Map<string, boolean>>();

  /**
   * Repeated `--filter` values. A value without "=" is docker's flag error: `invalid
   * argument "foo" for "-f, --filter" flag: bad format of filter (expected name=value)`
   * (docker/cli opts/opts.go FilterOpt.Set, wrapped by pflag; docker exits 125). FLAG is how
   * the command spells the flag ("-f, --filter", or "--filter" where it has no short form).
   */
  static fromFlags(values: readonly string[], flag = '-f, --filter'): Filters {
    const f = new Filters();
    for (const value of values) {
      if (value === '') continue;
      const eq = value.indexOf('=');
      if (eq < 0) {
        throw new HxError(`invalid argument ${JSON.stringify(value)} for ${JSON.stringify(flag)} flag: bad format of filter (expected name=value)`, {
          kind: 'invalid-argument',
          hint: 'write filters as KEY=VALUE, e.g. --filter dangling=true',
          exitCode: 125,
        });
      }
      // docker lower-cases and trims the name, and trims the value
      f.add(value.slice(0, eq).trim().toLowerCase(), value.slice(eq + 1).trim());
    }
    return f;
  }

  /**
   * The Engine API's `filters` query parameter: {"key":{"value":true}}, or the legacy
   * {"key":["value"]} (API < 1.22). Empty or absent is no filter; anything else is
   * "invalid filter" (moby filters.FromJSON).
   */
  static fromJSON(param: string | undefined | null): Filters {
    const f = new Filters();
    if (!param) return f;
    let raw: unknown;
    try {
      raw = JSON.parse(param);
    } catch {
      throw invalidFilter();
    }
    if (raw === null) return f;
    if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidFilter();
    const entries = Object.entries(raw as Record<string, unknown>);
    const isSet = (v: unknown): v is Record<string, boolean> | null =>
      v === null || (typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((b) => typeof b === 'boolean'));
    const isList = (v: unknown): v is string[] | null => v === null || (Array.isArray(v) && v.every((s) => typeof s === 'string'));
    if (entries.every(([, v]) => isSet(v))) {
      for (const [k, v] of entries) {
        const values = new Map<string, boolean>();
        for (const [value, b] of Object.entries(v ?? {})) values.set(value, b);
        f.fields.set(k, values);
      }
      return f;
    }
    if (entries.every(([, v]) => isList(v))) {
      for (const [k, v] of entries) f.fields.set(k, new Map(((v as string[] | null) ?? []).map((s) => [s, true])));
      return f;
    }
    throw invalidFilter();
  }

  add(key: string, value: string): void {
    const values = this.fields.get(key) ?? new Map<string, boolean>();
    values.set(value, true);
    this.fields.set(key, values);
  }

  keys(): string[] {
    return [...this.fields.keys()];
  }

  get size(): number {
    return this.fields.size;
  }

  contains(key: string): boolean {
    return this.fields.has(key);
  }

  /** The values given for KEY, in the order given. */
  get(key: string): string[] {
    return [...(this.fields.get(key)?.keys() ?? [])];
  }

  /** moby Args.Validate: every key must be one the command accepts. */
  validate(accepted: Iterable<string>): void {
    const ok = new Set(accepted);
    for (const key of this.fields.keys()) if (!ok.has(key)) throw invalidFilter(key);
  }

  /** True when KEY is not given, or SOURCE is one of its values. */
  exactMatch(key: string, source: string): boolean {
    const values = this.fields.get(key);
    if (!values || values.size === 0) return true;
    return values.get(source) === true;
  }

  /** True when KEY is not given, or has exactly one value and it is SOURCE. */
  uniqueExactMatch(key: string, source: string): boolean {
    const values = this.fields.get(key);
    if (!values || values.size === 0) return true;
    return values.size === 1 && values.get(source) === true;
  }

  /** True when KEY is not given, or SOURCE is one of its values or starts with one (ID prefixes). */
  fuzzyMatch(key: string, source: string): boolean {
    if (this.exactMatch(key, source)) return true;
    return this.get(key).some((prefix) => source.startsWith(prefix));
  }

  /** True when KEY is not given, or a value equals SOURCE or, as a regular expression, matches it (names). */
  match(key: string, source: string): boolean {
    if (this.exactMatch(key, source)) return true;
    return this.get(key).some((pattern) => {
      try {
        return new RegExp(pattern).test(source);
      } catch {
        return false; // moby skips a pattern that does not compile
      }
    });
  }

  /**
   * moby MatchKVList: true when KEY is not given; else every value ("k" or "k=v") must be
   * in LABELS (so `label=a --filter label=b` needs both).
   */
  matchKVList(key: string, labels: Labels): boolean {
    const values = this.fields.get(key);
    if (!values || values.size === 0) return true;
    if (labelCount(labels) === 0) return false;
    for (const value of values.keys()) {
      const eq = value.indexOf('=');
      const k = eq < 0 ? value : value.slice(0, eq);
      const v = labelGet(labels, k);
      if (v === undefined) return false;
      if (eq >= 0 && value.slice(eq + 1) !== v) return false;
    }
    return true;
  }

  /**
   * moby GetBoolOrDefault: KEY's value as a boolean (true/1, false/0), DEFAULT when not
   * given; conflicting or other values are "invalid filter 'dangling=[maybe]'".
   */
  getBool(key: string, defaultValue: boolean): boolean {
    const values = this.fields.get(key);
    if (!values) return defaultValue;
    if (values.size === 0) throw invalidFilter(key);
    const isFalse = values.get('0') === true || values.get('false') === true;
    const isTrue = values.get('1') === true || values.get('true') === true;
    if (isFalse === isTrue) throw invalidFilter(key, this.get(key));
    return isTrue;
  }

  /** moby ToJSON: the API form, "" when there are no filters. */
  toJSON(): string {
    if (this.fields.size === 0) return '';
    const out: Record<string, Record<string, boolean>> = {};
    for (const [k, values] of this.fields) out[k] = Object.fromEntries(values);
    return JSON.stringify(out);
  }
}

/**
 * `label` and `label!` together, as moby's prune commands match them: every `label` must
 * match, and the object is excluded when every `label!` matches (moby quirk: with several
 * `label!` values, only objects matching all of them are excluded).
 */
export function matchLabels(filters: Filters, labels: Labels): boolean {
  if (!filters.matchKVList('label', labels)) return false;
  if (filters.contains('label!') && filters.matchKVList('label!', labels)) return false;
  return true;
}

/**
 * moby's `reference` filter on one of an image's names (distribution reference.FamiliarMatch):
 * true when no reference filter is given, or some pattern matches the familiar name with its
 * tag or digest ("alpine:3.20") or, failing that, without ("alpine"). Throws for a bad glob.
 */
export function matchReference(filters: Filters, familiarString: string, familiarName: string): boolean {
  if (!filters.contains('reference')) return true;
  return filters.get('reference').some((pattern) => pathMatch(pattern, familiarString) || pathMatch(pattern, familiarName));
}

/**
 * The bound a `before` or `since` filter sets, its values resolved by the caller (an image
 * or container's creation time). Several values AND: `before` takes the oldest, `since` the newest.
 */
export function createdBound(filters: Filters, key: 'before' | 'since', resolve: (value: string) => Date): Date | undefined {
  let bound: Date | undefined;
  for (const value of filters.get(key)) {
    const t = resolve(value);
    if (!bound || (key === 'before' ? t < bound : t > bound)) bound = t;
  }
  return bound;
}

/** Whether CREATED passes `before` (created earlier) and `since` (created later) bounds. */
export function createdWithin(created: Date, bounds: { before?: Date | undefined; since?: Date | undefined }): boolean {
  if (bounds.before && !(created < bounds.before)) return false;
  if (bounds.since && !(created > bounds.since)) return false;
  return true;
}

/**
 * The time an `until` filter names (moby getUntilFromPruneFilters): a Go duration before
 * NOW, a timestamp, or Unix seconds; undefined when not given. PARSE (Unix nanoseconds) may
 * replace moby's parser.
 */
export function untilTime(filters: Filters, now: Date = new Date(), parse: (value: string, now: Date) => bigint = timestampNanos): Date | undefined {
  if (!filters.contains('until')) return undefined;
  const values = filters.get('until');
  if (values.length > 1) throw new HxError('more than one until filter specified', { kind: 'invalid-argument', hint: 'give one --filter until=...', exitCode: 1 });
  return new Date(Number(parse(values[0] ?? '', now) / 1_000_000n));
}
