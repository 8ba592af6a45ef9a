// Runs the selected stages and peers over one layer: untimed setup, timed run, untimed
// teardown, N times; then the medians, spreads and ratios that go into the report.
import { rmSync } from 'node:fs';
import type { LayerContext } from '../layer/context.js';
import { findInPath } from '../host/which.js';
import { missingPrograms, PEERS, runPeer, writeOciLayout, type PeerEnv } from './compare.js';
import { ensureTarFile, type BenchLayer } from './layer-input.js';
import type { CompareResult, LayerResult, Rate, StageResult } from './schema.js';
import { writeTree, type StageDef, type StageEnv } from './stages.js';
import { mbPerSec, median, summarize } from './stats.js';
import type { Workspace } from './workspace.js';

export type BenchProgress = { type: 'progress'; done: number; total: number; what: string };

export interface LayerRunOptions {
  iterations: number;
  stages: StageDef<unknown>[];
  compare: boolean;
  layerCtx: LayerContext;
  onProgress: (p: BenchProgress) => void;
}

/** Steps one layer takes (for the progress bar). */
export function stepsFor(o: Pick<LayerRunOptions, 'iterations' | 'stages' | 'compare'>): number {
  const stageSteps = o.stages.reduce((n, s) => n + s.warmup + o.iterations, 0);
  const peers = o.compare ? PEERS.filter((p) => o.stages.some((s) => s.id === p.versus)).length * o.iterations : 0;
  return stageSteps + peers;
}

function rate(amount: number, seconds: { median: number; min: number; max: number }, per: (n: number, s: number) => number): Rate {
  return { median: per(amount, seconds.median), min: per(amount, seconds.max), max: per(amount, seconds.min) };
}

const perSecond = (n: number, s: number): number => (s > 0 ? n / s : 0);

export class LayerRunner {
  private done = 0;
  private tree: string | undefined;
  private tarPath: Promise<string> | undefined;
  private layout: string | undefined;
  readonly env: PeerEnv;

  constructor(
    private readonly layer: BenchLayer,
    private readonly ws: Workspace,
    private readonly o: LayerRunOptions,
    private readonly total: number,
    private readonly base: number,
  ) {
    const self = this;
    this.env = {
      layer,
      ws,
      layerCtx: o.layerCtx,
      async referenceTree() {
        if (!self.tree) {
          const dir = ws.dir(`tree-ref-${layer.index}`);
          await writeTree(layer, dir, o.layerCtx);
          self.tree = dir;
        }
        return self.tree;
      },
      tarFile() {
        self.tarPath ??= ensureTarFile(layer, ws);
        return self.tarPath;
      },
      ociLayout() {
        self.layout ??= writeOciLayout(layer, ws.dir(`oci-${layer.index}`));
        return self.layout;
      },
    };
  }

  private step(what: string): void {
    this.done++;
    this.o.onProgress({ type: 'progress', done: this.base + this.done, total: this.total, what });
  }

  async runStage(s: StageDef<unknown>): Promise<StageResult> {
    const env: StageEnv = this.env;
    const head = { id: s.id, name: s.name, group: s.group };
    const why = s.skip?.(env);
    if (why) {
      for (let i = 0; i < s.warmup + this.o.iterations; i++) this.step(s.name);
      return { ...head, via: s.via(env), status: 'skipped', reason: why };
    }
    const samples: number[] = [];
    let entries: number | undefined;
    try {
      for (let i = 0; i < s.warmup + this.o.iterations; i++) {
        const state = await s.setup?.(env, i);
        this.ws.settle();
        let t: number;
        try {
          const t0 = performance.now();
          entries = (await s.run(env, state)) ?? entries;
          t = (performance.now() - t0) / 1000;
        } finally {
          await s.teardown?.(env, state);
        }
        if (i >= s.warmup) samples.push(t);
        this.step(s.name);
      }
    } catch (e) {
      return { ...head, via: s.via(env), status: 'failed', reason: (e as Error).message };
    }
    const seconds = summarize(samples);
    const bytes = this.layer.tar.size;
    const n = entries ?? this.layer.scan.entries;
    return {
      ...head,
      via: s.via(env),
      status: 'ok',
      bytes,
      inputBytes: s.inputBytes(this.layer),
      entries: n,
      warmup: s.warmup,
      seconds,
      mbPerSec: rate(bytes, seconds, mbPerSec),
      entriesPerSec: rate(n, seconds, perSecond),
    };
  }

