// Go's encoding/json encoder over the value model of values.ts, as docker uses it:
// json.Marshal (HTML characters escaped), an Encoder with SetEscapeHTML(false) (the
// template `json` function), and MarshalIndent with 4 spaces (`docker inspect`).
// Structs keep their field order, maps are sorted by key, []byte (Uint8Array) is base64,
// a struct with a MarshalJSON method is encoded by it. Strings escape as Go 1.22+ does:
// \b \f \n \r \t, other controls as \u00XX, U+2028/U+2029 always, < > & when escaping HTML.
import { formatFloat } from './strconv.js';
import { compareGoStrings, kindOf, lookupMember, numberOf, structFields, typeName } from './values.js';

export interface JsonOptions {
  /** json.Marshal's default; docker's template `json` function turns it off. */
  escapeHTML?: boolean;
  /** MarshalIndent with this indent (and no prefix). */
  indent?: string;
}

export class JsonEncodeError extends Error {
  override name = 'JsonEncodeError';
}

export function goJson(value: unknown, options: JsonOptions = {}): string {
  const escapeHTML = options.escapeHTML ?? true;
  const out = encode(value, escapeHTML, 0);
  return options.indent ? indentJson(out, options.indent) : out;
}

function encode(v: unknown, escapeHTML: boolean, depth: number): string {
  if (depth > 1000) throw new JsonEncodeError('json: unsupported value: encountered a cycle');
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return 'null';
    case 'bool':
      return v ? 'true' : 'false';
    case 'int':
      return String(v);
    case 'float':
      return jsonFloat(numberOf(v));
    case 'string':
      return jsonString(v as string, escapeHTML);
    case 'slice':
      if (v instanceof Uint8Array) return `"${Buffer.from(v).toString('base64')}"`;
      return `[${(v as unknown[]).map((x) => encode(x, escapeHTML, depth + 1)).join(',')}]`;
    case 'map': {
      const m = v as Map<unknown, unknown>;
      const entries = [...m.entries()].map(([k, x]) => [String(k), x] as const).sort((a, b) => compareGoStrings(a[0], b[0]));
      return `{${entries.map(([k, x]) => `${jsonString(k, escapeHTML)}:${encode(x, escapeHTML, depth + 1)}`).join(',')}}`;
    }
    case 'struct': {
      const m = lookupMember(v as object, 'MarshalJSON');
      if (m.found && m.method) return compactJson(String((m.value as () => unknown).call(v)), escapeHTML);
      const fields = structFields(v as object);
      return `{${fields.map(([k, x]) => `${jsonString(k, escapeHTML)}:${encode(x, escapeHTML, depth + 1)}`).join(',')}}`;
    }
    case 'func':
      throw new JsonEncodeError(`json: unsupported type: ${typeName(v)}`);
  }
}

/** encoding/json's float64: like ES number formatting, with Go's exponent "e-7" cleanup. */
function jsonFloat(x: number): string {
  if (!Number.isFinite(x)) throw new JsonEncodeError(`json: unsupported value: ${formatFloat(x, 'g', -1)}`);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    const s = formatFloat(x, 'e', -1);
    // clean up e-09 to e-9
    return s.replace(/e([+-])0(\d)$/, 'e$1$2');
  }
  return formatFloat(x, 'f', -1);
}

const HEX = '0123456789abcdef';

export function jsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) {
      if (ch === '"' || ch === '\\') out += '\\' + ch;
      else if (c >= 0x20 && !(escapeHTML && (ch === '<' || ch === '>' || ch === '&'))) out += ch;
      else if (ch === '\b') out += '\\b';
      else if (ch === '\f') out += '\\f';
      else if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else out += '\\u00' + HEX[c >> 4] + HEX[c & 15];
    } else if (c === 0x2028 || c === 0x2029) out += '\\u202' + HEX[c & 15];
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd'; // lone surrogate: not valid UTF-8
    else out += ch;
  }
  return out + '"';
}

/** json.Compact, escaping < > & in strings when ESCAPEHTML (as the encoder does for a Marshaler's output). */
export function compactJson(src: string, escapeHTML = false): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (inString) {
      if (c === '\\') {
        out += c + (src[++i] ?? '');
        continue;
      }
      if (c === '"') inString = false;
      if (escapeHTML && (c === '<' || c === '>' || c === '&')) out += '\\u00' + HEX[c.charCodeAt(0) >> 4] + HEX[c.charCodeAt(0) & 15];
      else out += c;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') out += c;
  }
  return out;
}

/** json.Indent of compact JSON: one value per line, empty arrays and objects kept as [] and {}. */
export function indentJson(src: string, indent: string): string {
  let out = '';
  let depth = 0;
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += src[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case '{':
      case '[': {
        const close = c === '{' ? '}' : ']';
        if (src[i + 1] === close) {
          out += c + close;
          i++;
        } else {
          depth++;
          out += c + '\n' + indent.repeat(depth);
        }
        break;
      }
      case '}':
      case ']':
        depth--;
        out += '\n' + indent.repeat(depth) + c;
        break;
      case ',':
        out += ',\n' + indent.repeat(depth);
        break;
      case ':':
        out += ': ';
        break;
      default:
        out += c;
    }
  }
  return out;
}
