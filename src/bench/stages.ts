// Each stage of the layer pipeline, alone, plus the whole pipeline: what `hx bench layers`
// times. A stage has an untimed setup and teardown (fresh dirs, removing them) around the
// timed run, and reads the layer from memory when it fits (bytes.ts).
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, lstatSync, openSync, readdirSync, readlinkSync, readSync, rmSync, writeSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import tarStream from 'tar-stream';
import { LayerWriter, type ApplyStats } from '../layer/apply.js';
import type { LayerContext } from '../layer/context.js';
import { decompressor } from '../layer/decompress.js';
import { ingestLayer } from '../layer/ingest.js';
import { TarStreamParser, type TarEngine } from '../layer/tar/parser.js';
import { classifyWhiteout } from '../layer/tar/paths.js';
import { classifyWhiteoutBatchWasm } from '../layer/tar/paths-wasm.js';
import { encodeTarHeader, TAR_END, tarPadding, type TarHeaderInput } from '../layer/tar/write.js';
import { lgetxattr } from '../sys/libc.js';
import { CHUNK, chunksOf, Yielder, type ByteSource } from './bytes.js';
import type { BenchLayer } from './layer-input.js';
import type { StageGroup } from './schema.js';
import type { Workspace } from './workspace.js';

export interface StageEnv {
  layer: BenchLayer;
  ws: Workspace;
  layerCtx: LayerContext;
  /** A tree written from the layer, made on first use, for the pack stages. */
  referenceTree(): Promise<string>;
}

export interface StageDef<S = unknown> {
  id: string;
  name: string;
  group: StageGroup;
  via(env: StageEnv): string;
  /** Untimed runs first (JIT, Wasm compile, page cache): in-memory stages only. */
  warmup: number;
  /** Bytes the stage reads. */
  inputBytes(layer: BenchLayer): number;
  /** A reason to skip, or undefined. */
  skip?(env: StageEnv): string | undefined;
  setup?(env: StageEnv, iteration: number): Promise<S> | S;
  /** The timed work; returns the entries it handled (when it handles entries). */
  run(env: StageEnv, state: S): Promise<number | undefined>;
  teardown?(env: StageEnv, state: S): Promise<void> | void;
}

/** Chunks that stay valid after the next one is read (views of memory, or copies). */
function* stableChunks(src: ByteSource): Generator<Buffer> {
  for (const c of chunksOf(src)) yield src.memory ? c : Buffer.from(c);
}

function readableOf(src: ByteSource): Readable {
  if (src.memory) return Readable.from(chunksOf(src), { objectMode: false, highWaterMark: CHUNK });
  return createReadStream(src.file!, { highWaterMark: CHUNK });
}

async function drain(stream: Readable): Promise<number> {
  let n = 0;
  for await (const c of stream) n += (c as Buffer).length;
  return n;
}

async function hashAll(src: ByteSource): Promise<void> {
  const h = createHash('sha256');
  const y = new Yielder();
  for (const c of chunksOf(src)) {
    h.update(c);
    await y.maybe();
  }
  h.digest();
}

async function parseAll(src: ByteSource, engine: TarEngine): Promise<number> {
  let entries = 0;
  const parser = new TarStreamParser({ onEntry: () => void entries++ }, { engine });
  const y = new Yielder();
  for (const c of chunksOf(src)) {
    parser.push(c);
    await y.maybe();
  }
  parser.end();
  return entries;
}

/** tar-stream (npm), the parser hx used before its own: the reference the issue asks to keep. */
async function parseTarStream(src: ByteSource): Promise<number> {
  const extract = tarStream.extract();
  let entries = 0;
  extract.on('entry', (_h, stream, next) => {
    entries++;
    stream.on('end', next);
    stream.resume();
  });
  await pipeline(Readable.from(stableChunks(src), { objectMode: false }), extract);
  return entries;
}

