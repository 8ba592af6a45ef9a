// The bench half of the Engine API: `hx bench layers` (layer throughput, stage by stage,
// against the tools people use today) and `hx bench run` (container start-to-exit latency).
// Progress goes out as events; nothing here prints.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadLayerInput, checkReadableFile, ensureTarFile, makeSynthetic, readBlob, syntheticNeeds, type BenchLayer } from '../bench/layer-input.js';
import { LayerRunner, stepsFor, type BenchProgress } from '../bench/runner.js';
import { LAYERS_SCHEMA, RUN_SCHEMA, type BenchLayersResult, type LayerResult } from '../bench/schema.js';
import { phaseResults, timedHxRun, timeProcess, type BenchRunResult, type RunCompareResult, type RunSample } from '../bench/run-latency.js';
import { missingRunPrograms, quote, RUN_PEERS, SharedSetup } from '../bench/run-peers.js';
import { summarize } from '../bench/stats.js';
import { STAGE_IDS, STAGES } from '../bench/stages.js';
import { formatBytes } from '../bench/stats.js';
import { planSynthetic, SYNTHETIC_PROFILES, type SyntheticProfile } from '../bench/synthetic.js';
import { describeSystem } from '../bench/system.js';
import { checkFreeSpace, checkParentDir, Workspace, type WorkspaceParent } from '../bench/workspace.js';
import { resolveImage } from '../image/resolve.js';
import { isHelloWorld } from '../image/hello.js';
import { readJson } from '../store/atomic.js';
import { Store } from '../store/store.js';
import { launcherPath } from '../sys/install.js';
import { HxError, UsageError } from '../errors.js';
import type { EngineContext } from './context.js';
import { versionInfo } from './system/version.js';

export type { BenchLayersResult } from '../bench/schema.js';
export type { BenchRunResult } from '../bench/run-latency.js';

export interface BenchLayersOptions {
  /** An image in the store, or a layer file (.tar, .tar.gz, .tar.zst). */
  input?: string;
  synthetic?: string;
  /** Bytes of file data in a synthetic layer. */
  size?: number;
  seed?: number;
  iterations?: number;
  compare?: boolean;
  /** Stage ids to run (default: all). */
  stages?: string[];
  /** Parent directory of the temp dir (default $TMPDIR, else the store's tmp/). */
  dir?: string;
}

export type BenchEvent =
  | BenchProgress
  | { type: 'phase'; text: string }
  | { type: 'layer'; index: number; count: number; label: string };

export interface BenchHooks {
  onEvent?: (e: BenchEvent) => void;
  /** Receives the cleanup to run on Ctrl-C (removes the temp dir, stops peer programs). */
  onCleanup?: (cleanup: () => Promise<void>) => void;
}

export const DEFAULT_SYNTHETIC_SIZE = 256 * 1024 * 1024;

interface Validated {
  iterations: number;
  stages: typeof STAGES;
  compare: boolean;
}

function validate(o: BenchLayersOptions): Validated {
  if (!o.input && !o.synthetic) throw new UsageError('nothing to measure', 'give an IMAGE, a layer FILE, or --synthetic small-files|large-files|mixed');
  if (o.input && o.synthetic) throw new UsageError('give either an IMAGE/FILE or --synthetic, not both');
  if (o.synthetic && !SYNTHETIC_PROFILES.includes(o.synthetic as SyntheticProfile)) {
    throw new UsageError(`unknown synthetic profile "${o.synthetic}"`, `use one of: ${SYNTHETIC_PROFILES.join(', ')}`);
  }
  if (o.size !== undefined && !o.synthetic) throw new UsageError('--size applies to --synthetic layers only');
  const iterations = o.iterations ?? 3;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 1000) throw new UsageError(`--iterations ${o.iterations}: give a whole number from 1 to 1000`);
  let stages = STAGES;
  if (o.stages?.length) {
    const unknown = o.stages.filter((s) => !STAGE_IDS.includes(s));
    if (unknown.length) throw new UsageError(`unknown stage(s): ${unknown.join(', ')}`, `stages: ${STAGE_IDS.join(', ')}`);
    stages = STAGES.filter((s) => o.stages!.includes(s.id));
  }
  return { iterations, stages, compare: o.compare ?? false };
}

