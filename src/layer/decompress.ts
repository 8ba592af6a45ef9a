// Which codec a layer blob uses (by its magic bytes, never by its media type alone) and
// a stream that undoes it. gzip: node:zlib with 1 MiB chunks (DESIGN.md: 2.3x the
// default). zstd: Node 20 has no zlib.createZstdDecompress, so the system `zstd`
// binary runs beside us (a second core for free); without it, an error says what to install.
import { HxError } from '../errors.js';
import { spawn } from 'node:child_process';
import { Duplex, PassThrough } from 'node:stream';
import * as zlib from 'node:zlib';
import { findInPath } from '../host/which.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export class UnsupportedCompression extends HxError {
  constructor(message: string) {
    super(message, { kind: 'data' });
    this.name = 'UnsupportedCompression';
  }
}

/** Needs at least 6 bytes (fewer means a tiny or empty blob: treated as plain tar). */
export function detectCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) throw new UnsupportedCompression('bzip2-compressed layers are not supported');
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a) {
    throw new UnsupportedCompression('xz-compressed layers are not supported');
  }
  return 'none';
}

export interface Decompressor {
  stream: Duplex;
  /** How the bytes are decoded, for reports and the bench. */
  via: string;
}

type ZstdDecompress = (options?: object) => Duplex;

export function decompressor(kind: Compression): Decompressor {
  if (kind === 'gzip') return { stream: zlib.createGunzip({ chunkSize: 1 << 20 }), via: 'node:zlib gunzip' };
  if (kind === 'none') return { stream: new PassThrough({ highWaterMark: 1 << 20 }), via: 'none' };
  const native = (zlib as unknown as { createZstdDecompress?: ZstdDecompress }).createZstdDecompress;
  if (native) return { stream: native({ chunkSize: 1 << 20 }), via: 'node:zlib zstd' };
  const bin = findInPath('zstd');
  if (!bin) {
    throw new UnsupportedCompression('this layer is zstd-compressed and Node 20 cannot decode zstd; the `zstd` program is not installed');
  }
  return { stream: zstdProcess(bin), via: `${bin} -d` };
}

/** A Duplex over `zstd -dc`: bytes in on stdin, decoded bytes out on stdout; a bad exit is an error. */
function zstdProcess(bin: string): Duplex {
  const child = spawn(bin, ['-d', '-c', '-q', '--no-progress'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on('close', (code, signal) => {
    if (code !== 0) duplex.destroy(new Error(`zstd: ${stderr.trim() || `exit ${code ?? signal}`}`));
  });
  child.on('error', (e) => duplex.destroy(e));
  duplex.on('close', () => {
    if (child.exitCode === null) child.kill();
  });
  return duplex;
}
