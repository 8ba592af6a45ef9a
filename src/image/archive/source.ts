// Random access to the members of an image archive: a directory (OCI layout or an
// unpacked docker-archive) or a tar file, indexed once by walking its headers and seeking
// past the data. Compressed archives and stdin are first spooled (decompressed) into a
// temp file in the store, so every reader below sees a seekable plain tar.
import { closeSync, createReadStream, createWriteStream, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, readSync, realpathSync } from 'node:fs';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { HxError } from '../../errors.js';
import { decompressor, detectCompression } from '../../layer/decompress.js';

export class ArchiveError extends HxError {
  constructor(message: string, hint?: string) {
    super(message, { kind: 'data', hint });
    this.name = 'ArchiveError';
  }
}

/** What a name itself is, links not followed (TARGET as the archive writes it). */
export type ArchiveEntry = { type: 'file' } | { type: 'symlink' | 'hardlink'; target: string } | { type: 'other' };

export interface ArchiveSource {
  readonly description: string;
  /** Whether NAME resolves (through links inside the archive) to a regular file. */
  has(name: string): boolean;
  /** NAME without following links; undefined when the archive has no such name. */
  entry(name: string): ArchiveEntry | undefined;
  size(name: string): number;
  names(): string[];
  readFile(name: string, max?: number): Buffer;
  /** The first bytes of NAME (fewer when it is shorter). */
  head(name: string, length: number): Buffer;
  open(name: string): Readable;
  close(): void;
}

const MAX_METADATA = 64 << 20;

