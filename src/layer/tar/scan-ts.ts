// The plain TypeScript header scanner: the reference the Wasm scanner is tested against,
// and an engine in its own right (a header walk over Buffers is fast in V8).
import {
  BLOCK,
  MAX_CHAIN_SIZE,
  MAX_ID,
  MAX_NAME_SIZE,
  MAX_PAX_SIZE,
  MAX_SIZE,
  MAX_XATTRS,
  ScanStatus,
  TarErrorCode,
  TarField,
  padOf,
} from './constants.js';
import { type TarFormatError, tarScanError } from './errors.js';
import { addXattr, emptyGlobals, type HeaderScanner, type PaxGlobals, type ScanResult, XATTR_LIBARCHIVE, XATTR_SCHILY } from './scanner.js';
import type { TarEntry, TarEntryType } from './types.js';

/** Local pax ('x') values for the next entry; -1 / null mean "not given". */
class PaxLocal {
  path: Buffer | null = null;
  linkpath: Buffer | null = null;
  size = -1;
  uid = -1;
  gid = -1;
  mtimeSet = false;
  mtime = 0;
  mtimeNsec = 0;
  xattrs: Array<[number, Buffer, Buffer]> = [];
}

/** A failure inside the walk: turned into a TarFormatError once the entry name is known. */
class ScanFail {
  constructor(
    readonly code: number,
    readonly detail: number,
  ) {}
}

const SPACE = 0x20;
const NUL = 0;

export class TsHeaderScanner implements HeaderScanner {
  readonly globals: PaxGlobals = emptyGlobals();
  // A 32-bit view of the last ArrayBuffer seen, for summing aligned blocks a word at a time.
  private wordsOf: ArrayBufferLike | null = null;
  private words: Uint32Array = new Uint32Array(0);

  /** The unsigned sum of the 512 bytes at buf[h], four bytes at a time when aligned. */
  private blockSum(buf: Buffer, h: number): number {
    const at = buf.byteOffset + h;
    if ((at & 3) !== 0) {
      let sum = 0;
      for (let i = h; i < h + BLOCK; i++) sum += buf[i]!;
      return sum;
    }
    if (this.wordsOf !== buf.buffer) {
      this.wordsOf = buf.buffer;
      this.words = new Uint32Array(buf.buffer, 0, buf.buffer.byteLength >>> 2);
    }
    const words = this.words;
    // Byte sums in 16-bit lanes, two per 32-bit accumulator: at most 32 * 4 * 255 per lane,
    // so no carry between lanes. Unrolled by four.
    let l1 = 0;
    let l2 = 0;
    for (let i = at >>> 2, end = i + 128; i < end; i += 4) {
      const w0 = words[i]!;
      const w1 = words[i + 1]!;
      const w2 = words[i + 2]!;
      const w3 = words[i + 3]!;
      l1 = (l1 + (w0 & 0x00ff00ff) + ((w0 >>> 8) & 0x00ff00ff) + (w1 & 0x00ff00ff) + ((w1 >>> 8) & 0x00ff00ff)) | 0;
      l2 = (l2 + (w2 & 0x00ff00ff) + ((w2 >>> 8) & 0x00ff00ff) + (w3 & 0x00ff00ff) + ((w3 >>> 8) & 0x00ff00ff)) | 0;
    }
    return (l1 & 0xffff) + (l1 >>> 16) + (l2 & 0xffff) + (l2 >>> 16);
  }

