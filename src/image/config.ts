// The image config (OCI image-spec config.md; docker's is the same JSON with a few extra
// fields): what `hx run` starts and what `hx image inspect` and `hx history` show. Every
// image is checked here before it enters the store (load, import, pull, hello all go
// through parseImageConfig) and again whenever a stored one is read.
//
// The rules are the spec's field types, relaxed where docker and podman (Go's
// encoding/json into docker's types) accept more: a JSON null is "absent" for every field,
// Cmd/Entrypoint/Shell may be a single string (docker's strslice.StrSlice), Env entries
// need no "=", Volumes/ExposedPorts values may be null or any object, fields hx does not
// use are not looked at. What they refuse (a number where a string goes, a malformed
// date) is refused here too, naming the field.
import { HxError } from '../errors.js';
import type { ImageSummary } from '../store/store.js';

export interface ContainerConfig {
  User?: string | null;
  ExposedPorts?: Record<string, object | null> | null;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object | null> | null;
  WorkingDir?: string | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string | null;
  Healthcheck?: HealthConfig | null;
  OnBuild?: string[] | null;
  Shell?: string[] | null;
  [key: string]: unknown;
}

/** docker's HealthConfig: durations are integers in nanoseconds. */
export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number | null;
  Timeout?: number | null;
  StartPeriod?: number | null;
  StartInterval?: number | null;
  Retries?: number | null;
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string | null;
  created_by?: string | null;
  author?: string | null;
  comment?: string | null;
  empty_layer?: boolean | null;
}

export interface ImageConfig {
  created?: string | null;
  author?: string | null;
  /** REQUIRED by the spec; docker takes a missing one as the host's (Image.BaseImgArch). */
  architecture?: string;
  /** REQUIRED by the spec; docker takes a missing one as the host's (Image.OperatingSystem). */
  os?: string;
  variant?: string | null;
  config?: ContainerConfig | null;
  rootfs: { type: string; diff_ids: string[] };
  history?: HistoryEntry[] | null;
  [key: string]: unknown;
}

/** An image config that breaks the spec's types; the message names the field. */
export class ImageConfigError extends HxError {
  constructor(message: string) {
    super(`image config: ${message}`, {
      kind: 'data',
      hint: 'the tool that built the image wrote a config that breaks the OCI image spec (config.md): rebuild the image, or fix its config',
    });
    this.name = 'ImageConfigError';
  }
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "a number", "an array"...: what a JSON value is, for messages. */
function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : typeof v === 'string' ? 'a string' : typeof v;
}

function refuse(path: string, v: unknown, wanted: string): never {
  throw new ImageConfigError(v === undefined ? `${path} is missing (it must be ${wanted})` : `${path} is ${jsonType(v)}, not ${wanted}`);
}

function member(path: string, key: string): string {
  return `${path}[${JSON.stringify(key)}]`;
}

// execve(2) takes C strings: docker loads a NUL in the command or environment, but no
// runtime can start it (hx's plan encoder would refuse it only at `hx run`).
function noNul(s: string, path: string): string {
  if (s.includes('\0')) throw new ImageConfigError(`${path} holds a NUL byte`);
  return s;
}

function optString(o: Obj, key: string, path: string, process = false): void {
  const v = o[key];
  if (v === undefined || v === null) return;
  if (typeof v !== 'string') refuse(path, v, 'a string');
  if (process) noNul(v, path);
}

function optBool(o: Obj, key: string, path: string): void {
  const v = o[key];
  if (v !== undefined && v !== null && typeof v !== 'boolean') refuse(path, v, 'a boolean (true or false)');
}

/** Go decodes a JSON number into int64 only when it has no fraction. */
function optInteger(o: Obj, key: string, path: string, unit: string): void {
  const v = o[key];
  if (v === undefined || v === null) return;
  if (typeof v !== 'number') refuse(path, v, `an integer (${unit})`);
  if (!Number.isInteger(v)) throw new ImageConfigError(`${path} is ${v}, not an integer (${unit})`);
}

/**
 * An array of strings (or null). `strslice`: docker's Cmd, Entrypoint and Shell also take
 * one string, meaning a one-element list; that form is returned as the list.
 */
