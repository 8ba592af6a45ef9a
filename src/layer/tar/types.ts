// The records a tar reader produces, shared by the Wasm reader and the TypeScript
// reference. Offsets are relative to the start of the buffer given to the reader.
export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  /** Path as stored (after pax/GNU long-name resolution), not yet cleaned. */
  name: string;
  type: TarEntryType;
  mode: number; // permission bits incl. setuid/setgid/sticky (07777)
  uid: number;
  gid: number;
  size: number; // bytes of file data (0 for non-files)
  mtime: number; // seconds since the epoch (pax fractions dropped)
  linkname: string; // symlink target or hardlink target; '' otherwise
  devmajor: number;
  devminor: number;
  /** SCHILY.xattr.* and LIBARCHIVE.xattr.* from pax headers, raw bytes. */
  xattrs: Map<string, Buffer>;
  /** Offset of the file data in the stream (valid while the data is in the buffer). */
  dataOffset: number;
}
