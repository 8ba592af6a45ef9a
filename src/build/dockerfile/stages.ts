// The stages of a Dockerfile as a graph (buildkit's dockerfile2llb: addState,
// toCommand, detectRunMount, validateCircularDependency, resolveTarget,
// allReachableStages): what each FROM, COPY --from and RUN --mount from=... refers to
// (an earlier stage by name, a stage by index, or else an image or named context), the
// stages a --target needs, in build order, and which of them can build at once.
import { DockerfileError } from './errors.js';
import { goQuote } from './go-format.js';
import type { CopyInstruction, Dockerfile, RunInstruction, SourceLocation } from './instructions.js';
import { checkCopyFrom, expandFrom, resolveMetaArgs, type BuildArgs } from './scope.js';

/** What a name in FROM, COPY --from or --mount from= resolves to. */
export type StageSource =
  | { kind: 'stage'; index: number }
  /** An image reference, or a named context (--build-context) of that name. */
  | { kind: 'image'; name: string };

export interface StageDependency {
  source: StageSource;
  /** The reference as written (after FROM's ARG substitution). */
  ref: string;
  /** What made it: the FROM line, a COPY --from, or a RUN --mount from=. */
  via: 'from' | 'copy' | 'mount';
  location: SourceLocation;
}

export interface StageNode {
  index: number;
  name?: string;
  /** buildkit's display name: the AS name, else "stage-N". */
  displayName: string;
  /** The FROM image after meta ARG substitution. */
  base: StageSource;
  platform?: string;
  dependencies: StageDependency[];
}

export interface StageGraph {
  file: string;
  stages: StageNode[];
}

export interface StageGraphOptions {
  buildArgs?: BuildArgs;
  /** Automatic platform ARGs (TARGETPLATFORM, BUILDPLATFORM, ...) FROM lines may use. */
  predefinedArgs?: BuildArgs;
}

export interface TargetPlan {
  /** The target stage's index. */
  target: number;
  /** The stages the target needs, itself included, in the order docker builds them. */
  order: number[];
  /** `order` grouped: each wave depends only on earlier waves, so its stages can build concurrently. */
  waves: number[][];
}

/** Resolve every stage's references. Throws DockerfileError as docker would fail the build. */
export function stageGraph(df: Dockerfile, options: StageGraphOptions = {}): StageGraph {
  const globals = resolveMetaArgs(df.metaArgs, options.buildArgs, options.predefinedArgs);
  // Every stage by (lower-case) name; a later stage of the same name replaces an earlier one.
  const byName = new Map<string, number>();
  for (const stage of df.stages) if (stage.name !== undefined) byName.set(stage.name, stage.index);
  const earlierByName = new Map<string, number>();
  const stages: StageNode[] = [];

  const sourceByName = (name: string): StageSource => {
    const index = byName.get(name.toLowerCase());
    return index === undefined ? { kind: 'image', name } : { kind: 'stage', index };
  };

  for (const stage of df.stages) {
    const from = expandFrom(stage.from, globals, df.escapeToken);
    // FROM matches only stages already defined, by their exact (lower-case) name.
    const baseIndex = earlierByName.get(from.image);
    const base: StageSource = baseIndex === undefined ? { kind: 'image', name: from.image } : { kind: 'stage', index: baseIndex };
    const node: StageNode = {
      index: stage.index,
      displayName: stage.name ?? `stage-${stage.index}`,
      base,
      dependencies: [{ source: base, ref: from.image, via: 'from', location: stage.from.location }],
    };
    if (stage.name !== undefined) node.name = stage.name;
    if (from.platform !== undefined) node.platform = from.platform;
    for (const inst of stage.instructions) {
      if (inst.kind === 'COPY' && inst.from !== undefined) node.dependencies.push(copySource(inst, df, sourceByName));
      if (inst.kind === 'RUN') node.dependencies.push(...mountSources(inst, sourceByName));
    }
    stages.push(node);
    if (stage.name !== undefined) earlierByName.set(stage.name, stage.index);
  }
  const graph: StageGraph = { file: df.file, stages };
  checkCycles(graph);
  checkOrder(graph);
  return graph;
}

