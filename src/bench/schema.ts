// The JSON that `hx bench layers --format json` prints (documented in docs/BENCH-JSON.md;
// bump the version there and here together when a field changes meaning or goes away).
import type { Summary } from './stats.js';
import type { SystemDescription } from './system.js';

export const LAYERS_SCHEMA = 'hx-bench-layers/1';
export const RUN_SCHEMA = 'hx-bench-run/1';

export type StageGroup = 'unpack' | 'pack' | 'pipeline';

export interface Rate {
  median: number;
  /** From the slowest iteration. */
  min: number;
  /** From the fastest iteration. */
  max: number;
}

export interface StageResult {
  id: string;
  name: string;
  group: StageGroup;
  /** How the stage does its work (codec, engine, thread), for readers of the figure. */
  via: string;
  status: 'ok' | 'skipped' | 'failed';
  /** skipped or failed: why. */
  reason?: string;
  /** Uncompressed layer bytes the stage covers (the MB/s basis). */
  bytes?: number;
  /** Bytes the stage itself reads (the blob for digest/decompress; the tar otherwise). */
  inputBytes?: number;
  entries?: number;
  /** Untimed runs before the timed ones. */
  warmup?: number;
  seconds?: Summary;
  /** MB/s (10^6 bytes/s) of uncompressed bytes. */
  mbPerSec?: Rate;
  entriesPerSec?: Rate;
}

export interface CompareResult {
  id: string;
  /** The program compared with: gnu-tar, gzip, zstd, sha256sum, umoci, skopeo, bash. */
  peer: string;
  name: string;
  /** The command line as run (paths inside the temp dir). */
  command: string;
  /** The hx stage it is compared with. */
  versus: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  seconds?: Summary;
  mbPerSec?: Rate;
  /** Peer median time / hx stage median time: above 1, hx is faster. */
  ratio?: number;
}

export interface LayerResult {
  index: number;
  label: string;
  compression: 'gzip' | 'zstd' | 'none';
  digest: string;
  diffId: string;
  compressedBytes: number;
  uncompressedBytes: number;
  /** Where the stages read the layer from: memory, or files in the page cache. */
  inputFrom: 'memory' | 'file';
  entries: { total: number; files: number; dirs: number; symlinks: number; hardlinks: number; whiteouts: number; opaques: number; other: number };
  stages: StageResult[];
  compare: CompareResult[];
  /** With --compare: the median time to spawn /bin/true from hx, taken off each peer sample. */
  spawnOverheadSeconds?: number;
}

export interface BenchLayersResult {
  schema: typeof LAYERS_SCHEMA;
  hxVersion: string;
  date: string;
  system: SystemDescription;
  input: {
    kind: 'synthetic' | 'file' | 'image';
    name: string;
    synthetic?: { profile: string; size: number; seed: number };
  };
  iterations: number;
  layers: LayerResult[];
  notes: string[];
}