/** Where the temp dir goes: --dir, else $TMPDIR, else the store's tmp/ (cleaned by later commands if we are killed). */
function workspaceParent(ctx: EngineContext, o: BenchLayersOptions): WorkspaceParent {
  if (o.dir) return { dir: checkParentDir(o.dir) };
  if (ctx.env.TMPDIR) return { dir: checkParentDir(ctx.env.TMPDIR) };
  const store = ctx.store;
  return { dir: store.tmpDir, make: () => store.tempDir('bench') };
}

function storageDescription(ctx: EngineContext): { driver: string; reason: string; root: string } {
  const store = ctx.store;
  try {
    const c = ctx.driver();
    return { driver: c.driver, reason: c.reason, root: store.root };
  } catch (e) {
    return { driver: 'unknown', reason: (e as Error).message, root: store.root };
  }
}

interface PendingInput {
  kind: 'synthetic' | 'file' | 'image';
  name: string;
  /** Make the layers one at a time (so only one is in memory). */
  layers: Array<(ws: Workspace, onEvent: (e: BenchEvent) => void) => Promise<BenchLayer>>;
  /** Disk bytes needed in the work dir, estimated before anything is written. */
  need: number;
  synthetic?: { profile: string; size: number; seed: number };
}

/** Extra copies a run writes: the reference tree, one stage or peer tree at a time, blob copies. */
const TREES = 2;

async function resolveInput(ctx: EngineContext, o: BenchLayersOptions, v: Validated, workParent: string): Promise<PendingInput> {
  if (o.synthetic) {
    const spec = { profile: o.synthetic as SyntheticProfile, size: o.size ?? DEFAULT_SYNTHETIC_SIZE, seed: o.seed ?? 1 };
    // The tar and its extracted copy hold at least the data twice: refuse a size that cannot
    // fit before planning (millions of entries) or writing anything.
    checkFreeSpace(workParent, 2 * spec.size, `a synthetic layer of ${formatBytes(spec.size)}`);
    const plan = planSynthetic(spec);
    return {
      kind: 'synthetic',
      name: `${spec.profile} ${formatBytes(spec.size)}`,
      synthetic: spec,
      // + the tar again for blob copies (pipeline, skopeo) and the peers' own files.
      need: syntheticNeeds(plan, TREES) + plan.tarBytes,
      layers: [
        (ws, onEvent) =>
          makeSynthetic(spec, plan, ws, (done, total) => onEvent({ type: 'progress', done, total, what: 'generating the layer' })),
      ],
    };
  }
  const input = o.input!;
  const looksLikeFile = input.includes('/') || /\.(tar|tgz|gz|zst|tzst)$/.test(input);
  let fileSize: number | undefined;
  try {
    fileSize = checkReadableFile(input);
  } catch (e) {
    if (looksLikeFile || !(e instanceof BadLayerInput) || !/no such file/.test(e.message)) throw e;
  }
  const copies = (size: number): number => TREES * Math.ceil(size * 1.25 + (16 << 20));
  if (fileSize !== undefined) {
    return {
      kind: 'file',
      name: input,
      // The uncompressed size is unknown until read; gzip layers are rarely over 4x.
      need: copies(fileSize * 4) + (v.compare ? fileSize * 5 : fileSize),
      layers: [() => readBlob(input, input, 0)],
    };
  }
  const store = ctx.store;
  const image = resolveImage(store, input);
  const records = image.layers.map((c) => store.getLayer(c));
  const missing = records.findIndex((r) => !r);
  if (missing >= 0) throw new BadLayerInput(`image ${input}: layer ${missing + 1} is missing from the store`, 'the store is damaged; pull or load the image again');
  const largest = Math.max(0, ...records.map((r) => r!.size));
  const largestBlob = Math.max(0, ...records.map((r) => r!.compressedSize));
  return {
    kind: 'image',
    name: input,
    need: copies(largest) + (v.compare ? largest : 0) + largestBlob,
    layers: records.map((r, i) => () => {
      if (!store.hasBlob(r!.digest)) throw new BadLayerInput(`image ${input}: the blob of layer ${i + 1} (${r!.digest}) is not in the store`, 'pull or load the image again');
      return readBlob(store.blobPath(r!.digest), `layer ${i + 1}/${records.length} ${r!.digest.slice(0, 19)}`, i);
    }),
  };
}

