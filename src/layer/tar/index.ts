// hx's tar code: a streaming reader, a header writer, and entry-name rules for layers.
//
// Reading: `new TarStreamParser(sink, { engine })`, then `push(chunk)` for each piece of the
// uncompressed stream (any size; 1-8 MiB chunks are best) and `end()` when it is over.
// For each entry the sink gets, synchronously and in order:
//   onEntry(entry)          the TarEntry record (types.ts): name as stored, type, mode, ids,
//                           size, mtime (+ mtimeNsec), linkname, devices, xattrs, dataOffset
//   onData(entry, data)*    the file data in pieces; each piece is a view of the pushed chunk
//                           (copy it to keep it). A file larger than a chunk arrives in
//                           several pieces, so memory never grows with file size.
//   onEntryEnd(entry)       after the last piece (also for entries without data)
// Memory is bounded by the largest header chain the parser must hold whole across chunks
// (pax header <= 16 MiB, long names <= 1 MiB). Format errors, truncation (in a header, in
// data, or no end-of-archive marker unless allowMissingEnd) and values out of bounds throw
// TarFormatError (exitCode 125, a hint). After a throw the parser is unusable. Pax global
// headers apply their uid, gid and mtime to the later entries (POSIX; Go's archive/tar
// ignores them); their other keys are ignored. Header-only types (links, dirs, devices,
// fifos) never carry data, whatever their size field says (as Go's archive/tar). Negative
// numbers are errors except mtime (GNU tar writes pre-1970 times in base-256). Names are
// decoded as UTF-8 (a non-UTF-8 byte becomes U+FFFD).
// Sparse files (GNU 'S' or GNU.sparse.* pax keys) and other vendor types are rejected.
// `tarWritable(sink, opts)` wraps a parser in a Writable for stream pipelines;
// `readTarBuffer(buf)` parses a whole in-memory archive (tests, small archives).
//
// Engines: 'ts' walks headers in JavaScript over the chunk Buffers; 'wasm' copies windows
// of the chunk into Wasm memory (64 KiB, doubling up to 8 MiB while headers keep coming; the
// data of a large file is never copied) and walks them in assembly/tar_read.ts. Both give
// identical records and errors (tested on the same fixtures); see bench/tar-parse.mjs.
//
// Names are not cleaned by the reader: call classifyWhiteout(entry.name) (or cleanPath) to get
// the path under the layer root and its whiteout kind; both throw TarFormatError for names
// that climb out of the root, empty names and bare ".wh.".
//
// Writing: encodeTarHeader(fields, { engine }) returns the header block(s) for one entry
// (a pax 'x' header first when a value does not fit ustar); then the data, tarPadding(size),
// and TAR_END after the last entry. It writes xattrs as given: never pass a v3
// security.capability (convert it to v2 first; hx never emits v3 in layers it produces).
export { TarStreamParser, readTarBuffer, tarWritable, DEFAULT_TAR_ENGINE } from './parser.js';
export type { TarSink, TarParserOptions, TarEngine, TarEntryWithData } from './parser.js';
export { encodeTarHeader, tarPadding, TAR_END } from './write.js';
export type { TarHeaderInput } from './write.js';
export { cleanPath, classifyWhiteout } from './paths.js';
export type { ClassifiedName, WhiteoutKind } from './paths.js';
export { cleanPathWasm, classifyWhiteoutWasm, classifyWhiteoutBatchWasm } from './paths-wasm.js';
export { TarFormatError } from './errors.js';
export { TarErrorCode } from './constants.js';
export type { TarEntry, TarEntryType } from './types.js';