function copySource(inst: CopyInstruction, df: Dockerfile, sourceByName: (name: string) => StageSource): StageDependency {
  checkCopyFrom(inst, df.escapeToken);
  const from = inst.from!;
  // strconv.Atoi: an integer is a stage index, and must be one.
  if (/^[+-]?[0-9]+$/.test(from)) {
    const index = Number(from);
    if (index < 0 || index >= df.stages.length) throw new DockerfileError(`invalid stage index ${index}`, inst.location);
    return { source: { kind: 'stage', index }, ref: from, via: 'copy', location: inst.location };
  }
  return { source: sourceByName(from), ref: from, via: 'copy', location: inst.location };
}

function mountSources(inst: RunInstruction, sourceByName: (name: string) => StageSource): StageDependency[] {
  return inst.mounts.filter((m) => m.from !== undefined && m.from !== '').map((m) => ({ source: sourceByName(m.from!), ref: m.from!, via: 'mount', location: inst.location }));
}

function stageDeps(node: StageNode): StageDependency[] {
  return node.dependencies.filter((d) => d.source.kind === 'stage');
}

/** buildkit's validateCircularDependency: "circular dependency detected on stage: NAME". */
function checkCycles(graph: StageGraph): void {
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (node: StageNode): void => {
    if (state.get(node.index) === 'done') return;
    state.set(node.index, 'visiting');
    for (const dep of stageDeps(node)) {
      const index = (dep.source as { index: number }).index;
      if (state.get(index) === 'visiting') {
        throw new DockerfileError(`circular dependency detected on stage: ${graph.stages[index]!.displayName}`, dep.location);
      }
      visit(graph.stages[index]!);
    }
    state.set(node.index, 'done');
  };
  for (const node of graph.stages) visit(node);
}

/** Stages build in file order, so a COPY --from or mount from= can only use an earlier one. */
function checkOrder(graph: StageGraph): void {
  for (const node of graph.stages) {
    for (const dep of stageDeps(node)) {
      const index = (dep.source as { index: number }).index;
      if (index > node.index) {
        throw new DockerfileError(`cannot copy from stage ${goQuote(dep.ref)}, it needs to be defined before current stage ${goQuote(node.displayName)}`, dep.location);
      }
    }
  }
}

/**
 * The stages `target` needs (default: the last stage), in build order, and grouped into
 * waves that can build concurrently. An unknown target is docker's error.
 */
export function stagesForTarget(graph: StageGraph, target?: string): TargetPlan {
  let targetIndex = graph.stages.length - 1;
  if (target !== undefined && target !== '') {
    const lower = target.toLowerCase();
    // The last stage of that name, as buildkit's name map keeps the last one.
    const found = [...graph.stages].reverse().find((s) => s.name === lower);
    if (found === undefined) {
      // No line names a --target; point at the stage docker would build by default.
      const last = graph.stages[graph.stages.length - 1]!.dependencies[0]!.location;
      const names = graph.stages.filter((s) => s.name !== undefined).map((s) => s.name);
      throw new DockerfileError(`target stage ${goQuote(target)} could not be found`, last, `the stages named with FROM ... AS are: ${names.join(', ') || 'none'}`);
    }
    targetIndex = found.index;
  }
  const needed = new Set<number>();
  const add = (index: number) => {
    if (needed.has(index)) return;
    needed.add(index);
    for (const dep of stageDeps(graph.stages[index]!)) add((dep.source as { index: number }).index);
  };
  add(targetIndex);
  const order = [...needed].sort((a, b) => a - b);
  const level = new Map<number, number>();
  for (const index of order) {
    const deps = stageDeps(graph.stages[index]!).map((d) => level.get((d.source as { index: number }).index) ?? 0);
    level.set(index, deps.length === 0 ? 0 : Math.max(...deps) + 1);
  }
  const waves: number[][] = [];
  for (const index of order) (waves[level.get(index)!] ??= []).push(index);
  return { target: targetIndex, order, waves };
}
