// The Go view of JS values that the template executor, fmt and json work on. Go tells a
// struct (fixed fields: a missing one is an error) from a map (a missing key is "no value");
// JS has one object type, so hx marks them:
//   - a plain object (or class instance) is a struct; its function properties are methods;
//   - a JS Map is a map (keys sorted when printed or ranged over, as Go's fmt and range do);
//   - a number is an int when integral, a float64 otherwise; goFloat(n) forces float64;
//   - null/undefined is a nil interface; MISSING is Go's invalid value (a missing map key).
// Type names for error messages ("can't evaluate field X in type T") come from the value,
// or from a GO_TYPE symbol property set with goStruct()/goMap().

/** Key of the Go type name of an object, array or Map: `{ [GO_TYPE]: 'types.ImageInspect', ... }`. */
export const GO_TYPE = Symbol.for('hx.goType');

/** Go's invalid reflect.Value: what a missing map key or nil data evaluates to. */
export const MISSING: unique symbol = Symbol('no value');
export type Missing = typeof MISSING;

/** A float64 whose value happens to be integral (1.0, 1e6): prints as Go prints a float. */
export class GoFloat {
  constructor(readonly value: number) {}
}

export function goFloat(value: number): GoFloat {
  return new GoFloat(value);
}

export type GoKind = 'invalid' | 'nil' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map' | 'struct' | 'func';

type Tagged = { [GO_TYPE]?: string };

/** Name OBJ's Go type (for error messages) and return it. */
export function goStruct<T extends object>(obj: T, typeName: string): T {
  Object.defineProperty(obj, GO_TYPE, { value: typeName, enumerable: false, configurable: true });
  return obj;
}

/** A Go map from ENTRIES; TYPENAME (default map[string]interface {}) also fixes the zero value of a missing key. */
export function goMap(entries: Iterable<readonly [unknown, unknown]> | Record<string, unknown>, typeName?: string): Map<unknown, unknown> {
  const it = Symbol.iterator in entries ? (entries as Iterable<readonly [unknown, unknown]>) : Object.entries(entries);
  const m = new Map<unknown, unknown>(it);
  if (typeName) goStruct(m, typeName);
  return m;
}

/** A JSON document as Go decodes it into interface{}: every object a map[string]interface {}. */
export function mapsFromJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mapsFromJson);
  if (value !== null && typeof value === 'object' && !(value instanceof Map) && !(value instanceof GoFloat)) {
    return new Map(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, mapsFromJson(v)]));
  }
  return value;
}

export function kindOf(v: unknown): GoKind {
  if (v === MISSING) return 'invalid';
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? 'int' : 'float';
    case 'string':
      return 'string';
    case 'function':
      return 'func';
    case 'object':
      if (v instanceof GoFloat) return 'float';
      if (Array.isArray(v) || v instanceof Uint8Array) return 'slice';
      if (v instanceof Map) return 'map';
      return 'struct';
    default:
      return 'invalid';
  }
}

/** The numeric value of an int or float. */
export function numberOf(v: unknown): number {
  if (v instanceof GoFloat) return v.value;
  if (typeof v === 'bigint') return Number(v);
  return v as number;
}

/** Go's reflect type string of V: "string", "int", "[]interface {}", "map[string]interface {}", "*formatter.imageContext"... */
export function typeName(v: unknown): string {
  const tagged = v !== null && typeof v === 'object' ? (v as Tagged)[GO_TYPE] : undefined;
  if (tagged) return tagged;
  switch (kindOf(v)) {
    case 'invalid':
      return '<invalid reflect.Value>';
    case 'nil':
      return 'interface {}';
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'float':
      return 'float64';
    case 'string':
      return 'string';
    case 'func':
      return 'func()';
    case 'slice':
      return v instanceof Uint8Array ? '[]uint8' : '[]interface {}';
    case 'map':
      return 'map[string]interface {}';
    case 'struct':
      return anonymousStructType(v as object);
  }
}

function anonymousStructType(obj: object): string {
  const fields = structFields(obj).map(([k, val]) => `${k} ${typeName(val)}`);
  return fields.length === 0 ? 'struct {}' : `struct { ${fields.join('; ')} }`;
}

/** A struct's fields in declaration (insertion) order: enumerable string keys that are not methods. */
export function structFields(obj: object): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const key of Object.keys(obj)) {
    const val = (obj as Record<string, unknown>)[key];
    if (typeof val !== 'function') out.push([key, val]);
  }
  return out;
}

/** A struct's method or field NAME, walking the prototype chain short of Object.prototype. */
export function lookupMember(obj: object, name: string): { found: false } | { found: true; value: unknown; method: boolean } {
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (!d) continue;
    const value = d.get ? d.get.call(obj) : d.value;
    return { found: true, value, method: typeof value === 'function' };
  }
  return { found: false };
}

/** The element type of a map type name: map[string]string -> string. */
function mapElemType(name: string): string | undefined {
  if (!name.startsWith('map[')) return undefined;
  let depth = 0;
  for (let i = 3; i < name.length; i++) {
    if (name[i] === '[') depth++;
    else if (name[i] === ']' && --depth === 0) return name.slice(i + 1);
  }
  return undefined;
}

/** The zero value of a Go type name: "" for string, 0 for numbers, false for bool, else nil. */
export function zeroOf(type: string | undefined): unknown {
  if (type === undefined) return null;
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (/^(u?int(8|16|32|64)?|uintptr|byte|rune)$/.test(type)) return 0;
  if (/^float(32|64)$/.test(type)) return new GoFloat(0);
  return null;
}

/** What a missing key of map M is with missingkey=zero, and what `index` returns for one. */
export function mapZero(m: Map<unknown, unknown>): unknown {
  return zeroOf(mapElemType(typeName(m)));
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false; structs are true. */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'bool':
      return v as boolean;
    case 'int':
    case 'float':
      return numberOf(v) !== 0;
    case 'string':
      return (v as string).length > 0;
    case 'slice':
      return (v as unknown[]).length > 0;
    case 'map':
      return (v as Map<unknown, unknown>).size > 0;
    default:
      return true;
  }
}

/** Go string order: by UTF-8 bytes, which is code point order (JS compares UTF-16 units). */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Map keys in the order Go's fmt and range visit them (internal/fmtsort). */
export function sortedKeys(m: Map<unknown, unknown>): unknown[] {
  return [...m.keys()].sort((a, b) => {
    const ka = kindOf(a);
    const kb = kindOf(b);
    if ((ka === 'int' || ka === 'float') && (kb === 'int' || kb === 'float')) return numberOf(a) - numberOf(b);
    if (ka === 'string' && kb === 'string') return compareGoStrings(a as string, b as string);
    if (ka === 'bool' && kb === 'bool') return Number(a) - Number(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** Byte length of S in UTF-8 (Go's len of a string). */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
