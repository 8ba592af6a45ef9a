// The layers a bench measures, made ready before any stage runs: the compressed blob as a
// file (peers read it) and in memory when it fits, the uncompressed tar in memory (or a
// file), its digests, and a scan of its entries (counts, names for the whiteout stage, the
// disk space an extracted copy takes).
import { createHash } from 'node:crypto';
import { accessSync, closeSync, constants, createReadStream, createWriteStream, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { HxError } from '../errors.js';
import { decompressor, detectCompression, UnsupportedCompression, type Compression } from '../layer/decompress.js';
import { TarStreamParser } from '../layer/tar/parser.js';
import type { TarEntry } from '../layer/tar/types.js';
import { CHUNK, chunksOf, memoryBudget, Yielder, type ByteSource } from './bytes.js';
import { formatBytes } from './stats.js';
import { syntheticTarChunks, treeBytesEstimate, type SyntheticPlan, type SyntheticSpec } from './synthetic.js';
import type { Workspace } from './workspace.js';

export interface LayerScan {
  entries: number;
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  whiteouts: number;
  opaques: number;
  other: number;
  /** Entry names in archive order (the whiteout stage classifies them). */
  names: string[];
  /** Disk space one extracted copy takes, roughly. */
  treeBytes: number;
}

export interface BenchLayer {
  index: number;
  label: string;
  compression: Compression;
  /** The blob as stored: compressed or not. */
  blob: ByteSource & { file: string };
  /** The uncompressed tar. */
  tar: ByteSource;
  digest: string;
  diffId: string;
  scan: LayerScan;
}

export class BadLayerInput extends HxError {
  constructor(message: string, hint?: string) {
    super(message, { kind: 'invalid-argument', hint: hint ?? 'give an image in the store, a layer tar (.tar, .tar.gz, .tar.zst), or --synthetic small-files|large-files|mixed' });
    this.name = 'BadLayerInput';
  }
}

/** Check a file argument before anything is read: exists, a regular file, readable. */
export function checkReadableFile(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new BadLayerInput(`cannot read ${path}: permission denied`, 'check the permissions of the file and the directories above it');
    throw new BadLayerInput(`open ${path}: no such file or directory`);
  }
  if (st.isDirectory()) throw new BadLayerInput(`${path} is a directory, not a layer tar`);
  if (!st.isFile()) throw new BadLayerInput(`${path} is not a regular file`);
  try {
    accessSync(path, constants.R_OK);
    closeSync(openSync(path, 'r'));
  } catch {
    throw new BadLayerInput(`cannot read ${path}: permission denied`, 'check the permissions of the file (hx reads it as you)');
  }
  return st.size;
}

function emptyScan(): Omit<LayerScan, 'treeBytes'> & { sizes: number[] } {
  return { entries: 0, files: 0, dirs: 0, symlinks: 0, hardlinks: 0, whiteouts: 0, opaques: 0, other: 0, names: [], sizes: [] };
}

/** A sink that counts what a tar holds. */
function scanSink(s: ReturnType<typeof emptyScan>): { onEntry(e: TarEntry): void } {
  return {
    onEntry(e: TarEntry) {
      s.entries++;
      s.names.push(e.name);
      const base = e.name.slice(e.name.replace(/\/+$/, '').lastIndexOf('/') + 1);
      if (base === '.wh..wh..opq') s.opaques++;
      else if (base.startsWith('.wh.')) s.whiteouts++;
      else if (e.type === 'file') {
        s.files++;
        s.sizes.push(e.size);
      } else if (e.type === 'dir') s.dirs++;
      else if (e.type === 'symlink') s.symlinks++;
      else if (e.type === 'hardlink') s.hardlinks++;
      else s.other++;
    },
  };
}

function finishScan(s: ReturnType<typeof emptyScan>): LayerScan {
  const { sizes, ...rest } = s;
  return { ...rest, treeBytes: treeBytesEstimate(sizes, s.entries - s.files) };
}

function layerError(label: string, e: unknown): HxError {
  if (e instanceof UnsupportedCompression) return new BadLayerInput(`${label}: ${e.message}`);
  if (e instanceof HxError) return new BadLayerInput(`${label} is not a usable layer: ${e.message}`, e.hint);
  return new BadLayerInput(`${label} is not a usable layer: ${(e as Error).message}`);
}

/**
 * Read a blob file once: digest, decompress, diff_id, scan, and keep the tar in memory when
 * it fits. Writes nothing. If the tar is too large for memory it is only counted (size).
 */