function normalize(name: string): string {
  const n = posix.normalize(name.replace(/^\.\//, '').replace(/\/+$/, ''));
  return n === '.' ? '' : n.replace(/^\/+/, '');
}

export class DirSource implements ArchiveSource {
  readonly description: string;
  constructor(private readonly dir: string) {
    this.description = `directory ${dir}`;
  }
  private path(name: string): string {
    const n = normalize(name);
    if (n.startsWith('../') || n === '..') throw new ArchiveError(`archive member "${name}" leaves the archive`);
    const p = join(this.dir, n);
    // Refuse members that resolve outside the directory through symlinks.
    try {
      const real = realpathSync(p);
      const root = realpathSync(this.dir);
      if (real !== root && !real.startsWith(`${root}/`)) throw new ArchiveError(`archive member "${name}" points outside ${this.dir}`);
    } catch (e) {
      if (e instanceof ArchiveError) throw e;
    }
    return p;
  }
  has(name: string): boolean {
    try {
      return lstatSync(this.path(name)).isFile() || lstatSync(this.path(name)).isSymbolicLink();
    } catch {
      return false;
    }
  }
  entry(name: string): ArchiveEntry | undefined {
    const n = normalize(name);
    if (n.startsWith('../') || n === '..') return undefined;
    const p = join(this.dir, n);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink()) return { type: 'symlink', target: readlinkSync(p) };
    if (!st.isFile()) return { type: 'other' };
    this.path(name); // a parent dir that is a symlink out of the directory is refused
    return { type: 'file' };
  }
  size(name: string): number {
    return fstatSizeOf(this.path(name));
  }
  names(): string[] {
    return [];
  }
  readFile(name: string, max = MAX_METADATA): Buffer {
    const p = this.path(name);
    if (fstatSizeOf(p) > max) throw new ArchiveError(`archive member "${name}" is larger than ${max} bytes`);
    return readFileSync(p);
  }
  head(name: string, length: number): Buffer {
    const fd = openSync(this.path(name), 'r');
    try {
      const buf = Buffer.alloc(length);
      return buf.subarray(0, readSync(fd, buf, 0, length, 0));
    } finally {
      closeSync(fd);
    }
  }
  open(name: string): Readable {
    return createReadStream(this.path(name), { highWaterMark: 1 << 20 });
  }
  close(): void {}
}

function fstatSizeOf(p: string): number {
  const fd = openSync(p, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

interface Member {
  offset: number;
  size: number;
  link?: string; // symlink (resolved relative to the member's dir) or hardlink target
  /** For links: which kind, and the target as the header gives it (for messages). */
  linkType?: 'symlink' | 'hardlink';
  linkName?: string;
}

function octal(buf: Buffer, off: number, len: number): number {
  if (buf[off]! & 0x80) {
    // base-256 (GNU): big-endian, first byte's high bit set
    let v = buf[off]! & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + buf[off + i]!;
    return v;
  }
  const s = buf.toString('latin1', off, off + len).replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return NaN;
  return parseInt(s, 8);
}

function cstring(buf: Buffer, off: number, len: number): string {
  const end = buf.indexOf(0, off);
  return buf.toString('utf8', off, end < 0 || end > off + len ? off + len : end);
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = Number(data.toString('latin1', pos, sp));
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) break;
    const rec = data.toString('utf8', sp + 1, pos + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** A plain tar file indexed by member name. */
export class TarFileSource implements ArchiveSource {
  private members = new Map<string, Member>();
  private fd: number;
  readonly description: string;

  constructor(readonly file: string, description?: string) {
    this.description = description ?? file;
    this.fd = openSync(file, 'r');
    try {
      this.index();
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  private read(pos: number, len: number): Buffer {
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, buf, got, len - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    return got === len ? buf : buf.subarray(0, got);
  }

  private index(): void {
    const total = fstatSync(this.fd).size;
    let pos = 0;
    let longName: string | undefined;
    let longLink: string | undefined;
    let pax = new Map<string, string>();
    let headers = 0;
    while (pos + 512 <= total) {
      const h = this.read(pos, 512);
      if (h.every((b) => b === 0)) break;
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
      const stored = octal(h, 148, 8);
      if (stored !== sum) {
        throw new ArchiveError(
          headers === 0 ? `${this.description} is not a tar archive, an OCI layout or a compressed tar` : `${this.description}: tar header checksum mismatch at byte ${pos}`,
          'hx load takes a docker-archive or OCI archive (docker save, podman save, skopeo copy ... oci-archive:FILE), optionally gzip/zstd-compressed',
        );
      }
      headers++;
      const type = String.fromCharCode(h[156]!);
      let size = octal(h, 124, 12);
      if (pax.has('size')) size = Number(pax.get('size'));
      if (!Number.isFinite(size) || size < 0) throw new ArchiveError(`${this.description}: bad size in tar header at byte ${pos}`);
      const dataPos = pos + 512;
      const next = dataPos + Math.ceil(size / 512) * 512;
      if (dataPos + size > total) throw new ArchiveError(`${this.description} is truncated (member at byte ${pos} needs ${size} bytes)`);
      if (type === 'x') {
        pax = parsePax(this.read(dataPos, size));
        pos = next;
        continue;
      }
      if (type === 'g') {
        pos = next;
        continue;
      }
      if (type === 'L' || type === 'K') {
        const v = this.read(dataPos, size).toString('utf8').replace(/\0+$/, '');
        if (type === 'L') longName = v;
        else longLink = v;
        pos = next;
        continue;
      }
      let name = cstring(h, 0, 100);
      if (h.toString('latin1', 257, 262) === 'ustar') {
        const prefix = cstring(h, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      name = pax.get('path') ?? longName ?? name;
      const linkname = pax.get('linkpath') ?? longLink ?? cstring(h, 157, 100);
      const key = normalize(name);
      if (type === '0' || type === '\0' || type === '7') this.members.set(key, { offset: dataPos, size });
      else if (type === '1') this.members.set(key, { offset: 0, size: 0, link: normalize(linkname), linkType: 'hardlink', linkName: linkname });
      else if (type === '2') {
        this.members.set(key, { offset: 0, size: 0, link: normalize(posix.join(posix.dirname(key), linkname)), linkType: 'symlink', linkName: linkname });
      }
      pax = new Map();
      longName = undefined;
      longLink = undefined;
      pos = next;
    }
    if (headers === 0) throw new ArchiveError(`${this.description} is empty or not an archive`);
  }

  private member(name: string): Member {
    let m = this.members.get(normalize(name));
    for (let hops = 0; m?.link !== undefined && hops < 16; hops++) m = this.members.get(m.link);
    if (!m || m.link !== undefined) throw new ArchiveError(`${this.description} has no member "${name}"`, 'the archive is incomplete or not an image archive');
    return m;
  }
  has(name: string): boolean {
    try {
      this.member(name);
      return true;
    } catch {
      return false;
    }
  }
  entry(name: string): ArchiveEntry | undefined {
    const m = this.members.get(normalize(name));
    if (!m) return undefined;
    return m.linkType ? { type: m.linkType, target: m.linkName ?? '' } : { type: 'file' };
  }
  size(name: string): number {
    return this.member(name).size;
  }
  names(): string[] {
    return [...this.members.keys()];
  }
  readFile(name: string, max = MAX_METADATA): Buffer {
    const m = this.member(name);
    if (m.size > max) throw new ArchiveError(`archive member "${name}" is larger than ${max} bytes`);
    return this.read(m.offset, m.size);
  }
  head(name: string, length: number): Buffer {
    const m = this.member(name);
    return this.read(m.offset, Math.min(length, m.size));
  }
  open(name: string): Readable {
    const m = this.member(name);
    if (m.size === 0) return createReadStream('/dev/null');
    return createReadStream(this.file, { start: m.offset, end: m.offset + m.size - 1, highWaterMark: 1 << 20 });
  }
  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Copy INPUT (a file or stdin) into SPOOL, decompressing gzip/zstd on the way. Returns
 * false when INPUT is a plain seekable file that can be read in place.
 */
export async function spoolIfNeeded(open: () => Readable, head: Buffer, seekable: boolean, spool: string): Promise<boolean> {
  const kind = detectCompression(head);
  if (kind === 'none' && seekable) return false;
  const input = open();
  const out = createWriteStream(spool, { flags: 'wx', mode: 0o600 });
  try {
    if (kind === 'none') await pipeline(input, out);
    else await pipeline(input, decompressor(kind).stream, out);
  } catch (e) {
    throw new ArchiveError(`cannot read the archive: ${kind !== 'none' ? `corrupt ${kind} data (${(e as Error).message})` : (e as Error).message}`);
  }
  return true;
}