  scan(buf: Buffer, start: number, end: number, base: number): ScanResult {
    const entries: TarEntry[] = [];
    let pos = start;
    for (;;) {
      const chainStart = pos;
      let pax: PaxLocal | null = null;
      let longName: Buffer | null = null;
      let longLink: Buffer | null = null;
      for (;;) {
        if (end - pos < BLOCK) return more(entries, chainStart, pos + BLOCK - chainStart);
        const h = pos;
        // The unsigned byte sum: 0 means a zero block, otherwise it checks the header.
        const sum = this.blockSum(buf, h);
        if (sum === 0) {
          if (pos !== chainStart) return fail(entries, TarErrorCode.ZeroInChain, 0, buf, h, base);
          if (end - pos < 2 * BLOCK) return more(entries, chainStart, 2 * BLOCK);
          if (isZeroBlock(buf, h + BLOCK)) return { entries, status: ScanStatus.End, consumed: h + 2 * BLOCK, need: 0, error: null };
          return fail(entries, TarErrorCode.LoneZeroBlock, 0, buf, h, base);
        }
        if (!checksumOk(buf, h, sum)) return fail(entries, TarErrorCode.BadChecksum, 0, buf, h, base);
        const tf = buf[h + 156]!;
        try {
          if (tf === 0x78 /* x */ || tf === 0x67 /* g */ || tf === 0x4c /* L */ || tf === 0x4b /* K */) {
            const size = numeric(buf, h + 124, 12, TarField.Size, false);
            const isPax = tf === 0x78 || tf === 0x67;
            if (isPax ? size > MAX_PAX_SIZE : size > MAX_NAME_SIZE) {
              throw new ScanFail(isPax ? TarErrorCode.PaxTooBig : TarErrorCode.NameTooBig, 0);
            }
            const total = BLOCK + size + padOf(size);
            if (pos + total - chainStart > MAX_CHAIN_SIZE) throw new ScanFail(TarErrorCode.ChainTooBig, 0);
            if (end - pos < total) return more(entries, chainStart, pos + total - chainStart);
            const d = h + BLOCK;
            if (tf === 0x78) {
              pax ??= new PaxLocal();
              parsePax(buf, d, d + size, pax, null);
            } else if (tf === 0x67) {
              parsePax(buf, d, d + size, null, this.globals);
            } else {
              const nul = buf.indexOf(NUL, d);
              const value = buf.subarray(d, nul >= 0 && nul < d + size ? nul : d + size);
              if (tf === 0x4c) longName = value;
              else longLink = value;
            }
            pos += total;
            continue;
          }
          const entry = this.entry(buf, h, tf, pax, longName, longLink, base);
          entries.push(entry);
          const dataStart = h + BLOCK;
          const padded = entry.size + padOf(entry.size);
          if (end - dataStart < padded) {
            return { entries, status: ScanStatus.Data, consumed: dataStart, need: 0, error: null };
          }
          pos = dataStart + padded;
          break;
        } catch (e) {
          if (e instanceof ScanFail) return fail(entries, e.code, e.detail, buf, h, base);
          throw e;
        }
      }
    }
  }

  private entry(
    buf: Buffer,
    h: number,
    tf: number,
    pax: PaxLocal | null,
    longName: Buffer | null,
    longLink: Buffer | null,
    base: number,
  ): TarEntry {
    let type: TarEntryType;
    switch (tf) {
      case 0x30: // '0'
      case 0x37: // '7' contiguous file: a regular file everywhere that matters
      case 0:
        type = 'file';
        break;
      case 0x31:
        type = 'hardlink';
        break;
      case 0x32:
        type = 'symlink';
        break;
      case 0x33:
        type = 'char';
        break;
      case 0x34:
        type = 'block';
        break;
      case 0x35:
        type = 'dir';
        break;
      case 0x36:
        type = 'fifo';
        break;
      case 0x53: // 'S' old GNU sparse
        throw new ScanFail(TarErrorCode.Sparse, 0);
      default:
        throw new ScanFail(TarErrorCode.UnsupportedType, tf);
    }
    const g = this.globals;
    const mode = numeric(buf, h + 100, 8, TarField.Mode, false) & 0o7777;
    const uid = pax && pax.uid >= 0 ? pax.uid : g.uid >= 0 ? g.uid : idField(buf, h + 108, TarField.Uid);
    const gid = pax && pax.gid >= 0 ? pax.gid : g.gid >= 0 ? g.gid : idField(buf, h + 116, TarField.Gid);
    let mtime: number;
    let mtimeNsec = 0;
    if (pax && pax.mtimeSet) {
      mtime = pax.mtime;
      mtimeNsec = pax.mtimeNsec;
    } else if (g.mtimeSet) {
      mtime = g.mtime;
      mtimeNsec = g.mtimeNsec;
    } else {
      mtime = numeric(buf, h + 136, 12, TarField.Mtime, true);
    }
    let size = pax && pax.size >= 0 ? pax.size : numeric(buf, h + 124, 12, TarField.Size, false);
    let devmajor = 0;
    let devminor = 0;
    if (type === 'char' || type === 'block') {
      devmajor = idField(buf, h + 329, TarField.Devmajor);
      devminor = idField(buf, h + 337, TarField.Devminor);
    }

    let name: string;
    if (pax && pax.path) name = pax.path.toString('utf8');
    else if (longName) name = longName.toString('utf8');
    else name = headerName(buf, h);
    if (tf === 0 && name.endsWith('/')) type = 'dir';
    // Header-only types carry no data whatever their size field says (as Go's archive/tar).
    if (type !== 'file') size = 0;
    let linkname: string;
    if (pax && pax.linkpath) linkname = pax.linkpath.toString('utf8');
    else if (longLink) linkname = longLink.toString('utf8');
    else linkname = cString(buf, h + 157, 100);
    if (type !== 'symlink' && type !== 'hardlink') linkname = '';

    const xattrs = new Map<string, Buffer>();
    if (pax) for (const [kind, key, value] of pax.xattrs) addXattr(xattrs, kind, key, value);
    return {
      name,
      type,
      mode,
      uid,
      gid,
      size,
      mtime,
      mtimeNsec,
      linkname,
      devmajor,
      devminor,
      xattrs,
      dataOffset: base + h + BLOCK,
    };
  }
}

