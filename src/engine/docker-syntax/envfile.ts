// --env-file and --label-file: docker CLI's pkg/kvfile (docker 28). One KEY=VALUE per
// line; leading whitespace is dropped, the rest of the line kept as is (no quotes are
// removed, trailing spaces stay in the value); '#' lines and blank lines are skipped; a
// UTF-8 BOM on the first line is dropped; a bare KEY takes the caller's value and is left
// out when the caller has none (env files) or always (label files).
import { UsageError } from '../../errors.js';

/** Where a bare KEY's value comes from: undefined means "not set". */
export type EnvLookup = (key: string) => string | undefined;

// Go's unicode.IsSpace (differs from JavaScript's \s: it has U+0085, lacks U+FEFF).
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

// bufio.Scanner's default token limit.
const MAX_LINE = 64 * 1024;

function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length && start === i) break;
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    let end = i;
    if (end > start && bytes[end - 1] === 0x0d) end--; // ScanLines drops one \r
    if (i - start + 1 > MAX_LINE) throw new Error('bufio.Scanner: token too long');
    lines.push(bytes.subarray(start, end));
    start = i + 1;
  }
  return lines;
}

// ignoreBOM keeps a BOM in the text: only line 1's is dropped, as kvfile does.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * kvfile's parseKeyValueFile over CONTENT (bytes as read, or already-decoded text).
 * Errors carry kvfile's text ("variable 'A B' contains whitespaces", "no variable name on
 * line '=1'", "invalid utf8 bytes at line 2: [65 61 255]"); see parseEnvFile for the
 * file name prefix.
 */
export function parseKeyValueText(content: Uint8Array | string, lookup: EnvLookup | undefined): string[] {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const out: string[] = [];
  splitLines(bytes).forEach((raw, index) => {
    let text: string;
    try {
      text = decoder.decode(raw);
    } catch {
      throw new Error(`invalid utf8 bytes at line ${index + 1}: [${Array.from(raw).join(' ')}]`);
    }
    if (index === 0 && text.startsWith('\ufeff')) text = text.slice(1);
    const line = text.replace(GO_SPACE, '');
    if (line === '' || line[0] === '#') return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key === '') throw new Error(`no variable name on line '${line}'`);
    if (/[ \t]/.test(key)) throw new Error(`variable '${key}' contains whitespaces`);
    if (eq >= 0) {
      out.push(line);
      return;
    }
    const value = lookup?.(line);
    if (value !== undefined) out.push(`${key}=${value}`);
  });
  return out;
}

function fileError(name: string, e: unknown): UsageError {
  return new UsageError(`invalid env file (${name}): ${(e as Error).message}`,
    'write one KEY=VALUE (or KEY) per line; # starts a comment; names may not hold spaces');
}

/** kvfile.Parse for --env-file: NAME labels errors; bare keys read LOOKUP. */
export function parseEnvFile(content: Uint8Array | string, name: string, lookup: EnvLookup): string[] {
  try {
    return parseKeyValueText(content, lookup);
  } catch (e) {
    throw fileError(name, e);
  }
}

/** --label-file: the same format, but a bare KEY is dropped (no lookup). */
export function parseLabelFile(content: Uint8Array | string, name: string): string[] {
  try {
    return parseKeyValueText(content, undefined);
  } catch (e) {
    throw fileError(name, e);
  }
}