/** Parse (TypeScript engine) and write every entry with LayerWriter on this thread. */
export async function writeTree(layer: BenchLayer, root: string, ctx: LayerContext): Promise<ApplyStats> {
  const writer = new LayerWriter({ ...ctx, root, lowers: [] });
  const parser = new TarStreamParser({
    onEntry: (e) => writer.begin(e),
    onData: (_e, d) => writer.data(d),
    onEntryEnd: () => writer.end(),
  });
  const y = new Yielder();
  try {
    for (const c of chunksOf(layer.tar)) {
      parser.push(c);
      await y.maybe();
    }
    parser.end();
    return writer.finish();
  } catch (e) {
    writer.abort();
    throw e;
  }
}

interface WalkItem {
  rel: string;
  st: Stats;
}

/** Every path under ROOT, parents before children, names sorted (what a layer tar holds). */
export function walkTree(root: string): WalkItem[] {
  const out: WalkItem[] = [];
  const visit = (rel: string): void => {
    const names = readdirSync(rel ? join(root, rel) : root).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r));
      out.push({ rel: r, st });
      if (st.isDirectory()) visit(r);
    }
  };
  visit('');
  return out;
}

/** Collects tar output in 1 MiB pieces and counts it (the bytes go nowhere: the stage measures making them). */
class CountingSink {
  private buf = Buffer.allocUnsafe(CHUNK);
  private fill = 0;
  total = 0;
  write(b: Buffer): void {
    let off = 0;
    while (off < b.length) {
      const n = Math.min(b.length - off, CHUNK - this.fill);
      b.copy(this.buf, this.fill, off, off + n);
      this.fill += n;
      off += n;
      if (this.fill === CHUNK) this.flush();
    }
  }
  /** Read LEN bytes of FD straight into the buffer. */
  readFrom(fd: number, len: number): void {
    let left = len;
    while (left > 0) {
      const n = readSync(fd, this.buf, this.fill, Math.min(left, CHUNK - this.fill), null);
      if (n === 0) throw new Error('file shrank while being archived');
      this.fill += n;
      left -= n;
      if (this.fill === CHUNK) this.flush();
    }
  }
  flush(): void {
    this.total += this.fill;
    this.fill = 0;
  }
}

/** Write the tree back as a layer tar (overlay whiteouts -> .wh. entries), as commit and save do. */
async function tarTree(root: string, items: WalkItem[], engine: TarEngine, opaqueXattr: string): Promise<number> {
  const sink = new CountingSink();
  const seen = new Map<string, string>();
  const y = new Yielder();
  let entries = 0;
  for (const { rel, st } of items) {
    const abs = join(root, rel);
    const base: Omit<TarHeaderInput, 'name' | 'type'> = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    let h: TarHeaderInput;
    if (st.isDirectory()) {
      h = { ...base, name: `${rel}/`, type: 'dir' };
      sink.write(encodeTarHeader(h, { engine }));
      entries++;
      if (lgetxattr(abs, opaqueXattr)?.toString() === 'y') {
        sink.write(encodeTarHeader({ ...base, name: `${rel}/.wh..wh..opq`, type: 'file', mode: 0o600 }, { engine }));
        entries++;
      }
      continue;
    }
    if (st.isCharacterDevice() && st.rdev === 0) {
      const slash = rel.lastIndexOf('/');
      h = { ...base, name: `${rel.slice(0, slash + 1)}.wh.${rel.slice(slash + 1)}`, type: 'file', mode: 0o600 };
    } else if (st.isSymbolicLink()) {
      h = { ...base, name: rel, type: 'symlink', linkname: readlinkSync(abs) };
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? seen.get(key) : undefined;
      if (first) h = { ...base, name: rel, type: 'hardlink', linkname: first };
      else {
        if (st.nlink > 1) seen.set(key, rel);
        h = { ...base, name: rel, type: 'file', size: st.size };
      }
    } else {
      continue;
    }
    sink.write(encodeTarHeader(h, { engine }));
    entries++;
    if (h.type === 'file' && h.size) {
      const fd = openSync(abs, 'r');
      try {
        sink.readFrom(fd, h.size);
      } finally {
        closeSync(fd);
      }
      sink.write(tarPadding(h.size));
    }
    await y.maybe();
  }
  sink.write(TAR_END);
  sink.flush();
  return entries;
}