export async function benchLayers(ctx: EngineContext, o: BenchLayersOptions, hooks: BenchHooks = {}): Promise<BenchLayersResult> {
  const onEvent = hooks.onEvent ?? (() => {});
  const v = validate(o);
  const parent = workspaceParent(ctx, o);
  const input = await resolveInput(ctx, o, v, parent.dir);
  checkFreeSpace(parent.dir, input.need, `this benchmark (${input.name}${v.compare ? ', with --compare' : ''})`);
  const notes: string[] = [];
  const ws = new Workspace(parent);
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> => (cleaning ??= ws.cleanup());
  hooks.onCleanup?.(cleanup);
  try {
    const system = describeSystem({ mode: ctx.mode.rootless ? 'rootless' : 'rootful', storage: storageDescription(ctx), workDir: ws.path });
    const layerCtx = ctx.layerContext();
    const layers: LayerResult[] = [];
    for (let i = 0; i < input.layers.length; i++) {
      onEvent({ type: 'phase', text: input.kind === 'synthetic' ? 'generating the synthetic layer' : `reading layer ${i + 1}/${input.layers.length}` });
      const layer = await input.layers[i]!(ws, onEvent);
      onEvent({ type: 'layer', index: i, count: input.layers.length, label: layer.label });
      if (!layer.tar.memory) {
        notes.push(`layer ${i + 1}: ${formatBytes(layer.tar.size)} is over the memory budget: stages read it from files (page cache)`);
        await ensureTarFile(layer, ws);
      }
      const total = stepsFor(v);
      const runner = new LayerRunner(layer, ws, { ...v, layerCtx, onProgress: onEvent }, total, 0);
      layers.push(await runner.run());
    }
    const result: BenchLayersResult = {
      schema: LAYERS_SCHEMA,
      hxVersion: versionInfo().hx,
      date: new Date().toISOString(),
      system,
      input: { kind: input.kind, name: input.name, ...(input.synthetic ? { synthetic: input.synthetic } : {}) },
      iterations: v.iterations,
      layers,
      notes,
    };
    return result;
  } finally {
    await cleanup();
  }
}

export { STAGE_IDS };

// ---------------------------------------------------------------- hx bench run

export interface BenchRunOptions {
  /** Default: the built-in hello-world (no network, no pull). */
  image?: string;
  /** Default: the image's own command. */
  command?: string[];
  iterations?: number;
  warmup?: number;
  compare?: boolean;
  /** Parent directory of the temp dir (default $TMPDIR, else the system's). */
  dir?: string;
}

/** The store's cached driver choice, read without opening (or probing) the store. */
function cachedStorage(ctx: EngineContext): { driver: string; reason: string; root: string } {
  const root = ctx.storageRoot;
  const cached = readJson<{ driver: string; reason: string }>(join(root, 'driver.json'));
  return cached ? { driver: cached.driver, reason: cached.reason, root } : { driver: 'unknown', reason: 'not probed yet', root };
}

/**
 * Time `hx run --rm IMAGE [CMD]` from outside, N times, with its phases. Runs outside the
 * namespace (each `hx run` joins it through the launcher, as a user's would; podman, runc
 * and crun need the host's view).
 */
