// RUN --mount=type=...,key=value and RUN --device=name[,required] as typed records
// (buildkit's instructions/commands_runmount.go and the Dockerfile reference's tables).
// buildkit parses a mount twice: at parse time only its shape (CSV, key=value, no
// variable in from=), after variable expansion everything; parseMount does either.
import { SyntaxProblem } from './errors.js';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

export interface RunMount {
  type: MountType;
  from?: string;
  source?: string;
  target?: string;
  readOnly: boolean;
  /** Cache id, or secret/ssh id. */
  id?: string;
  sharing?: CacheSharing;
  /** secret and ssh: fail when the secret or key is not provided. */
  required: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
  /** tmpfs size limit in bytes. */
  size?: number;
  /** secret: also (or instead) expose it as this environment variable. */
  env?: string;
  /** Only the shape was checked (the value had variables): expand, then parse again. */
  deferred?: boolean;
}

export interface RunDevice {
  name: string;
  required: boolean;
}

const MOUNT_TYPES: ReadonlySet<string> = new Set(['bind', 'cache', 'tmpfs', 'secret', 'ssh']);
const SHARING: ReadonlySet<string> = new Set(['shared', 'private', 'locked']);

/**
 * One CSV record as buildkit reads a --mount value (go-csvvalue, encoding/csv's rules):
 * commas separate fields, a field that starts with a double quote is quoted ("" inside
 * is one quote), a quote elsewhere is an error.
 */
