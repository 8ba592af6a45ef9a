// docker's --format for list and inspect commands (docker/cli: cli/command/formatter/
// formatter.go and cli/command/inspect/inspector.go), built on template.ts and tabwriter.ts.
//
//   renderList(rows, flags.format, IMAGE_LIST, { quiet })     -> text for stdout
//   const { output, errors } = renderInspect(docs, flags.format)
//
// A list row is a plain object whose capitalized properties are docker's fields for the
// command (values, or functions docker would call methods), e.g. { ID, Repository, Tag }.
import { goJson } from './gojson.js';
import { alignTable } from './tabwriter.js';
import { HEADER_FUNCTIONS, Template, TemplateError, goMap, goStruct, mapsFromJson } from './template.js';
import { GO_TYPE } from './values.js';

export interface ListSpec {
  /** The command's table, for no --format and for `--format table` ("table {{.Repository}}\t{{.Tag}}..."). */
  defaultFormat: string;
  /** The format -q gives when no other --format is asked for (docker: "{{.ID}}"). */
  quietFormat?: string;
  /** Column titles by field, docker's SubHeaderContext: { ID: 'IMAGE ID', Repository: 'REPOSITORY' }. */
  headers: Readonly<Record<string, string>>;
  /** The Go type of a row, as errors name it: "*formatter.imageContext". */
  rowType: string;
}

export interface ListOptions {
  quiet?: boolean;
}

/** What a list --format selects after docker's preFormat: the template and whether it is a table. */
export function listTemplate(format: string | undefined, spec: ListSpec, options: ListOptions = {}): { text: string; table: boolean } {
  let source = format || 'table';
  if (source === 'table') source = options.quiet && spec.quietFormat ? spec.quietFormat : spec.defaultFormat;
  const table = source.startsWith('table');
  let text = table ? source.slice('table'.length) : source === 'json' ? '{{json .}}' : source;
  // docker trims spaces only, and reads \t and \n written literally as tab and newline
  text = text.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return { text, table };
}

/**
 * Render ROWS the way `docker <list> --format FORMAT` prints them: the command's table
 * (no format, "table"), "table TEMPLATE" (a header row from SPEC.headers, then one row
 * each, aligned as docker's tabwriter does), "json" (one JSON object per line, keys sorted,
 * as docker marshals its row contexts), or any other template (one line per row).
 * Throws TemplateError (exit code 1, docker's for list commands).
 */
export function renderList(rows: readonly object[], format: string | undefined, spec: ListSpec, options: ListOptions = {}): string {
  const { text, table } = listTemplate(format, spec, options);
  let tmpl: Template;
  try {
    tmpl = Template.parse(text);
  } catch (e) {
    throw e instanceof TemplateError ? e.withExitCode(1) : e;
  }
  let body = '';
  for (const row of rows) body += tmpl.execute(rowContext(row, spec.rowType)) + '\n';
  if (!table) return body;
  // docker ignores a header error and keeps what the header template wrote before it
  let header: string;
  try {
    header = tmpl.execute(goMap(spec.headers, 'formatter.SubHeaderContext'), { funcs: HEADER_FUNCTIONS });
  } catch (e) {
    header = e instanceof TemplateError ? e.partialOutput : '';
  }
  return alignTable(header + '\n' + body);
}

const rowMethods = {
  /** docker's MarshalJSON of a row context: every exported field, as a map (so sorted). */
  MarshalJSON(this: Record<string, unknown>): string {
    const entries: [string, unknown][] = [];
    for (const key of Object.keys(this)) {
      if (!/^\p{Lu}/u.test(key)) continue;
      const v = this[key];
      if (typeof v === 'function' && v.length > 0) continue; // a method with arguments ({{.Label "k"}}) is not a field
      entries.push([key, typeof v === 'function' ? (v as () => unknown).call(this) : v]);
    }
    return goJson(goMap(entries), { escapeHTML: true });
  },
};
Object.defineProperty(rowMethods, 'MarshalJSON', { enumerable: false });

