// Synthetic layers for `hx bench layers --synthetic PROFILE --size N`: a deterministic tar
// (same profile, size and seed -> the same bytes, so two runs and the bench/ harness measure
// the same input) written by a small ustar writer of its own, independent of the tar writer
// it may be used to test.
//
// Profiles (sizes are of the file data; the tar adds headers and padding):
//   small-files  files of 64 B..16 KiB (log-uniform, ~3 KiB mean) in dirs of 64, like a
//                node_modules or /usr/share layer; some symlinks, hardlinks, whiteouts, an
//                opaque dir, and a share of files owned by uid 1000
//   large-files  files of 8..64 MiB, like a layer of model weights or a JDK
//   mixed        40% of the bytes in small files, 20% in 64 KiB..1 MiB, 40% in large files
// File contents are slices of a pool that mixes text, low-entropy binary, random bytes and
// zero runs: gzip shrinks it about 2.5x, close to typical distro layers.

export type SyntheticProfile = 'small-files' | 'large-files' | 'mixed';
export const SYNTHETIC_PROFILES: SyntheticProfile[] = ['small-files', 'large-files', 'mixed'];

export interface SyntheticSpec {
  profile: SyntheticProfile;
  /** Bytes of file data to generate. */
  size: number;
  seed: number;
}

export type PlannedType = 'file' | 'dir' | 'symlink' | 'hardlink';

export interface PlannedEntry {
  name: string;
  type: PlannedType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkname: string;
  mtime: number;
  /** Where this file's bytes start in the content pool. */
  poolOffset: number;
}

export interface SyntheticPlan {
  spec: SyntheticSpec;
  entries: PlannedEntry[];
  /** Exact size of the tar that writeSyntheticTar produces. */
  tarBytes: number;
  fileBytes: number;
  counts: { files: number; dirs: number; symlinks: number; hardlinks: number; whiteouts: number; opaques: number };
}

const BLOCK = 512;
const POOL_SIZE = 4 << 20;
const MTIME = 1_700_000_000;

/** mulberry32: small, fast, good enough to make test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the of and to in is for on that by this with from as are at be or an it was which have not ' +
  'function return const value object string number include define static struct config error ' +
  'license copyright version package module export import library system file path data buffer ' +
  'container image layer stream header entry index table manifest digest mount kernel process'
).split(' ');

/** The content pool every file takes its bytes from. */
export function contentPool(seed: number): Buffer {
  const rand = prng(seed ^ 0x5eed);
  const pool = Buffer.alloc(POOL_SIZE);
  let pos = 0;
  while (pos < POOL_SIZE) {
    const len = Math.min(POOL_SIZE - pos, 256 + Math.floor(rand() * 8192));
    const kind = rand();
    if (kind < 0.45) {
      // text
      let i = pos;
      while (i < pos + len) {
        const w = WORDS[Math.floor(rand() * WORDS.length)]!;
        i += pool.write(w, i, pos + len - i, 'latin1');
        if (i < pos + len) pool[i++] = rand() < 0.1 ? 0x0a : 0x20;
      }
    } else if (kind < 0.75) {
      // low-entropy binary (like machine code: a few common byte values)
      for (let i = pos; i < pos + len; i++) pool[i] = rand() < 0.6 ? [0x00, 0x48, 0x89, 0xff, 0x8b, 0xe8][Math.floor(rand() * 6)]! : Math.floor(rand() * 256);
    } else if (kind < 0.92) {
      for (let i = pos; i < pos + len; i++) pool[i] = Math.floor(rand() * 256);
    }
    // else: zeros (already there)
    pos += len;
  }
  return pool;
}

function logUniform(rand: () => number, lo: number, hi: number): number {
  return Math.round(Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo))));
}

