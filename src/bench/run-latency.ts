// `hx bench run`: the start-to-exit latency of `hx run --rm IMAGE [CMD]`, timed from
// outside, split into phases by the marks the run path writes when HX_PHASE_LOG is set
// (engine/phases.ts); and, with --compare, podman, runc and crun on the same image.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import type { Summary } from './stats.js';
import { median, summarize } from './stats.js';
import type { SystemDescription } from './system.js';
import type { Workspace } from './workspace.js';

export interface PhaseDef {
  id: string;
  name: string;
  /** Mark where the phase starts ('spawn' = the bench spawning hx) and ends ('exit' = hx exited). */
  from: string;
  to: string;
  /** Why a phase cannot be timed even when the marks exist. */
  never?: string;
}

export const PHASES: PhaseDef[] = [
  { id: 'launcher', name: 'launcher (fork+exec hx, join the namespace, exec node)', from: 'spawn', to: 'origin' },
  { id: 'node-start', name: 'Node start (bootstrap, CLI bundle, flags, namespace check)', from: 'origin', to: 'namespace' },
  { id: 'store-lookup', name: 'store lookup (driver, image, container record)', from: 'namespace', to: 'store-lookup' },
  { id: 'mount', name: 'mount (overlay of the layers, config merge, volumes)', from: 'store-lookup', to: 'rootfs' },
  { id: 'network', name: 'network', from: 'network-start', to: 'network', never: 'hx run has no network to set up yet (--network none|host: the container gets lo or the host\'s)' },
  { id: 'spawn', name: 'spawn (plan with seccomp and user files, clone the child)', from: 'rootfs', to: 'start' },
  { id: 'exec', name: 'exec (child setup: mounts, pivot_root; execve; the command runs and exits)', from: 'start', to: 'exited' },
  { id: 'teardown', name: 'teardown (unmount, remove the container)', from: 'exited', to: 'teardown' },
  { id: 'exit', name: 'exit (Node shuts down)', from: 'teardown', to: 'exit' },
];

export interface RunSample {
  totalMs: number;
  /** Mark name -> epoch ms (with 'spawn' and 'exit' measured here). */
  marks: Map<string, number>;
}

export interface PhaseResult {
  id: string;
  name: string;
  status: 'ok' | 'missing';
  reason?: string;
  ms?: Summary;
  share?: number;
}

export interface RunCompareResult {
  id: string;
  name: string;
  command: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  ms?: Summary;
  ratio?: number;
}

export interface BenchRunResult {
  schema: 'hx-bench-run/1';
  hxVersion: string;
  date: string;
  system: SystemDescription;
  image: string;
  command: string[];
  iterations: number;
  warmup: number;
  notes: string[];
  total: { ms: Summary };
  phases: PhaseResult[];
  compare: RunCompareResult[];
}

/** Read a phase log: "NAME EPOCH_MS" lines. */
export function parsePhaseLog(text: string): Map<string, number> {
  const marks = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\d+(?:\.\d+)?)$/.exec(line.trim());
    if (m && !marks.has(m[1]!)) marks.set(m[1]!, Number(m[2]));
  }
  return marks;
}

/** Phase times over SAMPLES; a phase whose marks are absent in any sample is 'missing'. */
export function phaseResults(samples: RunSample[]): PhaseResult[] {
  const totalMedian = median(samples.map((s) => s.totalMs));
  const out: PhaseResult[] = [];
  for (const p of PHASES) {
    const head = { id: p.id, name: p.name };
    const values = samples.map((s) => {
      const a = s.marks.get(p.from);
      const b = s.marks.get(p.to);
      return a !== undefined && b !== undefined ? Math.max(0, b - a) : undefined;
    });
    if (values.some((v) => v === undefined)) {
      const missing = [p.from, p.to].filter((m) => samples.some((s) => !s.marks.has(m)));
      out.push({ ...head, status: 'missing', reason: p.never ?? `the run path did not report the mark(s) ${missing.join(', ')}` });
      continue;
    }
    const ms = summarize(values as number[]);
    out.push({ ...head, status: 'ok', ms, share: totalMedian > 0 ? ms.median / totalMedian : 0 });
  }
  const measured = out.filter((p) => p.status === 'ok');
  if (measured.length) {
    const rest = samples.map((s, i) => Math.max(0, s.totalMs - measured.reduce((a, p) => a + p.ms!.samples[i]!, 0)));
    const ms = summarize(rest);
    out.push({ id: 'other', name: 'not covered by the phases above', status: 'ok', ms, share: totalMedian > 0 ? ms.median / totalMedian : 0 });
  }
  return out;
}

export interface TimedProcess {
  ms: number;
  code: number | null;
  signal: string | null;
  stderr: string;
  startEpoch: number;
  exitEpoch: number;
}

/** Spawn ARGV with stdio to /dev/null (stderr kept for errors) and time it to exit. */
export function timeProcess(argv: string[], env: NodeJS.ProcessEnv, ws: Workspace, cwd?: string): Promise<TimedProcess> {
  return new Promise((resolve, reject) => {
    const startEpoch = performance.timeOrigin + performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env, ...(cwd ? { cwd } : {}) });
    ws.track(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const exitEpoch = performance.timeOrigin + performance.now();
      // Not 'close': a process hx starts (the namespace holder) may keep the stderr pipe open.
      setTimeout(() => resolve({ ms: exitEpoch - startEpoch, code, signal, stderr: stderr.trim(), startEpoch, exitEpoch }), 5);
    });
  });
}

/** One timed `hx run`, with its phase marks. */
export async function timedHxRun(argv: string[], logFile: string, ws: Workspace): Promise<RunSample & { code: number | null; stderr: string }> {
  rmSync(logFile, { force: true });
  const r = await timeProcess(argv, { ...process.env, HX_PHASE_LOG: logFile }, ws);
  let marks = new Map<string, number>();
  try {
    marks = parsePhaseLog(readFileSync(logFile, 'utf8'));
  } catch {
    /* no marks: a run path without them, or a failure before the first */
  }
  marks.set('spawn', r.startEpoch);
  marks.set('exit', r.exitEpoch);
  return { totalMs: r.ms, marks, code: r.code, stderr: r.stderr };
}
