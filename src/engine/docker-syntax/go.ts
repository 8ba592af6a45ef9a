// Go's strconv as docker's messages show it. Docker quotes inputs with %q and passes
// strconv errors through unchanged ("strconv.ParseUint: parsing \"x\": invalid syntax"),
// so the parsers here need Go's number rules and Go's error text, not JavaScript's.

/** A strconv failure, with Go's message (`strconv.Atoi: parsing "x": invalid syntax`). */
export class GoNumError extends Error {
  constructor(
    readonly func: string,
    readonly input: string,
    readonly reason: 'invalid syntax' | 'value out of range',
  ) {
    super(`strconv.${func}: parsing ${goQuote(input)}: ${reason}`);
    this.name = 'GoNumError';
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\',
};

/** strconv.Quote (fmt %q): printable runes kept, the rest escaped as Go does. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const simple = SIMPLE_ESCAPES[ch];
    if (simple) {
      out += simple;
      continue;
    }
    const cp = ch.codePointAt(0)!;
    if (cp === 0x20 || (cp > 0x20 && cp < 0x7f)) out += ch;
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (/[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) out += ch;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** strconv.ParseInt(s, 10, bits): an optional sign and decimal digits, nothing else. */
export function goParseInt(s: string, bits = 64, func = 'ParseInt'): bigint {
  const m = /^([+-]?)([0-9]+)$/.exec(s);
  if (!m) throw new GoNumError(func, s, 'invalid syntax');
  const v = BigInt(`${m[1]}${m[2]}`);
  const max = bits === 64 ? INT64_MAX : (1n << BigInt(bits - 1)) - 1n;
  const min = bits === 64 ? INT64_MIN : -(1n << BigInt(bits - 1));
  if (v > max || v < min) throw new GoNumError(func, s, 'value out of range');
  return v;
}

/** strconv.ParseUint(s, 10, bits): decimal digits only (no sign). */
export function goParseUint(s: string, bits = 64): bigint {
  if (!/^[0-9]+$/.test(s)) throw new GoNumError('ParseUint', s, 'invalid syntax');
  const v = BigInt(s);
  if (v >= 1n << BigInt(bits)) throw new GoNumError('ParseUint', s, 'value out of range');
  return v;
}

/** strconv.Atoi on a 64-bit host, as a JavaScript number (callers keep to safe ranges). */
export function goAtoi(s: string): number {
  return Number(goParseInt(s, 64, 'Atoi'));
}

/** strconv.ParseBool. */
export function goParseBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new GoNumError('ParseBool', s, 'invalid syntax');
}

const DECIMAL_FLOAT = /^[+-]?(?:[0-9]+(?:_[0-9]+)*\.?(?:[0-9]+(?:_[0-9]+)*)?|\.[0-9]+(?:_[0-9]+)*)(?:[eE][+-]?[0-9]+)?$/;
const HEX_FLOAT = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?[0-9]+)$/;

/** strconv.ParseFloat(s, 64): decimal and hex (0x1p-2) forms, inf and nan. */
export function goParseFloat(s: string): number {
  const lower = s.toLowerCase().replace(/^[+-]/, '');
  if (lower === 'inf' || lower === 'infinity') return s.startsWith('-') ? -Infinity : Infinity;
  if (lower === 'nan') return NaN;
  const hex = HEX_FLOAT.exec(s);
  if (hex && (hex[2] || hex[3])) {
    const digits = `${hex[2]}${hex[3]}`;
    const v = Number.parseInt(digits, 16) * 2 ** (Number(hex[4]) - 4 * hex[3]!.length);
    return hex[1] === '-' ? -v : v;
  }
  // Underscores may only sit between digits (1_000), as in Go literals.
  if (!DECIMAL_FLOAT.test(s)) throw new GoNumError('ParseFloat', s, 'invalid syntax');
  const v = Number(s.replaceAll('_', ''));
  if (!Number.isFinite(v)) throw new GoNumError('ParseFloat', s, 'value out of range');
  return v;
}