/** A copy of ROW as docker's row context: a struct of type ROWTYPE that marshals as a sorted map. */
export function rowContext(row: object, rowType: string): object {
  const ctx: Record<string, unknown> = Object.create(rowMethods);
  for (const key of Object.keys(row)) ctx[key] = (row as Record<string, unknown>)[key];
  return goStruct(ctx, (row as { [GO_TYPE]?: string })[GO_TYPE] ?? rowType);
}

/**
 * A copy of DOC with the objects at the given dotted paths as Go maps of the given types
 * ({ 'Config.Labels': 'map[string]string' }). docker's typed structs have maps there, so
 * `{{.Config.Labels.x}}` is <no value> when x is missing and `{{index .Config.Labels "x"}}` "";
 * a plain object would be a struct, whose missing field is an error.
 */
export function withMaps<T>(doc: T, maps: Readonly<Record<string, string>>): T {
  const copy = structuredCopy(doc);
  for (const [path, type] of Object.entries(maps)) {
    const keys = path.split('.');
    let parent: unknown = copy;
    for (const k of keys.slice(0, -1)) parent = parent !== null && typeof parent === 'object' ? (parent as Record<string, unknown>)[k] : undefined;
    const last = keys[keys.length - 1]!;
    if (parent === null || typeof parent !== 'object') continue;
    const obj = (parent as Record<string, unknown>)[last];
    if (obj !== null && typeof obj === 'object' && !Array.isArray(obj) && !(obj instanceof Map)) {
      (parent as Record<string, unknown>)[last] = goMap(obj as Record<string, unknown>, type);
    }
  }
  return copy;
}

function structuredCopy<T>(v: T): T {
  if (Array.isArray(v)) return v.map(structuredCopy) as T;
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = structuredCopy(x);
    return out as T;
  }
  return v;
}

export interface InspectResult {
  /** What docker writes to stdout. */
  output: string;
  /** One per object the template failed on; docker prints them joined by "\n" and exits 1. */
  errors: TemplateError[];
}

export interface InspectOptions {
  /**
   * The objects stand for the daemon's JSON (docker's rawElement), as for images and
   * containers: the default. False for objects the CLI holds itself (docker context
   * inspect): then a failed template is not retried on maps, and JSON output escapes
   * < > & as json.Marshal does.
   */
  raw?: boolean;
}

/**
 * Render OBJECTS the way `docker inspect -f FORMAT` does: no format gives a JSON array
 * indented by 4 spaces; "json" the same array on one line; a template runs once per object
 * (as given, then, if that fails, on the object decoded as JSON maps with missingkey=error,
 * which is where docker's "map has no entry for key" errors come from).
 * Throws TemplateError (exit code 64) for a malformed template.
 */
export function renderInspect(objects: readonly unknown[], format: string | undefined, options: InspectOptions = {}): InspectResult {
  const raw = options.raw ?? true;
  const json = { escapeHTML: !raw };
  if (!format) return { output: objects.length === 0 ? '[]\n' : goJson(objects, { ...json, indent: '    ' }) + '\n', errors: [] };
  if (format === 'json') return { output: objects.length === 0 ? '[]\n' : goJson(objects, json) + '\n', errors: [] };
  const tmpl = Template.parse(format);
  let output = '';
  const errors: TemplateError[] = [];
  for (const obj of objects) {
    try {
      output += tmpl.execute(obj) + '\n';
    } catch (first) {
      if (!(first instanceof TemplateError)) throw first;
      if (!raw) {
        errors.push(first);
        continue;
      }
      try {
        output += tmpl.execute(mapsFromJson(obj), { missingKey: 'error' }) + '\n';
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        errors.push(e);
      }
    }
  }
  return { output: output === '' ? '\n' : output, errors };
}