  /** Time spawning /bin/true from this process: our fork cost, taken off every peer sample. */
  async spawnOverhead(): Promise<number> {
    const bin = findInPath('true');
    if (!bin) return 0;
    const t: number[] = [];
    for (let i = 0; i < 5; i++) t.push((await runPeer({ argv: [bin], stdout: 'ignore', remove: [] }, this.ws)).seconds);
    return median(t);
  }

  async runPeers(stages: StageResult[], overhead: number): Promise<CompareResult[]> {
    const out: CompareResult[] = [];
    const selected = PEERS.filter((p) => this.o.stages.some((s) => s.id === p.versus));
    for (const p of selected) {
      const head = { id: p.id, peer: p.peer, name: p.name, versus: p.versus };
      const steps = (): void => {
        for (let i = 0; i < this.o.iterations; i++) this.step(p.name);
      };
      const hx = stages.find((s) => s.id === p.versus);
      const missing = missingPrograms(p, this.layer);
      const skip = missing.length ? `not installed: ${missing.join(', ')}` : p.skip?.(this.layer) ?? (hx?.status !== 'ok' ? `the hx stage ${p.versus} did not run` : undefined);
      if (skip) {
        steps();
        out.push({ ...head, command: '', status: 'skipped', reason: skip });
        continue;
      }
      const bin = (name: string): string => findInPath(name) ?? name;
      const samples: number[] = [];
      let command = '';
      let failure: string | undefined;
      for (let i = 0; i < this.o.iterations && !failure; i++) {
        let plan;
        try {
          plan = await p.plan(this.env, i, bin);
        } catch (e) {
          failure = `could not prepare the input: ${(e as Error).message}`;
          break;
        }
        command = plan.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
        try {
          this.ws.settle();
          const r = await runPeer(plan, this.ws);
          if (r.status !== 0) failure = `exit ${r.status}: ${r.stderr.split('\n').slice(-3).join(' ') || 'no message'}`;
          else samples.push(Math.max(r.seconds - overhead, 1e-6));
        } finally {
          for (const path of plan.remove) rmSync(path, { recursive: true, force: true });
        }
        this.step(p.name);
      }
      if (failure || samples.length === 0) {
        for (let i = samples.length + 1; i < this.o.iterations; i++) this.step(p.name);
        out.push({ ...head, command, status: 'failed', reason: failure ?? 'no samples' });
        continue;
      }
      const seconds = summarize(samples);
      out.push({
        ...head,
        command,
        status: 'ok',
        seconds,
        mbPerSec: rate(this.layer.tar.size, seconds, mbPerSec),
        ratio: seconds.median / hx!.seconds!.median,
      });
    }
    return out;
  }

  async run(): Promise<LayerResult> {
    const stages: StageResult[] = [];
    for (const s of this.o.stages) stages.push(await this.runStage(s));
    let compare: CompareResult[] = [];
    let overhead = 0;
    if (this.o.compare) {
      overhead = await this.spawnOverhead();
      compare = await this.runPeers(stages, overhead);
    }
    // Files made for this layer go now, so the next layer has the space.
    if (this.tree) rmSync(this.tree, { recursive: true, force: true });
    if (this.layout) rmSync(this.layout, { recursive: true, force: true });
    if (this.tarPath) {
      const path = await this.tarPath.catch(() => undefined);
      if (path?.startsWith(`${this.ws.path}/`)) rmSync(path, { force: true });
    }
    const l = this.layer;
    const s = l.scan;
    return {
      index: l.index,
      label: l.label,
      compression: l.compression,
      digest: l.digest,
      diffId: l.diffId,
      compressedBytes: l.blob.size,
      uncompressedBytes: l.tar.size,
      inputFrom: l.tar.memory ? 'memory' : 'file',
      entries: { total: s.entries, files: s.files, dirs: s.dirs, symlinks: s.symlinks, hardlinks: s.hardlinks, whiteouts: s.whiteouts, opaques: s.opaques, other: s.other },
      stages,
      compare,
      ...(this.o.compare ? { spawnOverheadSeconds: overhead } : {}),
    };
  }
}