export async function benchRun(ctx: EngineContext, o: BenchRunOptions, hooks: BenchHooks = {}): Promise<BenchRunResult> {
  const onEvent = hooks.onEvent ?? (() => {});
  const image = o.image ?? 'hello-world';
  const command = o.command ?? [];
  const iterations = o.iterations ?? 20;
  const warmup = o.warmup ?? 3;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10000) throw new UsageError(`--iterations ${o.iterations}: give a whole number from 1 to 10000`);
  if (!Number.isInteger(warmup) || warmup < 0 || warmup > 1000) throw new UsageError(`--warmup ${o.warmup}: give a whole number from 0 to 1000`);
  // The image must exist before anything runs (hello-world is built on first use).
  if (!isHelloWorld(image)) resolveImage(new Store(ctx.storageRoot), image);
  const parent = o.dir ? checkParentDir(o.dir) : checkParentDir(ctx.env.TMPDIR || tmpdir());
  checkFreeSpace(parent, 64 << 20, 'hx bench run');
  const ws = new Workspace({ dir: parent });
  let cleaning: Promise<void> | undefined;
  const shared = new SharedSetup({ hxBin: launcherPath(), image, command, ws });
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      await ws.cleanup();
      shared.cleanup();
    })());
  hooks.onCleanup?.(cleanup);
  try {
    const hxBin = launcherPath();
    // --network none, as the peers run: the run path's own cost (and, rootful, no bridge on the host)
    const argv = [hxBin, 'run', '--rm', '--network', 'none', image, ...command];
    const log = ws.file('phases.log');
    const total = warmup + iterations;
    const samples: RunSample[] = [];
    for (let i = 0; i < total; i++) {
      const r = await timedHxRun(argv, log, ws);
      if (r.code !== 0) {
        throw new HxError(`hx run --rm ${image}${command.length ? ` ${command.join(' ')}` : ''} exited ${r.code}${r.stderr ? `: ${r.stderr.split('\n').slice(-3).join(' ')}` : ''}`, {
          hint: 'the bench times a command that succeeds; try `hx run --rm IMAGE CMD` by hand',
        });
      }
      if (i >= warmup) samples.push(r);
      onEvent({ type: 'progress', done: i + 1, total, what: i < warmup ? 'warm-up runs' : 'hx run' });
    }
    const notes: string[] = [];
    const phases = phaseResults(samples);
    if (phases.every((p) => p.status === 'missing' || p.id === 'launcher' || p.id === 'other')) notes.push('this build\'s run path writes no phase marks: only the total is measured');
    const totalMs = summarize(samples.map((s) => s.totalMs));
    const compare: RunCompareResult[] = [];
    if (o.compare) {
      for (const p of RUN_PEERS) {
        const missing = missingRunPrograms(p);
        if (missing.length) {
          compare.push({ id: p.id, name: p.name, command: '', status: 'skipped', reason: `not installed: ${missing.join(', ')}` });
          continue;
        }
        let line: (i: number) => string[];
        try {
          onEvent({ type: 'phase', text: `preparing ${p.name}` });
          line = await p.prepare({ hxBin, image, command, ws }, shared);
        } catch (e) {
          compare.push({ id: p.id, name: p.name, command: '', status: 'failed', reason: (e as Error).message });
          continue;
        }
        const times: number[] = [];
        let failure: string | undefined;
        for (let i = 0; i < warmup + iterations && !failure; i++) {
          const r = await timeProcess(line(i), process.env, ws);
          if (r.code !== 0) failure = `exit ${r.code ?? r.signal}: ${r.stderr.split('\n').slice(-2).join(' ') || 'no message'}`;
          else if (i >= warmup) times.push(r.ms);
          onEvent({ type: 'progress', done: i + 1, total: warmup + iterations, what: p.name });
        }
        const cmd = quote(line(0));
        if (failure) compare.push({ id: p.id, name: p.name, command: cmd, status: 'failed', reason: failure });
        else {
          const ms = summarize(times);
          compare.push({ id: p.id, name: p.name, command: cmd, status: 'ok', ms, ratio: ms.median / totalMs.median });
        }
      }
    }
    return {
      schema: RUN_SCHEMA,
      hxVersion: versionInfo().hx,
      date: new Date().toISOString(),
      system: describeSystem({ mode: ctx.mode.rootless ? 'rootless' : 'rootful', storage: cachedStorage(ctx), workDir: ws.path }),
      image,
      command,
      iterations,
      warmup,
      notes,
      total: { ms: totalMs },
      phases,
      compare,
    };
  } finally {
    await cleanup();
  }
}

// What the front doors print a bench as (text, SVG) and how they read a --size.
export { renderLayersSvg, renderLayersText, renderRunSvg, renderRunText } from '../bench/report.js';
export { parseSize } from '../bench/stats.js';