const treeState = (prefix: string) => (env: StageEnv, i: number) => env.ws.dir(`${prefix}-${env.layer.index}-${i}`);
const removeDir = (_env: StageEnv, dir: string): void => rmSync(dir, { recursive: true, force: true });
const tarBytes = (l: BenchLayer): number => l.tar.size;
const blobBytes = (l: BenchLayer): number => l.blob.size;
const notCompressed = (env: StageEnv): string | undefined => (env.layer.compression === 'none' ? 'the layer is not compressed' : undefined);

interface WalkState {
  root: string;
  items: WalkItem[];
}

export const STAGES: StageDef<unknown>[] = [
  {
    id: 'decompress',
    name: 'decompress',
    group: 'unpack',
    via: (env) => (env.layer.compression === 'none' ? 'none' : decompressor(env.layer.compression).via),
    warmup: 1,
    inputBytes: blobBytes,
    skip: notCompressed,
    async run(env) {
      const dec = decompressor(env.layer.compression);
      const [, n] = await Promise.all([pipeline(readableOf(env.layer.blob), dec.stream), drain(dec.stream)]);
      if (n !== env.layer.tar.size) throw new Error(`decompressed ${n} bytes, expected ${env.layer.tar.size}`);
      return undefined;
    },
  } satisfies StageDef<void>,
  {
    id: 'sha256-blob',
    name: 'sha256 of the blob (digest)',
    group: 'unpack',
    via: () => 'node:crypto (OpenSSL)',
    warmup: 1,
    inputBytes: blobBytes,
    async run(env) {
      await hashAll(env.layer.blob);
      return undefined;
    },
  } satisfies StageDef<void>,
  {
    id: 'sha256-tar',
    name: 'sha256 of the tar (diff_id)',
    group: 'unpack',
    via: () => 'node:crypto (OpenSSL)',
    warmup: 1,
    inputBytes: tarBytes,
    async run(env) {
      await hashAll(env.layer.tar);
      return undefined;
    },
  } satisfies StageDef<void>,
  {
    id: 'parse-tar-stream',
    name: 'tar parse (tar-stream, npm reference)',
    group: 'unpack',
    via: () => 'tar-stream 3',
    warmup: 1,
    inputBytes: tarBytes,
    run: (env) => parseTarStream(env.layer.tar),
  } satisfies StageDef<void>,
  {
    id: 'parse-ts',
    name: 'tar parse (TypeScript)',
    group: 'unpack',
    via: () => 'TarStreamParser engine ts',
    warmup: 1,
    inputBytes: tarBytes,
    run: (env) => parseAll(env.layer.tar, 'ts'),
  } satisfies StageDef<void>,
  {
    id: 'parse-wasm',
    name: 'tar parse (Wasm)',
    group: 'unpack',
    via: () => 'TarStreamParser engine wasm',
    warmup: 1,
    inputBytes: tarBytes,
    run: (env) => parseAll(env.layer.tar, 'wasm'),
  } satisfies StageDef<void>,
  {
    id: 'whiteouts-ts',
    name: 'whiteouts + path cleaning (TypeScript)',
    group: 'unpack',
    via: () => 'classifyWhiteout per name',
    warmup: 1,
    inputBytes: tarBytes,
    async run(env) {
      for (const name of env.layer.scan.names) {
        try {
          classifyWhiteout(name);
        } catch {
          /* a bad name costs the same to find; the write stage reports it */
        }
      }
      return env.layer.scan.names.length;
    },
  } satisfies StageDef<void>,
  {
    id: 'whiteouts-wasm',
    name: 'whiteouts + path cleaning (Wasm)',
    group: 'unpack',
    via: () => 'classifyWhiteoutBatchWasm, 16384 names per call',
    warmup: 1,
    inputBytes: tarBytes,
    async run(env) {
      const names = env.layer.scan.names;
      for (let i = 0; i < names.length; i += 16384) classifyWhiteoutBatchWasm(names.slice(i, i + 16384));
      return names.length;
    },
  } satisfies StageDef<void>,
  {
    id: 'blob-copy',
    name: 'store the blob (copy + sha256)',
    group: 'unpack',
    via: () => 'read stream -> node:crypto + writeSync',
    warmup: 0,
    inputBytes: blobBytes,
    setup: (env, i) => env.ws.file(`blob-copy-${env.layer.index}-${i}`),
    async run(env, file: string) {
      const h = createHash('sha256');
      const fd = openSync(file, 'wx', 0o600);
      try {
        for await (const c of createReadStream(env.layer.blob.file, { highWaterMark: CHUNK })) {
          const b = c as Buffer;
          h.update(b);
          let off = 0;
          while (off < b.length) off += writeSync(fd, b, off, b.length - off);
        }
      } finally {
        closeSync(fd);
      }
      h.digest();
      return undefined;
    },
    teardown: (_env, file: string) => rmSync(file, { force: true }),
  } satisfies StageDef<string>,
  {
    id: 'write',
    name: 'write to disk (parse + LayerWriter, one thread)',
    group: 'unpack',
    via: () => 'TarStreamParser ts + LayerWriter, sync fs',
    warmup: 0,
    inputBytes: tarBytes,
    setup: treeState('write'),
    async run(env, dir: string) {
      return (await writeTree(env.layer, dir, env.layerCtx)).entries;
    },
    teardown: removeDir,
  } satisfies StageDef<string>,
  {
    id: 'pipeline',
    name: 'whole ingest pipeline (hx load/pull of one layer)',
    group: 'pipeline',
    via: () => 'ingestLayer: blob file -> digest + copy, decompress, diff_id, worker parse + write',
    warmup: 0,
    inputBytes: blobBytes,
    setup: treeState('ingest'),
    async run(env, dir: string) {
      const r = await ingestLayer({
        source: createReadStream(env.layer.blob.file, { highWaterMark: CHUNK }),
        blobFile: `${dir}.blob`,
        apply: { ...env.layerCtx, root: dir, lowers: [] },
      });
      if (r.diffId !== env.layer.diffId) throw new Error(`pipeline computed diff_id ${r.diffId}, expected ${env.layer.diffId}`);
      return r.stats.entries;
    },
    teardown(_env, dir: string) {
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}.blob`, { force: true });
    },
  } satisfies StageDef<string>,
  {
    id: 'diff',
    name: 'diff of a changed tree',
    group: 'pack',
    via: () => 'n/a',
    warmup: 0,
    inputBytes: tarBytes,
    skip: () => 'this build of hx has no diff API yet (src/layer has no tree diff to measure)',
    run: async () => undefined,
  } satisfies StageDef<void>,
  ...(['ts', 'wasm'] as const).map(
    (engine) =>
      ({
        id: `tar-write-${engine}`,
        name: `tar write (${engine === 'ts' ? 'TypeScript' : 'Wasm'} headers + file reads)`,
        group: 'pack',
        via: () => `encodeTarHeader ${engine}; file walk by the bench (no hx tree-to-layer writer yet; lstat untimed)`,
        warmup: 1,
        inputBytes: tarBytes,
        async setup(env) {
          const root = await env.referenceTree();
          return { root, items: walkTree(root) };
        },
        run: (env, s: WalkState) => tarTree(s.root, s.items, engine, env.layerCtx.opaqueXattr),
      }) satisfies StageDef<WalkState>,
  ),
  {
    id: 'compress',
    name: 'compress (gzip level 6)',
    group: 'pack',
    via: () => 'node:zlib gzip, 1 MiB chunks (as hx push)',
    warmup: 0,
    inputBytes: tarBytes,
    async run(env) {
      const gz = zlib.createGzip({ level: 6, chunkSize: CHUNK });
      await Promise.all([pipeline(readableOf(env.layer.tar), gz), drain(gz)]);
      return undefined;
    },
  } satisfies StageDef<void>,
];

export const STAGE_IDS = STAGES.map((s) => s.id);
