// The functions a template can call: Go's built-ins (text/template funcs.go) and docker's
// (docker/cli templates/templates.go), each with its Go signature so the executor checks
// arguments and reports Go's errors ("wrong number of args for upper: want 1 got 2").
import { sprint, sprintf, sprintln } from '../gofmt.js';
import { goJson } from '../gojson.js';
import { MISSING, compareGoStrings, goStruct, isTrue, kindOf, mapZero, numberOf, typeName, utf8Length } from '../values.js';

/**
 * A parameter type: 'any' is interface{} (a missing value arrives as nil), 'value' is
 * reflect.Value (it arrives as MISSING), 'strings' is []string.
 */
export type Param = 'any' | 'value' | 'string' | 'int' | 'bool' | 'strings';

export interface GoFunc {
  params: readonly Param[];
  /** The element type of a final ...parameter. */
  variadic?: Param;
  fn: (...args: unknown[]) => unknown;
}

/** Functions given to a template: GoFuncs, or plain JS functions (taken as func(...interface{}) interface{}). */
export type FuncMap = Readonly<Record<string, GoFunc | ((...args: never[]) => unknown)>>;

export function toGoFunc(f: GoFunc | ((...args: never[]) => unknown)): GoFunc {
  return typeof f === 'function' ? { params: [], variadic: 'any', fn: f as (...args: unknown[]) => unknown } : f;
}

export function paramTypeName(p: Param): string {
  return { any: 'interface {}', value: 'reflect.Value', string: 'string', int: 'int', bool: 'bool', strings: '[]string' }[p];
}

/** The error a function reports; the executor prints it as "error calling NAME: MESSAGE". */
export class FuncError extends Error {
  override name = 'FuncError';
}

const fail = (message: string): never => {
  throw new FuncError(message);
};

const indirectInterface = (v: unknown): unknown => (v === null || v === undefined ? MISSING : v);

// ---- indexing ----

