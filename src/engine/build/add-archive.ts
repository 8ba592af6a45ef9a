// ADD's local archives: which codec (magic bytes), and a stream of the tar inside. gzip
// and zstd as layers are read (layer/decompress.ts); bzip2 and xz, which layers never use,
// by Debian's `bzip2 -dc` / `xz -dc` beside us (bench/RESULTS.md "ADD of bzip2/xz": the
// programs beat the JS decoders from npm and take a second core); the tar itself is read
// by the project's own unpacker.
import { closeSync, readSync } from 'node:fs';
import { Duplex, type Readable } from 'node:stream';
import { HxError } from '../../errors.js';
import { childProcess } from '../../host/child-process.js';
import { findInPath } from '../../host/which.js';
import { decompressor } from '../../layer/decompress.js';
import { openInRoot } from '../../sys/spawn.js';

export type ArchiveCodec = 'gzip' | 'zstd' | 'bzip2' | 'xz' | 'none';

/** The codec of a header HEAD (at least 6 bytes): a tar, plain or compressed; undefined when it is no archive. */
export function archiveCodec(head: Buffer, n: number): ArchiveCodec | undefined {
  if (n >= 3 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (n >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (n >= 4 && head.subarray(0, 3).toString('latin1') === 'BZh' && head[3]! >= 0x31 && head[3]! <= 0x39) return 'bzip2';
  if (n >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (n >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'none';
  return undefined;
}

/** The codec of PATH inside ROOT, or undefined when it is not an archive ADD unpacks. */
export function archiveCodecOf(root: string, path: string): ArchiveCodec | undefined {
  let fd: number;
  try {
    fd = openInRoot(root, path);
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(512);
    return archiveCodec(head, readSync(fd, head, 0, 512, 0));
  } finally {
    closeSync(fd);
  }
}

/** A Duplex over PROGRAM -dc: compressed bytes in, the tar out; a bad exit is an error. */
function programDecoder(name: 'bzip2' | 'xz'): Duplex {
  const bin = findInPath(name);
  if (!bin) throw new HxError(`ADD of a ${name} archive needs the \`${name}\` program, which is not installed`, { kind: 'unavailable', hint: `install it (apt-get install ${name === 'xz' ? 'xz-utils' : 'bzip2'}), or give the archive gzip-compressed` });
  const child = childProcess().spawn(bin, ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on('close', (code, signal) => {
    if (code !== 0) duplex.destroy(new HxError(`${name}: ${stderr.trim() || `exit ${code ?? signal}`}`, { kind: 'data', hint: 'the archive is damaged' }));
  });
  child.on('error', (e) => duplex.destroy(e));
  return duplex;
}

/** INPUT (the archive's bytes) as a tar stream. */
export function tarStream(input: Readable, codec: ArchiveCodec): Readable {
  if (codec === 'none') return input;
  const decoder = codec === 'bzip2' || codec === 'xz' ? programDecoder(codec) : decompressor(codec).stream;
  input.on('error', (e) => decoder.destroy(e));
  return input.pipe(decoder);
}
