// The default seccomp filter, compiled once per hx build and capability set and kept in
// the runtime dir (tmpfs, per boot, the user's own). Loading and running the compiler
// costs several milliseconds of every `hx run`; reading the cached program costs ~0.1.
// The file holds the full key, so a hash collision cannot hand out the wrong program.
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** 64-bit FNV-1a as hex (node:crypto would cost more to load than the cache saves). */
function fnv1a(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** Identity of the code that compiles filters: size and mtime of the files it is built
 * from (the CLI bundle, or the seccomp modules of dist/). */
export function compilerIdentity(files: string[]): string {
  try {
    return files.map((f) => {
      const st = statSync(f);
      return `${f}:${st.size}:${st.mtimeMs}`;
    }).join('|');
  } catch {
    return '';
  }
}

/**
 * The cached program for KEY, or COMPILE()'s result stored for next time. An empty
 * identity (unknown build) disables the cache.
 */
export async function cachedFilter(dir: string, identity: string, key: string, compile: () => Promise<Buffer | null>): Promise<Buffer | null> {
  if (!identity) return compile();
  const full = `${identity}\n${key}`;
  // BUILD-KEY.bpf: a rebuilt hx drops the files of the build before it.
  const build = fnv1a(identity);
  const path = join(dir, `${build}-${fnv1a(full)}.bpf`);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    // Only our own file, writable by nobody else: it decides what the container may call.
    const st = fstatSync(fd);
    if (st.isFile() && st.uid === process.getuid!() && (st.mode & 0o022) === 0) {
      const data = readFileSync(fd);
      const keyLen = data.readUInt32LE(0);
      if (data.toString('utf8', 4, 4 + keyLen) === full && (data.length - 4 - keyLen) % 8 === 0) return data.subarray(4 + keyLen);
    }
  } catch {
    /* not cached yet */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const program = await compile();
  if (!program) return program;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (statSync(dir).uid !== process.getuid!()) return program; // not our directory: no cache
    const head = Buffer.alloc(4);
    const keyBytes = Buffer.from(full, 'utf8');
    head.writeUInt32LE(keyBytes.length, 0);
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'wx', 0o600); // O_EXCL: never through a planted symlink
    try {
      writeSync(fd, Buffer.concat([head, keyBytes, program]));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    for (const f of readdirSync(dir)) if (f.endsWith('.bpf') && !f.startsWith(`${build}-`)) unlinkSync(join(dir, f));
  } catch {
    /* a read-only or full runtime dir only costs the compile next time */
  }
  return program;
}