function more(entries: TarEntry[], consumed: number, need: number): ScanResult {
  return { entries, status: ScanStatus.More, consumed, need, error: null };
}

function fail(entries: TarEntry[], code: number, detail: number, buf: Buffer, h: number, base: number): ScanResult {
  const error: TarFormatError = tarScanError(code, detail, cString(buf, h, 100), base + h);
  return { entries, status: ScanStatus.Error, consumed: h, need: 0, error };
}

function isZeroBlock(buf: Buffer, p: number): boolean {
  for (let i = p; i < p + BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

/** GNU tar and Go accept the unsigned sum and the (historic) signed-char sum. */
function checksumOk(buf: Buffer, h: number, sum: number): boolean {
  let stored: number;
  try {
    stored = numeric(buf, h + 148, 8, TarField.Checksum, false);
  } catch {
    return false;
  }
  let fieldSum = 0;
  for (let i = h + 148; i < h + 156; i++) fieldSum += buf[i]!;
  const unsigned = sum - fieldSum + 8 * SPACE;
  if (stored === unsigned) return true;
  // The signed sum counts each byte >= 0x80 as 256 less (rare: only then count them).
  let high = 0;
  for (let i = h; i < h + BLOCK; i++) if (i < h + 148 || i >= h + 156) high += buf[i]! >>> 7;
  return stored === unsigned - 256 * high;
}

/** A NUL-terminated string in a fixed field. */
function cString(buf: Buffer, off: number, len: number): string {
  const nul = buf.indexOf(NUL, off);
  const end = nul >= 0 && nul < off + len ? nul : off + len;
  return buf.toString('utf8', off, end);
}

/** name, or prefix/name in ustar (magic "ustar\0"; star's 131-byte prefix when its trailer is there). */
function headerName(buf: Buffer, h: number): string {
  const name = cString(buf, h, 100);
  if (
    buf[h + 257] === 0x75 &&
    buf[h + 258] === 0x73 &&
    buf[h + 259] === 0x74 &&
    buf[h + 260] === 0x61 &&
    buf[h + 261] === 0x72 &&
    buf[h + 262] === 0 &&
    buf[h + 345] !== 0
  ) {
    const star = buf[h + 508] === 0x74 && buf[h + 509] === 0x61 && buf[h + 510] === 0x72 && buf[h + 511] === 0;
    return cString(buf, h + 345, star ? 131 : 155) + '/' + name;
  }
  return name;
}

function idField(buf: Buffer, off: number, field: TarField): number {
  const v = numeric(buf, off, 8, field, false);
  if (v > MAX_ID) throw new ScanFail(TarErrorCode.TooBig, field);
  return v;
}

/**
 * A numeric header field: octal (leading/trailing spaces and NULs ignored, as Go does; an
 * empty field is 0) or GNU base-256 (top bit of the first byte set; bit 6 is the sign).
 */
function numeric(buf: Buffer, off: number, len: number, field: TarField, allowNegative: boolean): number {
  const first = buf[off]!;
  if (first & 0x80) {
    const inv = first & 0x40 ? 0xff : 0;
    let x = 0;
    for (let i = 0; i < len; i++) {
      let c = buf[off + i]! ^ inv;
      if (i === 0) c &= 0x7f;
      x = x * 256 + c;
      if (x > MAX_SIZE) throw new ScanFail(TarErrorCode.TooBig, field);
    }
    if (inv === 0) return x;
    if (!allowNegative) throw new ScanFail(TarErrorCode.Negative, field);
    return -x - 1;
  }
  let a = off;
  let b = off + len;
  while (a < b && (buf[a] === SPACE || buf[a] === NUL)) a++;
  while (b > a && (buf[b - 1] === SPACE || buf[b - 1] === NUL)) b--;
  let x = 0;
  for (let i = a; i < b; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 7) throw new ScanFail(TarErrorCode.BadNumber, field);
    x = x * 8 + d;
  }
  return x;
}

/** Parse pax records "%d %s=%s\n" in buf[p, end) into the local or the global state. */
function parsePax(buf: Buffer, p: number, end: number, local: PaxLocal | null, global: PaxGlobals | null): void {
  while (p < end) {
    // Some writers pad the record area with NULs: accept a NUL-only tail.
    if (buf[p] === NUL) {
      for (let i = p; i < end; i++) if (buf[i] !== NUL) throw new ScanFail(TarErrorCode.BadPaxRecord, 0);
      return;
    }
    let len = 0;
    let q = p;
    while (q < end && buf[q]! >= 0x30 && buf[q]! <= 0x39) {
      len = len * 10 + (buf[q]! - 0x30);
      if (len > end - p) throw new ScanFail(TarErrorCode.BadPaxRecord, 0);
      q++;
    }
    if (q === p || q >= end || buf[q] !== SPACE) throw new ScanFail(TarErrorCode.BadPaxRecord, 0);
    const recEnd = p + len;
    if (recEnd > end || recEnd <= q + 1 || buf[recEnd - 1] !== 0x0a) throw new ScanFail(TarErrorCode.BadPaxRecord, 0);
    const k = q + 1;
    const eq = buf.indexOf(0x3d, k);
    if (eq < 0 || eq >= recEnd - 1 || eq === k) throw new ScanFail(TarErrorCode.BadPaxRecord, 0);
    const v = eq + 1;
    const vEnd = recEnd - 1;
    applyPax(buf, k, eq, v, vEnd, local, global);
    p = recEnd;
  }
}

function keyIs(buf: Buffer, k: number, kEnd: number, word: string): boolean {
  if (kEnd - k !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[k + i] !== word.charCodeAt(i)) return false;
  return true;
}

function keyStarts(buf: Buffer, k: number, kEnd: number, prefix: string): boolean {
  if (kEnd - k <= prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[k + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

function applyPax(buf: Buffer, k: number, kEnd: number, v: number, vEnd: number, local: PaxLocal | null, global: PaxGlobals | null): void {
  for (let i = k; i < kEnd; i++) if (buf[i] === NUL) throw new ScanFail(TarErrorCode.BadPaxRecord, 0);
  const c = buf[k];
  if (c === 0x70 /* p */ && keyIs(buf, k, kEnd, 'path')) {
    if (!local) return;
    local.path = nameValue(buf, v, vEnd);
  } else if (c === 0x6c /* l */ && keyIs(buf, k, kEnd, 'linkpath')) {
    if (!local) return;
    local.linkpath = nameValue(buf, v, vEnd);
  } else if (c === 0x73 /* s */ && keyIs(buf, k, kEnd, 'size')) {
    if (!local) return;
    local.size = vEnd === v ? -1 : decimal(buf, v, vEnd, TarField.Size, MAX_SIZE);
  } else if (c === 0x75 /* u */ && keyIs(buf, k, kEnd, 'uid')) {
    const id = vEnd === v ? -1 : decimal(buf, v, vEnd, TarField.Uid, MAX_ID);
    if (local) local.uid = id;
    else global!.uid = id;
  } else if (c === 0x67 /* g */ && keyIs(buf, k, kEnd, 'gid')) {
    const id = vEnd === v ? -1 : decimal(buf, v, vEnd, TarField.Gid, MAX_ID);
    if (local) local.gid = id;
    else global!.gid = id;
  } else if (c === 0x6d /* m */ && keyIs(buf, k, kEnd, 'mtime')) {
    const target = local ?? global!;
    if (vEnd === v) {
      target.mtimeSet = false;
      return;
    }
    const [sec, nsec] = paxTime(buf, v, vEnd);
    target.mtimeSet = true;
    target.mtime = sec;
    target.mtimeNsec = nsec;
  } else if (c === 0x53 /* S */ && keyStarts(buf, k, kEnd, 'SCHILY.xattr.')) {
    if (local) addPaxXattr(local, XATTR_SCHILY, buf.subarray(k + 13, kEnd), buf.subarray(v, vEnd));
  } else if (c === 0x4c /* L */ && keyStarts(buf, k, kEnd, 'LIBARCHIVE.xattr.')) {
    if (local) addPaxXattr(local, XATTR_LIBARCHIVE, buf.subarray(k + 17, kEnd), buf.subarray(v, vEnd));
  } else if (c === 0x47 /* G */ && keyStarts(buf, k, kEnd, 'GNU.sparse.')) {
    throw new ScanFail(TarErrorCode.Sparse, 0);
  }
  // Anything else (atime, ctime, uname, gname, comment, charset, SCHILY.*, ...) is not needed.
}

function addPaxXattr(local: PaxLocal, kind: number, key: Buffer, value: Buffer): void {
  if (local.xattrs.length >= MAX_XATTRS) throw new ScanFail(TarErrorCode.TooManyXattrs, 0);
  local.xattrs.push([kind, key, value]);
}

/** path/linkpath value: bounded, no NUL; empty means "not given". */
function nameValue(buf: Buffer, v: number, vEnd: number): Buffer | null {
  if (vEnd - v > MAX_NAME_SIZE) throw new ScanFail(TarErrorCode.NameTooBig, 0);
  if (buf.indexOf(NUL, v) >= 0 && buf.indexOf(NUL, v) < vEnd) throw new ScanFail(TarErrorCode.BadPaxRecord, 0);
  return vEnd === v ? null : buf.subarray(v, vEnd);
}

function decimal(buf: Buffer, v: number, vEnd: number, field: TarField, max: number): number {
  if (buf[v] === 0x2d /* - */) throw new ScanFail(TarErrorCode.Negative, field);
  let x = 0;
  for (let i = v; i < vEnd; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) throw new ScanFail(TarErrorCode.BadPaxValue, field);
    x = x * 10 + d;
    if (x > max) throw new ScanFail(TarErrorCode.TooBig, field);
  }
  return x;
}

/** "[-]sec[.frac]" -> [floor seconds, nanoseconds]; digits past the ninth are dropped. */
function paxTime(buf: Buffer, v: number, vEnd: number): [number, number] {
  let i = v;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  let sec = 0;
  const digitsStart = i;
  for (; i < vEnd && buf[i] !== 0x2e; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) throw new ScanFail(TarErrorCode.BadPaxValue, TarField.Mtime);
    sec = sec * 10 + d;
    if (sec > MAX_SIZE) throw new ScanFail(TarErrorCode.TooBig, TarField.Mtime);
  }
  if (i === digitsStart) throw new ScanFail(TarErrorCode.BadPaxValue, TarField.Mtime);
  let nsec = 0;
  if (i < vEnd) {
    i++; // '.'
    let scale = 100_000_000;
    if (i === vEnd) throw new ScanFail(TarErrorCode.BadPaxValue, TarField.Mtime);
    for (; i < vEnd; i++) {
      const d = buf[i]! - 0x30;
      if (d < 0 || d > 9) throw new ScanFail(TarErrorCode.BadPaxValue, TarField.Mtime);
      nsec += d * scale;
      scale = Math.floor(scale / 10);
    }
  }
  if (!negative) return [sec, nsec];
  return nsec === 0 ? [0 - sec, 0] : [-sec - 1, 1_000_000_000 - nsec];
}

