// The contract between the stream driver (parser.ts) and the two header scanners
// (scan-ts.ts, scan-wasm.ts): a scanner walks headers in a byte range and returns the
// entries whose headers are complete there; the driver owns data delivery, carries
// incomplete header chains across chunks and detects truncation.
import { ScanStatus } from './constants.js';
import type { TarFormatError } from './errors.js';
import type { TarEntry } from './types.js';

export interface ScanResult {
  /** Entries in order; dataOffset is absolute (base + position in the buffer). */
  entries: TarEntry[];
  status: ScanStatus;
  /** Position in the buffer where the driver continues (see ScanStatus). */
  consumed: number;
  /** With ScanStatus.More: bytes the header chain at `consumed` needs, counted from `consumed`. */
  need: number;
  error: TarFormatError | null;
}

/** Values of pax global ('g') headers, applied to every later entry unless a local header overrides them. */
export interface PaxGlobals {
  uid: number; // -1: not set
  gid: number; // -1: not set
  mtimeSet: boolean;
  mtime: number;
  mtimeNsec: number;
}

export function emptyGlobals(): PaxGlobals {
  return { uid: -1, gid: -1, mtimeSet: false, mtime: 0, mtimeNsec: 0 };
}

export interface HeaderScanner {
  readonly globals: PaxGlobals;
  /** Scan buf[start, end); `base` is the stream offset of buf[0]. */
  scan(buf: Buffer, start: number, end: number, base: number): ScanResult;
}

/** Xattr key kinds found in pax records. */
export const XATTR_SCHILY = 0;
export const XATTR_LIBARCHIVE = 1;

/**
 * Add one pax xattr record to `map`. SCHILY.xattr.NAME carries NAME and the raw value;
 * LIBARCHIVE.xattr.NAME carries a %-encoded NAME and a base64 value. The value is copied
 * (the bytes it came from are reused for the next chunk).
 */
export function addXattr(map: Map<string, Buffer>, kind: number, key: Buffer, value: Buffer): void {
  if (kind === XATTR_SCHILY) {
    map.set(key.toString('utf8'), Buffer.from(value));
  } else {
    map.set(percentDecode(key).toString('utf8'), Buffer.from(value.toString('latin1'), 'base64'));
  }
}

function percentDecode(key: Buffer): Buffer {
  if (!key.includes(0x25)) return key;
  const out = Buffer.allocUnsafe(key.length);
  let n = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key[i]!;
    if (c === 0x25 && i + 2 < key.length && isHex(key[i + 1]!) && isHex(key[i + 2]!)) {
      out[n++] = parseInt(String.fromCharCode(key[i + 1]!, key[i + 2]!), 16);
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