function indexArg(index: unknown, cap: number): number {
  const k = kindOf(index);
  if (k === 'invalid' || k === 'nil') fail('cannot index slice/array with nil');
  if (k !== 'int') fail(`cannot index slice/array with type ${typeName(index)}`);
  const x = Number(index);
  if (x < 0 || x > cap) fail(`index out of range: ${x}`);
  return x;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  item = indirectInterface(item);
  if (item === MISSING) fail('index of untyped nil');
  for (let idx of indexes) {
    idx = indirectInterface(idx);
    if (item === null || item === undefined) fail('index of nil pointer');
    switch (kindOf(item)) {
      case 'string': {
        const bytes = Buffer.from(item as string, 'utf8');
        const x = indexArg(idx, bytes.length);
        if (x === bytes.length) fail('reflect: string index out of range');
        item = bytes[x];
        break;
      }
      case 'slice': {
        const arr = item as ArrayLike<unknown>;
        const x = indexArg(idx, arr.length);
        if (x === arr.length) fail('reflect: slice index out of range');
        item = arr[x];
        break;
      }
      case 'map': {
        const m = item as Map<unknown, unknown>;
        if (idx === MISSING) fail('value is nil; should be of type string');
        if (m.has(idx)) item = m.get(idx);
        else if (typeof idx !== 'string' && ![...m.keys()].some((k) => kindOf(k) === kindOf(idx))) fail(`value has type ${typeName(idx)}; should be string`);
        else item = mapZero(m);
        break;
      }
      default:
        fail(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  item = indirectInterface(item);
  if (item === MISSING) fail('slice of untyped nil');
  if (indexes.length > 3) fail(`too many slice indexes: ${indexes.length}`);
  const k = kindOf(item);
  if (k === 'string' && indexes.length === 3) fail('cannot 3-index slice a string');
  if (k !== 'string' && k !== 'slice') fail(`can't slice item of type ${typeName(item)}`);
  const bytes = k === 'string' ? Buffer.from(item as string, 'utf8') : undefined;
  const len = bytes ? bytes.length : (item as unknown[]).length;
  const idx = [0, len, len];
  indexes.forEach((x, i) => (idx[i] = indexArg(indirectInterface(x), len)));
  if (idx[0]! > idx[1]!) fail(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) fail(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (bytes) return bytes.subarray(idx[0], idx[1]).toString('utf8');
  const out = (item as unknown[]).slice(idx[0], idx[1]);
  const t = typeName(item);
  return t === '[]interface {}' ? out : goStruct(out, t);
}

function length(item: unknown): number {
  if (item === MISSING) fail('reflect: call of reflect.Value.Type on zero Value');
  if (item === null || item === undefined) fail('len of nil pointer');
  switch (kindOf(item)) {
    case 'string':
      return utf8Length(item as string);
    case 'slice':
      return (item as unknown[]).length;
    case 'map':
      return (item as Map<unknown, unknown>).size;
    default:
      return fail(`len of type ${typeName(item)}`);
  }
}

// ---- comparison (Go 1.24's messages, as docker 28 is built with) ----

const BAD_COMPARISON = 'incompatible types for comparison';
const BAD_COMPARISON_TYPE = 'invalid type for comparison';

type BasicKind = 'bool' | 'int' | 'float' | 'string' | 'invalid';

function basicKind(v: unknown): BasicKind {
  const k = kindOf(v);
  return k === 'bool' || k === 'int' || k === 'float' || k === 'string' ? k : 'invalid';
}

const isNilValue = (v: unknown): boolean => v === MISSING || v === null || v === undefined;

function comparable(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'slice':
    case 'map':
    case 'func':
      return false;
    case 'struct':
      return Object.values(v as object).every((x) => typeof x === 'function' || comparable(x));
    default:
      return true;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (kindOf(a) !== 'struct' || kindOf(b) !== 'struct') return basicEqual(a, b);
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function basicEqual(a: unknown, b: unknown): boolean {
  const k = basicKind(a);
  if (k === 'int' || k === 'float') return numberOf(a) === numberOf(b);
  return a === b;
}

function eq(arg1: unknown, ...arg2: unknown[]): boolean {
  arg1 = indirectInterface(arg1);
  if (arg2.length === 0) fail('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (let arg of arg2) {
    arg = indirectInterface(arg);
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (arg1 !== MISSING && arg !== MISSING) fail(BAD_COMPARISON);
    } else if (k1 !== 'invalid') {
      truth = basicEqual(arg1, arg);
    } else {
      if (kindOf(arg1) !== kindOf(arg) && arg1 !== MISSING && arg !== MISSING) {
        fail(`non-comparable types ${sprintf('%s', [arg1])}: ${typeName(arg1)}, ${typeName(arg)}: ${sprint([arg])}`);
      }
      if (isNilValue(arg1) || isNilValue(arg)) truth = isNilValue(arg) === isNilValue(arg1);
      else {
        if (!comparable(arg)) fail(`non-comparable type ${sprintf('%s', [arg])}: ${typeName(arg)}`);
        truth = arg1 === arg || deepEqual(arg1, arg);
      }
    }
    if (truth) return true;
  }
  return false;
}

function lt(arg1: unknown, arg2: unknown): boolean {
  arg1 = indirectInterface(arg1);
  arg2 = indirectInterface(arg2);
  const k1 = basicKind(arg1);
  if (k1 === 'invalid') fail(BAD_COMPARISON_TYPE);
  const k2 = basicKind(arg2);
  if (k2 === 'invalid') fail(BAD_COMPARISON_TYPE);
  if (k1 !== k2) fail(BAD_COMPARISON);
  switch (k1) {
    case 'bool':
      return fail(BAD_COMPARISON_TYPE);
    case 'string':
      return compareGoStrings(arg1 as string, arg2 as string) < 0;
    default:
      return numberOf(arg1) < numberOf(arg2);
  }
}

const le = (a: unknown, b: unknown): boolean => lt(a, b) || eq(a, b);

// ---- escaping ----

/** The text of a function's arguments: fmt.Sprint, with a missing value as <no value>. */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === null || a === undefined || a === MISSING ? '<no value>' : a)));
}

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ '\0': '\ufffd', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

const JS_PRINT = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const r = ch.codePointAt(0)!;
    const named: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D' };
    if (named[ch]) out += named[ch];
    else if (r < 0x20) out += '\\u00' + r.toString(16).toUpperCase().padStart(2, '0');
    else if (r < 0x80 || JS_PRINT.test(ch)) out += ch;
    else out += '\\u' + (r >= 0xd800 && r <= 0xdfff ? 0xfffd : r).toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

/** url.QueryEscape: unreserved bytes kept, space as +, the rest %XX. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

// ---- call ----

function callValue(callee: string, f: unknown, ...args: unknown[]): unknown {
  f = indirectInterface(f);
  if (f === MISSING) fail('call of nil');
  if (typeof f !== 'function') fail(`non-function ${callee} of type ${typeName(f)}`);
  return (f as (...a: unknown[]) => unknown)(...args.map((a) => (a === MISSING ? null : a)));
}

// ---- strings, as Go's strings package maps them rune by rune ----

/** A rune's simple case mapping (Go maps one rune to one rune: "ß" stays "ß"). */
function mapRunes(s: string, map: (ch: string) => string): string {
  let out = '';
  for (const ch of s) {
    const m = map(ch);
    out += [...m].length === 1 ? m : ch;
  }
  return out;
}

