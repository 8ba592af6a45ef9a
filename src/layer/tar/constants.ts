// Numbers shared by the TypeScript reader and the Wasm reader (assembly/tar_read.ts keeps
// the same values: bump ABI_VERSION in both when any of them changes).
export const WASM_ABI_VERSION = 1;

export const BLOCK = 512;

/** Largest pax extended header ('x' or 'g') accepted. */
export const MAX_PAX_SIZE = 16 * 1024 * 1024;
/** Largest GNU long name/link ('L'/'K') data and largest pax path/linkpath value. */
export const MAX_NAME_SIZE = 1024 * 1024;
/** Largest header chain (extended headers plus the entry header) kept whole in memory. */
export const MAX_CHAIN_SIZE = MAX_PAX_SIZE + 2 * MAX_NAME_SIZE + 8 * BLOCK;
/** Most xattrs on one entry. */
export const MAX_XATTRS = 4096;
/** Largest size (2^53 - 1): every offset stays an exact JavaScript number. */
export const MAX_SIZE = Number.MAX_SAFE_INTEGER;
/** Largest uid/gid (Linux ids are 32-bit). */
export const MAX_ID = 0xffffffff;

/** Scanner outcome for one call. */
export const enum ScanStatus {
  /** Stopped at a header boundary: the chain at `consumed` needs `need` bytes from there. */
  More = 0,
  /** The last entry's data (and padding) runs past the scanned bytes; `consumed` is its data start. */
  Data = 1,
  /** The end-of-archive marker (two zero blocks) ends at `consumed`. */
  End = 2,
  /** A format error: see the error fields. */
  Error = 3,
}

/** What went wrong (the Wasm reader reports the same codes). */
export enum TarErrorCode {
  BadChecksum = 1,
  BadNumber = 2,
  Negative = 3,
  TooBig = 4,
  PaxTooBig = 5,
  NameTooBig = 6,
  BadPaxRecord = 7,
  BadPaxValue = 8,
  UnsupportedType = 9,
  Sparse = 10,
  LoneZeroBlock = 11,
  ZeroInChain = 12,
  TooManyXattrs = 13,
  ChainTooBig = 14,
  // Found by the stream driver, not by a scanner:
  TruncatedHeader = 20,
  TruncatedData = 21,
  MissingEnd = 22,
  Empty = 23,
  // Names (cleanPath / classifyWhiteout):
  EmptyName = 30,
  PathEscapes = 31,
  NulInName = 32,
  BareWhiteout = 33,
  BadWhiteout = 34,
}

/** Which field an error is about (the `detail` of BadNumber/Negative/TooBig/BadPaxValue). */
export const enum TarField {
  Mode = 1,
  Uid = 2,
  Gid = 3,
  Size = 4,
  Mtime = 5,
  Checksum = 6,
  Devmajor = 7,
  Devminor = 8,
}

export const FIELD_NAMES: Record<number, string> = {
  1: 'mode',
  2: 'uid',
  3: 'gid',
  4: 'size',
  5: 'mtime',
  6: 'checksum',
  7: 'devmajor',
  8: 'devminor',
};

/** Padding after `size` bytes of data up to the next block. */
export function padOf(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}
