// The tar header writer (for commit, save and diff): validate the fields once, then encode
// with the TypeScript or the Wasm engine; both give the same bytes.
//
// Output of encodeTarHeader: one 512-byte ustar header, or, when a value does not fit ustar
// (name/linkname too long or not ASCII, size >= 8 GiB, uid/gid > 2097151, mtime outside
// 0..8^11-1 or with a fraction, uname/gname > 32 bytes or not ASCII, any xattr), a pax 'x'
// header with its records first. The caller writes the file data after it, then
// tarPadding(size), and TAR_END after the last entry.
//
// Xattrs are written as SCHILY.xattr.NAME records exactly as given: converting a v3
// security.capability to v2 (hx never emits v3 into layers it produces) is the caller's job.
import type { HeaderFields } from './types.js';
import { TarErrorCode } from './constants.js';
import { TarFormatError } from './errors.js';
import type { TarEngine } from './parser.js';
import type { TarEntryType } from './types.js';
import { encodeHeaderTs } from './write-ts.js';
import { encodeHeaderWasm } from './write-wasm.js';

export interface TarHeaderInput {
  /** Path as it should appear in the archive (directories conventionally end with "/"). */
  name: string;
  type: TarEntryType;
  mode: number; // 0..07777
  uid?: number;
  gid?: number;
  /** Data bytes that follow (files only). */
  size?: number;
  /** Whole seconds (may be negative). */
  mtime?: number;
  mtimeNsec?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: ReadonlyMap<string, Buffer>;
  uname?: string;
  gname?: string;
}


export const TAR_END: Buffer = Buffer.alloc(1024);
const ZEROS = Buffer.alloc(512);

/** Zero bytes that pad `size` bytes of data to the next 512-byte block. */
export function tarPadding(size: number): Buffer {
  return ZEROS.subarray(0, (512 - (size % 512)) % 512);
}

/** Encode the header block(s) of one entry. Throws TarFormatError for values tar cannot hold. */
export function encodeTarHeader(h: TarHeaderInput, opts: { engine?: TarEngine } = {}): Buffer {
  const f = validate(h);
  return opts.engine === 'wasm' ? encodeHeaderWasm(f) : encodeHeaderTs(f);
}

function bad(h: TarHeaderInput, what: string): TarFormatError {
  return new TarFormatError(`cannot write tar entry ${JSON.stringify(h.name)}: ${what}`, {
    code: TarErrorCode.BadNumber,
    entryName: h.name,
    hint: 'this is a bug in the caller of the tar writer',
  });
}

function int(h: TarHeaderInput, what: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw bad(h, `${what} ${v} is out of range ${lo}..${hi}`);
  return v;
}

function validate(h: TarHeaderInput): HeaderFields {
  if (h.name === '') throw bad(h, 'empty name');
  const name = Buffer.from(h.name, 'utf8');
  const linkname = Buffer.from(h.linkname ?? '', 'utf8');
  if (name.includes(0) || linkname.includes(0)) throw bad(h, 'NUL in name or link target');
  if ((h.type === 'symlink' || h.type === 'hardlink') && linkname.length === 0) throw bad(h, 'link without a target');
  const size = int(h, 'size', h.size ?? 0, 0, Number.MAX_SAFE_INTEGER);
  if (size !== 0 && h.type !== 'file') throw bad(h, `a ${h.type} cannot have data`);
  const xattrs: Array<[string, Buffer]> = [];
  for (const [key, value] of h.xattrs ?? []) {
    if (key === '' || key.includes('=') || key.includes('\0')) throw bad(h, `xattr name ${JSON.stringify(key)} cannot be stored in pax`);
    xattrs.push([key, value]);
  }
  const uname = Buffer.from(h.uname ?? '', 'utf8');
  const gname = Buffer.from(h.gname ?? '', 'utf8');
  if (uname.includes(0) || gname.includes(0)) throw bad(h, 'NUL in uname or gname');
  return {
    name,
    type: h.type,
    mode: int(h, 'mode', h.mode, 0, 0o7777),
    uid: int(h, 'uid', h.uid ?? 0, 0, 0xffffffff),
    gid: int(h, 'gid', h.gid ?? 0, 0, 0xffffffff),
    size,
    mtime: int(h, 'mtime', h.mtime ?? 0, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    mtimeNsec: int(h, 'mtimeNsec', h.mtimeNsec ?? 0, 0, 999_999_999),
    linkname,
    devmajor: int(h, 'devmajor', h.devmajor ?? 0, 0, 0o7777777),
    devminor: int(h, 'devminor', h.devminor ?? 0, 0, 0o7777777),
    xattrs,
    uname,
    gname,
  };
}

export type { HeaderFields };