function isTitleSeparator(ch: string): boolean {
  const r = ch.codePointAt(0)!;
  if (r <= 0x7f) return !/[0-9a-zA-Z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

/** strings.Title: the first letter of every word upper-cased. */
export function goTitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isTitleSeparator(prev) ? mapRunes(ch, (c) => c.toUpperCase()) : ch;
    prev = ch;
  }
  return out;
}

/** strings.Split: an empty separator splits after each rune. */
export function goSplit(s: string, sep: string): string[] {
  return goStruct(sep === '' ? [...s] : s.split(sep), '[]string');
}

function repeatSpaces(n: number): string {
  if (n < 0) fail('strings: negative Repeat count');
  return ' '.repeat(n);
}

/** docker's pad: spaces around a non-empty string. */
function pad(source: string, prefix: number, suffix: number): string {
  if (source === '') return source;
  return repeatSpaces(prefix) + source + repeatSpaces(suffix);
}

/** docker's truncate: the first LENGTH bytes. */
function truncate(source: string, length: number): string {
  const bytes = Buffer.from(source, 'utf8');
  if (bytes.length < length) return source;
  if (length < 0) fail(`runtime error: slice bounds out of range [:${length}]`);
  return bytes.subarray(0, length).toString('utf8');
}

// ---- the tables ----

const any1: readonly Param[] = ['value'];

/** text/template's predefined functions. and, or and call are special-cased by the executor. */
export const BUILTINS: Readonly<Record<string, GoFunc>> = {
  and: { params: any1, variadic: 'value', fn: () => undefined },
  or: { params: any1, variadic: 'value', fn: () => undefined },
  // the executor passes the callee's text first (Go 1.21+ names it in errors)
  call: { params: any1, variadic: 'value', fn: (callee, f, ...args) => callValue(callee as string, f, ...args) },
  html: { params: [], variadic: 'any', fn: (...a) => htmlEscape(evalArgs(a)) },
  index: { params: any1, variadic: 'value', fn: index },
  slice: { params: any1, variadic: 'value', fn: slice },
  js: { params: [], variadic: 'any', fn: (...a) => jsEscape(evalArgs(a)) },
  len: { params: any1, fn: length },
  not: { params: any1, fn: (a) => !isTrue(indirectInterface(a)) },
  print: { params: [], variadic: 'any', fn: (...a) => sprint(a) },
  printf: { params: ['string'], variadic: 'any', fn: (f, ...a) => sprintf(f as string, a) },
  println: { params: [], variadic: 'any', fn: (...a) => sprintln(a) },
  urlquery: { params: [], variadic: 'any', fn: (...a) => queryEscape(evalArgs(a)) },
  eq: { params: any1, variadic: 'value', fn: eq },
  ne: { params: ['value', 'value'], fn: (a, b) => !eq(a, b) },
  lt: { params: ['value', 'value'], fn: lt },
  le: { params: ['value', 'value'], fn: le },
  gt: { params: ['value', 'value'], fn: (a, b) => !le(a, b) },
  ge: { params: ['value', 'value'], fn: (a, b) => !lt(a, b) },
};

/** docker's basicFunctions (docker/cli templates/templates.go). */
export const DOCKER_FUNCS: Readonly<Record<string, GoFunc>> = {
  json: {
    params: ['any'],
    fn: (v) => {
      try {
        return goJson(v, { escapeHTML: false }).trim();
      } catch {
        return ''; // docker ignores the encoder's error
      }
    },
  },
  split: { params: ['string', 'string'], fn: (s, sep) => goSplit(s as string, sep as string) },
  join: { params: ['strings', 'string'], fn: (elems, sep) => (elems as string[]).join(sep as string) },
  title: { params: ['string'], fn: (s) => goTitle(s as string) },
  lower: { params: ['string'], fn: (s) => mapRunes(s as string, (c) => c.toLowerCase()) },
  upper: { params: ['string'], fn: (s) => mapRunes(s as string, (c) => c.toUpperCase()) },
  pad: { params: ['string', 'int', 'int'], fn: (s, a, b) => pad(s as string, a as number, b as number) },
  truncate: { params: ['string', 'int'], fn: (s, n) => truncate(s as string, n as number) },
};

const identity = (v: unknown): unknown => v;

/** docker's HeaderFunctions: the same names, leaving a table header's column names intact. */
export const HEADER_FUNCS: Readonly<Record<string, GoFunc>> = {
  json: { params: ['string'], fn: identity },
  split: { params: ['string', 'string'], fn: identity },
  join: { params: ['string', 'string'], fn: identity },
  title: { params: ['string'], fn: identity },
  lower: { params: ['string'], fn: identity },
  upper: { params: ['string'], fn: identity },
  truncate: { params: ['string', 'int'], fn: identity },
};

