// The records a tar reader produces, shared by the Wasm reader and the TypeScript
// reference. Both readers produce identical records for the same bytes.
export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  /** Path as stored (after pax/GNU long-name resolution), not yet cleaned. */
  name: string;
  type: TarEntryType;
  mode: number; // permission bits incl. setuid/setgid/sticky (07777)
  uid: number;
  gid: number;
  size: number; // bytes of file data (0 for non-files)
  mtime: number; // whole seconds since the epoch (floor; may be negative for pre-1970 times)
  mtimeNsec: number; // 0..999999999: the fraction of a pax mtime, in nanoseconds
  linkname: string; // symlink target or hardlink target; '' otherwise
  devmajor: number;
  devminor: number;
  /** SCHILY.xattr.* and LIBARCHIVE.xattr.* from pax headers, raw bytes. */
  xattrs: Map<string, Buffer>;
  /** Byte offset of the file data from the start of the archive stream. */
  dataOffset: number;
}

/** Validated fields as both engines take them. */
export interface HeaderFields {
  name: Buffer;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  mtimeNsec: number;
  linkname: Buffer;
  devmajor: number;
  devminor: number;
  xattrs: Array<[string, Buffer]>;
  uname: Buffer;
  gname: Buffer;
}