function roundUp(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

/** Decide every entry of the layer (no bytes yet). */
export function planSynthetic(spec: SyntheticSpec): SyntheticPlan {
  const rand = prng(spec.seed);
  const entries: PlannedEntry[] = [];
  const counts = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, whiteouts: 0, opaques: 0 };
  let fileBytes = 0;
  let mtime = MTIME;
  const add = (e: Omit<PlannedEntry, 'mtime' | 'poolOffset' | 'linkname' | 'size'> & Partial<PlannedEntry>): PlannedEntry => {
    const full: PlannedEntry = { size: 0, linkname: '', poolOffset: 0, mtime: mtime++, ...e };
    if (full.type === 'file') full.poolOffset = Math.floor(rand() * POOL_SIZE);
    entries.push(full);
    if (full.type === 'dir') counts.dirs++;
    else if (full.type === 'symlink') counts.symlinks++;
    else if (full.type === 'hardlink') counts.hardlinks++;
    else if (full.name.includes('/.wh..wh..opq')) counts.opaques++;
    else if (full.name.includes('/.wh.')) counts.whiteouts++;
    else counts.files++;
    fileBytes += full.size;
    return full;
  };
  const dir = (name: string, uid = 0): void => void add({ name, type: 'dir', mode: 0o755, uid, gid: uid });

  dir('bench/');
  const shares: Array<{ budget: number; kind: 'small' | 'medium' | 'large' }> =
    spec.profile === 'small-files'
      ? [{ budget: spec.size, kind: 'small' }]
      : spec.profile === 'large-files'
        ? [{ budget: spec.size, kind: 'large' }]
        : [
            { budget: Math.floor(spec.size * 0.4), kind: 'small' },
            { budget: Math.floor(spec.size * 0.2), kind: 'medium' },
            { budget: spec.size - Math.floor(spec.size * 0.4) - Math.floor(spec.size * 0.2), kind: 'large' },
          ];

  for (const share of shares) {
    let left = share.budget;
    let n = 0;
    let dirUid = 0;
    let lastFile = '';
    const top = `bench/${share.kind}/`;
    dir(top);
    while (left > 0) {
      let size: number;
      if (share.kind === 'small') size = logUniform(rand, 64, 16 << 10);
      else if (share.kind === 'medium') size = logUniform(rand, 64 << 10, 1 << 20);
      else size = logUniform(rand, 8 << 20, 64 << 20);
      size = Math.min(size, left);
      let parent = top;
      if (share.kind === 'small') {
        // dirs of 64 files, 64 dirs per level-1 dir
        const d1 = Math.floor(n / 4096);
        const d2 = Math.floor(n / 64) % 64;
        if (n % 4096 === 0) dir(`${top}${d1.toString(36)}/`);
        parent = `${top}${d1.toString(36)}/${d2.toString(36)}/`;
        if (n % 64 === 0) {
          dirUid = d2 % 16 === 5 ? 1000 : 0;
          dir(parent, dirUid);
        }
      }
      const name = `${parent}f${n.toString(36)}${n % 8 === 3 ? '.sh' : '.txt'}`;
      add({ name, type: 'file', size, mode: n % 8 === 3 ? 0o755 : 0o644, uid: dirUid, gid: dirUid });
      left -= size;
      if (share.kind === 'small') {
        if (n % 50 === 7) add({ name: `${parent}l${n.toString(36)}`, type: 'symlink', mode: 0o777, uid: dirUid, gid: dirUid, linkname: name.slice(parent.length) });
        if (n % 200 === 11 && lastFile) add({ name: `${parent}h${n.toString(36)}`, type: 'hardlink', mode: 0o644, uid: dirUid, gid: dirUid, linkname: lastFile });
        if (n % 1000 === 13) add({ name: `${parent}.wh.gone${n.toString(36)}`, type: 'file', mode: 0o600, uid: 0, gid: 0 });
      }
      lastFile = name;
      n++;
    }
    if (share.kind === 'small') {
      // An opaque dir (applied first wherever it sits) with one file of its own.
      dir(`${top}opaque/`);
      add({ name: `${top}opaque/.wh..wh..opq`, type: 'file', mode: 0o600, uid: 0, gid: 0 });
      add({ name: `${top}opaque/kept.txt`, type: 'file', size: 0, mode: 0o644, uid: 0, gid: 0 });
    }
  }
  let tarBytes = 2 * BLOCK;
  for (const e of entries) tarBytes += BLOCK + roundUp(e.size);
  return { spec, entries, tarBytes, fileBytes, counts };
}