function stringList(v: unknown, path: string, opts: { strslice?: boolean; process?: boolean } = {}): string[] | null | undefined {
  if (v === undefined || v === null) return v;
  if (opts.strslice && typeof v === 'string') return [opts.process ? noNul(v, path) : v];
  if (!Array.isArray(v)) refuse(path, v, 'an array of strings');
  v.forEach((s: unknown, i) => {
    if (typeof s !== 'string') refuse(`${path}[${i}]`, s, 'a string');
    if (opts.process) noNul(s, `${path}[${i}]`);
  });
  return v as string[];
}

/** A map whose values are objects whose content nobody reads (docker: struct{}), or null. */
function emptyObjectMap(v: unknown, path: string, checkKey: (key: string) => void = () => {}): void {
  if (v === undefined || v === null) return;
  if (!isObject(v)) refuse(path, v, 'an object');
  for (const [key, value] of Object.entries(v)) {
    checkKey(key);
    if (value !== null && !isObject(value)) refuse(member(path, key), value, 'an object');
  }
}

// config.md: "port/tcp", "port/udp", "port" (tcp); docker adds sctp and port ranges
// (nat.ParsePortSpec), and buildah writes EXPOSE's range form as given.
const EXPOSED_PORT = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i;

function checkPortKey(path: string) {
  return (key: string): void => {
    const m = EXPOSED_PORT.exec(key);
    if (!m || Number(m[1]) > 65535 || (m[2] !== undefined && (Number(m[2]) > 65535 || Number(m[2]) < Number(m[1])))) {
      throw new ImageConfigError(`${path} key ${JSON.stringify(key)} is not a port (PORT or PORT/PROTOCOL with tcp, udp or sctp)`);
    }
  };
}

/** Labels: string to string. A null value is "" (what Go's map[string]string makes of it). */
function labels(v: unknown, path: string): Record<string, string> | null | undefined {
  if (v === undefined || v === null) return v;
  if (!isObject(v)) refuse(path, v, 'an object of strings');
  let out: Record<string, string> | undefined;
  for (const [key, value] of Object.entries(v)) {
    if (value === null) (out ??= { ...(v as Record<string, string>) })[key] = '';
    else if (typeof value !== 'string') refuse(member(path, key), value, 'a string');
  }
  return out ?? (v as Record<string, string>);
}

// RFC 3339 section 5.6 as Go's time.Time (what docker and podman decode `created` into)
// reads it: upper-case T and Z, an optional fraction, real calendar values.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/;

function isRfc3339(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  const zoneOk = m[7] === undefined || (Number(m[7]) < 24 && Number(m[8]) < 60);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour < 24 && minute < 60 && second < 60 && zoneOk;
}

function optTime(o: Obj, key: string, path: string): void {
  optString(o, key, path);
  const v = o[key];
  if (typeof v === 'string' && !isRfc3339(v)) throw new ImageConfigError(`${path} ${JSON.stringify(v)} is not an RFC 3339 date-time (like 2024-01-31T12:00:00Z)`);
}

function healthcheck(v: unknown, path: string): void {
  if (v === undefined || v === null) return;
  if (!isObject(v)) refuse(path, v, 'an object');
  stringList(v.Test, `${path}.Test`);
  for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval']) optInteger(v, key, `${path}.${key}`, 'nanoseconds');
  optInteger(v, 'Retries', `${path}.Retries`, 'a count');
}

/** config.md "config" (docker's container.Config): the fields hx and docker's runtime use. */
function containerConfig(v: unknown): ContainerConfig | null | undefined {
  if (v === undefined || v === null) return v;
  if (!isObject(v)) refuse('config', v, 'an object');
  optString(v, 'User', 'config.User', true);
  emptyObjectMap(v.ExposedPorts, 'config.ExposedPorts', checkPortKey('config.ExposedPorts'));
  stringList(v.Env, 'config.Env', { process: true }); // docker's Env is []string: no single-string form
  const entrypoint = stringList(v.Entrypoint, 'config.Entrypoint', { strslice: true, process: true });
  const cmd = stringList(v.Cmd, 'config.Cmd', { strslice: true, process: true });
  emptyObjectMap(v.Volumes, 'config.Volumes');
  optString(v, 'WorkingDir', 'config.WorkingDir', true);
  const labelMap = labels(v.Labels, 'config.Labels');
  optString(v, 'StopSignal', 'config.StopSignal');
  healthcheck(v.Healthcheck, 'config.Healthcheck');
  stringList(v.OnBuild, 'config.OnBuild'); // docker: []string
  const shell = stringList(v.Shell, 'config.Shell', { strslice: true });
  optBool(v, 'ArgsEscaped', 'config.ArgsEscaped');
  // The view differs from the document only where a docker form was turned into hx's.
  const view: ContainerConfig = { ...v };
  if (entrypoint !== v.Entrypoint) view.Entrypoint = entrypoint;
  if (cmd !== v.Cmd) view.Cmd = cmd;
  if (labelMap !== v.Labels) view.Labels = labelMap;
  if (shell !== v.Shell) view.Shell = shell;
  return view;
}