export async function readBlob(path: string, label: string, index: number): Promise<BenchLayer> {
  const size = statSync(path).size;
  const head = Buffer.alloc(6);
  const fd = openSync(path, 'r');
  const n = size > 0 ? readSync(fd, head, 0, head.length, 0) : 0;
  closeSync(fd);
  let compression: Compression;
  try {
    compression = detectCompression(head.subarray(0, n));
  } catch (e) {
    throw layerError(label, e);
  }
  const budget = memoryBudget();
  const blobMemory = size <= budget ? readFileSync(path) : undefined;
  const hashC = createHash('sha256');
  const hashU = createHash('sha256');
  const scan = emptyScan();
  const parser = new TarStreamParser(scanSink(scan));
  const kept: Buffer[] = [];
  let tarSize = 0;
  let keep = true;
  const y = new Yielder();
  const onTar = (chunk: Buffer): void => {
    hashU.update(chunk);
    parser.push(chunk);
    tarSize += chunk.length;
    if (keep && tarSize <= budget) kept.push(Buffer.from(chunk));
    else {
      keep = false;
      kept.length = 0;
    }
  };
  try {
    if (compression === 'none') {
      for (const c of chunksOf(blobMemory ? { size, memory: blobMemory } : { size, file: path })) {
        hashC.update(c);
        onTar(c);
        await y.maybe();
      }
    } else {
      const dec = decompressor(compression);
      const hashed = async function* (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
        for await (const c of src) {
          hashC.update(c);
          yield c;
        }
      };
      await pipeline(createReadStream(path, { highWaterMark: CHUNK }), hashed, dec.stream, async (src: AsyncIterable<Buffer>) => {
        for await (const c of src) onTar(c);
      });
    }
    parser.end();
  } catch (e) {
    throw layerError(label, e);
  }
  const tar: ByteSource = keep ? { size: tarSize, memory: kept.length === 1 ? kept[0]! : Buffer.concat(kept, tarSize) } : { size: tarSize };
  if (compression === 'none') tar.file = path;
  return {
    index,
    label,
    compression,
    blob: { size, file: path, ...(blobMemory ? { memory: blobMemory } : {}) },
    tar,
    digest: `sha256:${hashC.digest('hex')}`,
    diffId: `sha256:${hashU.digest('hex')}`,
    scan: finishScan(scan),
  };
}

/** Write the tar of LAYER to a file in the workspace when only memory holds it (peers read files). */
export async function ensureTarFile(layer: BenchLayer, ws: Workspace): Promise<string> {
  if (layer.tar.file) return layer.tar.file;
  const path = ws.file(`layer-${layer.index}.tar`);
  if (layer.tar.memory) {
    const fd = openSync(path, 'wx', 0o600);
    try {
      for (const c of chunksOf(layer.tar)) writeAll(fd, c);
    } finally {
      closeSync(fd);
    }
  } else {
    const dec = decompressor(layer.compression);
    await pipeline(createReadStream(layer.blob.file, { highWaterMark: CHUNK }), dec.stream, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  }
  layer.tar.file = path;
  return path;
}

function writeAll(fd: number, chunk: Buffer): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
}

/** Disk bytes a synthetic layer needs before it is generated: tar, blob and extracted copies. */
export function syntheticNeeds(plan: SyntheticPlan, trees: number): number {
  const sizes = plan.entries.filter((e) => e.type === 'file').map((e) => e.size);
  const tree = treeBytesEstimate(sizes, plan.entries.length - sizes.length);
  // gzip of the pool data is ~40% of the input; count 60% to be safe.
  return plan.tarBytes + Math.ceil(plan.tarBytes * 0.6) + trees * tree + (32 << 20);
}

/**
 * Generate a synthetic layer into the workspace: layer.tar and layer.tar.gz (gzip level 6,
 * what `gzip` and Docker use by default), the tar also kept in memory when it fits.
 */
export async function makeSynthetic(spec: SyntheticSpec, plan: SyntheticPlan, ws: Workspace, onBytes: (done: number, total: number) => void): Promise<BenchLayer> {
  const tarPath = ws.file('layer-0.tar');
  const blobPath = ws.file('layer-0.tar.gz');
  const inMemory = plan.tarBytes <= memoryBudget();
  const memory = inMemory ? Buffer.allocUnsafe(plan.tarBytes) : undefined;
  const fd = openSync(tarPath, 'wx', 0o600);
  const hashU = createHash('sha256');
  const y = new Yielder();
  let off = 0;
  try {
    for (const c of syntheticTarChunks(plan)) {
      writeAll(fd, c);
      hashU.update(c);
      if (memory) c.copy(memory, off);
      off += c.length;
      onBytes(off, plan.tarBytes * 2);
      await y.maybe();
    }
  } finally {
    closeSync(fd);
  }
  if (off !== plan.tarBytes) throw new Error(`synthetic tar is ${off} bytes, planned ${plan.tarBytes}`);
  const hashC = createHash('sha256');
  const gz = zlib.createGzip({ level: 6, chunkSize: CHUNK });
  const out = createWriteStream(blobPath, { flags: 'wx', mode: 0o600 });
  let compressed = 0;
  let fed = 0;
  gz.on('data', (d: Buffer) => {
    hashC.update(d);
    compressed += d.length;
  });
  const written = pipeline(gz, out);
  for (const c of chunksOf(memory ? { size: plan.tarBytes, memory } : { size: plan.tarBytes, file: tarPath })) {
    fed += c.length;
    if (!gz.write(memory ? c : Buffer.from(c))) await once(gz, 'drain');
    onBytes(plan.tarBytes + fed, plan.tarBytes * 2);
  }
  gz.end();
  await written;
  const scan = emptyScan();
  const parser = new TarStreamParser(scanSink(scan));
  for (const c of chunksOf(memory ? { size: plan.tarBytes, memory } : { size: plan.tarBytes, file: tarPath })) parser.push(c);
  parser.end();
  const blobMemory = compressed <= memoryBudget() ? readFileSync(blobPath) : undefined;
  return {
    index: 0,
    label: `synthetic ${spec.profile} ${formatBytes(spec.size)} (seed ${spec.seed})`,
    compression: 'gzip',
    blob: { size: compressed, file: blobPath, ...(blobMemory ? { memory: blobMemory } : {}) },
    tar: { size: plan.tarBytes, file: tarPath, ...(memory ? { memory } : {}) },
    digest: `sha256:${hashC.digest('hex')}`,
    diffId: `sha256:${hashU.digest('hex')}`,
    scan: finishScan(scan),
  };
}