const TYPEFLAG: Record<PlannedType, number> = { file: 0x30, hardlink: 0x31, symlink: 0x32, dir: 0x35 };

function octal(buf: Buffer, off: number, len: number, value: number): void {
  const s = value.toString(8).padStart(len - 1, '0');
  if (s.length > len - 1) throw new RangeError(`tar field overflow: ${value}`);
  buf.write(s, off, len - 1, 'ascii');
  buf[off + len - 1] = 0;
}

/** One ustar header block (names here are ASCII and short enough by construction). */
export function ustarHeader(e: PlannedEntry, out: Buffer = Buffer.alloc(BLOCK)): Buffer {
  out.fill(0, 0, BLOCK);
  if (e.name.length > 100 || e.linkname.length > 100) throw new RangeError(`synthetic name too long: ${e.name}`);
  out.write(e.name, 0, 100, 'ascii');
  octal(out, 100, 8, e.mode);
  octal(out, 108, 8, e.uid);
  octal(out, 116, 8, e.gid);
  octal(out, 124, 12, e.type === 'file' ? e.size : 0);
  octal(out, 136, 12, e.mtime);
  out.fill(0x20, 148, 156);
  out[156] = TYPEFLAG[e.type];
  out.write(e.linkname, 157, 100, 'ascii');
  out.write('ustar\u000000', 257, 8, 'ascii');
  const owner = e.uid === 0 ? 'root' : 'app';
  out.write(owner, 265, 32, 'ascii');
  out.write(owner, 297, 32, 'ascii');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += out[i]!;
  const chk = sum.toString(8).padStart(6, '0');
  out.write(chk, 148, 6, 'ascii');
  out[154] = 0;
  out[155] = 0x20;
  return out;
}

/**
 * Produce the tar bytes of PLAN in chunks of CHUNK bytes (the last may be shorter). The
 * chunk Buffer is reused: the sink must consume or copy it before returning.
 */
export function* syntheticTarChunks(plan: SyntheticPlan, chunk = 1 << 20): Generator<Buffer> {
  const pool = contentPool(plan.spec.seed);
  const buf = Buffer.alloc(chunk);
  let fill = 0;
  function* emit(src: Buffer): Generator<Buffer> {
    let off = 0;
    while (off < src.length) {
      const n = Math.min(src.length - off, chunk - fill);
      src.copy(buf, fill, off, off + n);
      fill += n;
      off += n;
      if (fill === chunk) {
        yield buf;
        fill = 0;
      }
    }
  }
  const header = Buffer.alloc(BLOCK);
  const zeros = Buffer.alloc(BLOCK);
  for (const e of plan.entries) {
    yield* emit(ustarHeader(e, header));
    if (e.type !== 'file' || e.size === 0) continue;
    let left = e.size;
    let off = e.poolOffset;
    while (left > 0) {
      const n = Math.min(left, 64 << 10, POOL_SIZE - off);
      yield* emit(pool.subarray(off, off + n));
      left -= n;
      // Large files jump around the pool so gzip cannot match a whole file against another.
      off = n === 64 << 10 ? (off * 7 + 40503 * n) % POOL_SIZE : (off + n) % POOL_SIZE;
    }
    const pad = roundUp(e.size) - e.size;
    if (pad) yield* emit(zeros.subarray(0, pad));
  }
  yield* emit(zeros);
  yield* emit(zeros);
  if (fill > 0) yield buf.subarray(0, fill);
}

/** Disk space the extracted tree takes, roughly: data rounded to blocks plus one block per inode. */
export function treeBytesEstimate(sizes: Iterable<number>, inodes: number, blockSize = 4096): number {
  let total = inodes * blockSize;
  for (const s of sizes) total += Math.ceil(s / blockSize) * blockSize;
  return total;
}