// hx's layer store is keyed by sha256 chain IDs, so diff_ids must be sha256 (config.md
// allows any registered algorithm; docker and podman write sha256 only).
const SHA256 = /^sha256:[a-f0-9]{64}$/;

function rootfs(v: unknown): ImageConfig['rootfs'] {
  if (v === undefined || v === null) throw new ImageConfigError('rootfs is missing (it lists the layers as diff_ids)');
  if (!isObject(v)) refuse('rootfs', v, 'an object');
  if (v.type !== 'layers') throw new ImageConfigError(`rootfs.type is ${typeof v.type === 'string' ? JSON.stringify(v.type) : jsonType(v.type)}, not "layers"`);
  if (!Array.isArray(v.diff_ids)) refuse('rootfs.diff_ids', v.diff_ids, 'an array of digests');
  v.diff_ids.forEach((d: unknown, i) => {
    if (typeof d !== 'string') refuse(`rootfs.diff_ids[${i}]`, d, 'a digest string');
    if (!SHA256.test(d)) throw new ImageConfigError(`rootfs.diff_ids[${i}] ${JSON.stringify(d)} is not a sha256 digest (sha256: and 64 lowercase hex digits)`);
  });
  return v as ImageConfig['rootfs'];
}

function history(v: unknown): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) refuse('history', v, 'an array');
  v.forEach((h: unknown, i) => {
    const path = `history[${i}]`;
    if (!isObject(h)) refuse(path, h, 'an object');
    optTime(h, 'created', `${path}.created`);
    for (const key of ['author', 'created_by', 'comment']) optString(h, key, `${path}.${key}`);
    optBool(h, 'empty_layer', `${path}.empty_layer`);
  });
}

/**
 * Check a decoded image config against the spec's types (see the top of this file) and
 * return it as hx reads it (Cmd "x" as ["x"], null labels as ""). Throws ImageConfigError.
 */
export function validateImageConfig(doc: unknown): ImageConfig {
  if (!isObject(doc)) throw new ImageConfigError(`the document is ${jsonType(doc)}, not a JSON object`);
  optTime(doc, 'created', 'created');
  optString(doc, 'author', 'author');
  optString(doc, 'architecture', 'architecture');
  optString(doc, 'os', 'os');
  optString(doc, 'os.version', 'os.version');
  stringList(doc['os.features'], 'os.features');
  optString(doc, 'variant', 'variant');
  const config = containerConfig(doc.config);
  const layers = rootfs(doc.rootfs);
  history(doc.history);
  // A null architecture or os is absent (Go leaves the string empty): drop it from the view.
  const view: ImageConfig = { ...doc, rootfs: layers, ...(config !== undefined ? { config } : {}) };
  for (const key of ['architecture', 'os'] as const) if (view[key] === null) delete view[key];
  return view;
}

/** Parse config bytes and validate them (validateImageConfig). Throws ImageConfigError. */
export function parseImageConfig(bytes: Buffer | string): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString());
  } catch (e) {
    throw new ImageConfigError(`not valid JSON (${(e as Error).message})`);
  }
  return validateImageConfig(doc);
}

/** What an image record keeps of its config for `hx images` (store/store.ts ImageSummary). */
export function imageSummary(config: ImageConfig): ImageSummary {
  return { ...(config.created != null ? { created: config.created } : {}), labels: config.config?.Labels ?? {} };
}