export function csvFields(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      const open = i;
      i++;
      for (;;) {
        if (i >= text.length) throw new SyntaxProblem(`parse error on line 1, column ${open + 1}: extraneous or missing " in quoted-field`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i];
        i++;
      }
      if (i < text.length && text[i] !== ',') throw new SyntaxProblem(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
    } else {
      while (i < text.length && text[i] !== ',') {
        if (text[i] === '"') throw new SyntaxProblem(`parse error on line 1, column ${i + 1}: bare " in non-quoted field`);
        field += text[i];
        i++;
      }
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

/** strconv.ParseBool. */
function parseBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** strconv.ParseUint(value, base, 32). */
function parseUint32(value: string, base: 8 | 10): number | undefined {
  const digits = base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  // ParseUint also takes "_" separators and a 0o/0x prefix only with base 0; not here.
  if (!digits.test(value)) return undefined;
  const n = Number.parseInt(value, base);
  return n <= 0xffffffff ? n : undefined;
}

/** docker/go-units RAMInBytes: "64m", "1.5g", "512KiB", "1024". */
export function ramInBytes(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(value);
  if (m === null) return undefined;
  const size = Number.parseFloat(m[1]!);
  const power = m[2] === undefined ? 0 : 'kmgtp'.indexOf(m[2].toLowerCase()) + 1;
  return Math.trunc(size * 1024 ** power);
}

/**
 * Parse one --mount value (buildkit's parseMount). Without `expand` it checks what
 * buildkit checks at parse time: the CSV, and that from= holds no variable; every other
 * field waits for expansion and the result is `deferred`. With `expand` (variables
 * substituted) every field is read and checked.
 */
export function parseMount(value: string, expand?: (word: string) => string): RunMount {
  let fields: string[];
  try {
    fields = csvFields(value);
  } catch (e) {
    throw new SyntaxProblem(`failed to parse csv mounts: ${(e as Error).message}`);
  }
  const m: RunMount = { type: 'bind', readOnly: false, required: false };
  let roAuto = true;
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq === -1 ? field : field.slice(0, eq)).toLowerCase();
    if (eq === -1) {
      if (expand === undefined) {
        m.deferred = true;
        continue;
      }
      if (key === 'readonly' || key === 'ro') {
        m.readOnly = true;
        roAuto = false;
      } else if (key === 'readwrite' || key === 'rw') {
        m.readOnly = false;
        roAuto = false;
      } else if (key === 'required') {
        if (m.type !== 'secret' && m.type !== 'ssh') throw new SyntaxProblem(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = true;
      } else {
        throw new SyntaxProblem(`invalid field '${field}' must be a key=value pair`);
      }
      continue;
    }
    let v = field.slice(eq + 1);
    if (expand !== undefined) {
      v = expand(v);
    } else if (key === 'from') {
      // A $ anywhere but at the end could start a variable: stages are not chosen by variables.
      const dollar = v.indexOf('$');
      if (dollar !== -1 && dollar !== v.length - 1) throw new SyntaxProblem(`'${key}' doesn't support variable expansion, define alias stage instead`);
    } else {
      m.deferred = true;
      continue;
    }
    applyMountKey(m, key, v, field);
    if (key === 'readonly' || key === 'ro' || key === 'readwrite' || key === 'rw') roAuto = false;
  }
  if (expand === undefined) return m;
  delete m.deferred;
  checkMount(m, roAuto);
  return m;
}

function applyMountKey(m: RunMount, key: string, v: string, field: string): void {
  const bool = (): boolean => {
    const b = parseBool(v);
    if (b === undefined) throw new SyntaxProblem(`invalid value for ${key}: ${v}`);
    return b;
  };
  switch (key) {
    case 'type':
      if (!MOUNT_TYPES.has(v.toLowerCase())) throw new SyntaxProblem(`unsupported mount type "${v}"`);
      m.type = v.toLowerCase() as MountType;
      return;
    case 'from':
      m.from = v;
      return;
    case 'source':
    case 'src':
      m.source = v;
      return;
    case 'target':
    case 'dst':
    case 'destination':
      m.target = v;
      return;
    case 'readonly':
    case 'ro':
      m.readOnly = bool();
      return;
    case 'readwrite':
    case 'rw':
      m.readOnly = !bool();
      return;
    case 'required':
      if (m.type !== 'secret' && m.type !== 'ssh') throw new SyntaxProblem(`unexpected key '${key}' for mount type '${m.type}'`);
      m.required = bool();
      return;
    case 'size': {
      if (m.type !== 'tmpfs') throw new SyntaxProblem(`unexpected key '${key}' for mount type '${m.type}'`);
      const n = ramInBytes(v);
      if (n === undefined) throw new SyntaxProblem(`invalid value for ${key}: ${v}`);
      m.size = n;
      return;
    }
    case 'id':
      m.id = v;
      return;
    case 'sharing':
      if (!SHARING.has(v.toLowerCase())) throw new SyntaxProblem(`unsupported sharing value "${v}"`);
      m.sharing = v.toLowerCase() as CacheSharing;
      return;
    case 'mode':
    case 'uid':
    case 'gid': {
      const n = parseUint32(v, key === 'mode' ? 8 : 10);
      if (n === undefined) throw new SyntaxProblem(`invalid value ${v} for ${key}`);
      m[key] = n;
      return;
    }
    case 'env':
      m.env = v;
      return;
    default:
      throw new SyntaxProblem(`unexpected key '${key}' in '${field}'`);
  }
}

/** The checks buildkit makes once all keys are read, in its order. */
function checkMount(m: RunMount, roAuto: boolean): void {
  const fileInfoAllowed = m.type === 'secret' || m.type === 'ssh' || m.type === 'cache';
  if (!fileInfoAllowed) {
    for (const key of ['mode', 'uid', 'gid'] as const) {
      if (m[key] !== undefined) throw new SyntaxProblem(`${key} not allowed for "${m.type}" type mounts`);
    }
  }
  // Cache and tmpfs mounts are writable unless said otherwise; the others read-only.
  if (roAuto) m.readOnly = m.type !== 'cache' && m.type !== 'tmpfs';
  if (m.type === 'secret') {
    if (m.from !== undefined && m.from !== '') throw new SyntaxProblem('secret mount should not have a from');
    if (m.sharing !== undefined) throw new SyntaxProblem('secret mount should not define sharing');
    if (!m.source && !m.target && !m.id) throw new SyntaxProblem('invalid secret mount. one of source, target required');
    if (m.source && m.id) throw new SyntaxProblem("both source and id can't be set");
  }
  if (m.sharing !== undefined && m.type !== 'cache') throw new SyntaxProblem(`invalid cache sharing set for ${m.type} mount`);
}

/** RUN --device=NAME[,required[=BOOL]] (a CDI device request). */
export function parseDevice(value: string): RunDevice {
  let fields: string[];
  try {
    fields = csvFields(value);
  } catch (e) {
    throw new SyntaxProblem(`failed to parse csv devices: ${(e as Error).message}`);
  }
  // The name may itself hold "=" (vendor.com/device=foo names one device of a vendor).
  const name = fields[0] ?? '';
  if (name === '') throw new SyntaxProblem(`device name is required in '${value}'`);
  const device: RunDevice = { name, required: false };
  for (const field of fields.slice(1)) {
    const eq = field.indexOf('=');
    const key = (eq === -1 ? field : field.slice(0, eq)).toLowerCase();
    if (key !== 'required') throw new SyntaxProblem(`unexpected key '${key}' in '${field}'`);
    if (eq === -1) {
      device.required = true;
      continue;
    }
    const b = parseBool(field.slice(eq + 1));
    if (b === undefined) throw new SyntaxProblem(`invalid value for ${key}: ${field.slice(eq + 1)}`);
    device.required = b;
  }
  return device;
}
