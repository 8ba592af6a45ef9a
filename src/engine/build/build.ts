// `hx build`: a Dockerfile executed with the engine's own parts. The front end
// (src/build/dockerfile: parse, stages, ARG/ENV scope, buildkit's history texts) says what
// each instruction means; here each one changes the stage's image config in memory, and
// the two that change files make a layer: RUN runs a container of the stage's image and
// commits what it changed, COPY copies into a created container's root (resolved inside it
// by libhxns, the source inside the context) and commits that. Intermediate images are
// removed at the end; what stays is the target stage's image, tagged.
//
// Each step is cached (engine/build/cache.ts); --no-cache runs them all.
//
// The forms beyond plain RUN and COPY live in modules of their own: heredoc.ts (RUN and
// COPY heredocs), run-mounts.ts + mount-cache.ts (RUN --mount), copy-rules.ts (--chmod,
// --exclude, --parents), add-archive.ts (ADD's tar codecs), add-url.ts (ADD of a URL with
// --checksum), image-source.ts (COPY --from and mount from= an image), platform.ts (the
// automatic platform ARGs, --platform). Refused with a clear error, never ignored: ADD of
// git, --keep-git-dir, RUN --mount=type=ssh, a platform other than the host's. A FROM image
// not in the store is pulled (--pull: always). FROM scratch is an image of no layers.
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import {
  buildkitCreatedBy,
  buildkitRunArgs,
  DEFAULT_SHELL,
  loadDockerfile,
  resolveMetaArgs,
  resolveWorkdir,
  StageScope,
  stageGraph,
  stagesForTarget,
  isGitSource,
  isHTTPSource,
  type AddInstruction,
  type CopyInstruction,
  type Instruction,
  type RunInstruction,
  type Stage,
} from '../../build/dockerfile/index.js';
import { withRootfs } from '../../container/rootfs-access.js';
import { HxError, wrap } from '../../errors.js';
import type { ContainerConfig, ImageConfig } from '../../image/config.js';
import { findImage, imageConfigOf, resolveImage } from '../../image/resolve.js';
import { imageSource } from '../../image/source.js';
import { StoreImage } from '../../image/store-source.js';
import { storeImage } from '../../image/store-image.js';
import { unpackTar } from '../../container/copy-tar.js';
import { mkdirInRoot, RootDirs } from '../../layer/root-dirs.js';
import { parseGroup, parsePasswd } from '../../runtime/user.js';
import type { ImageRecord } from '../../store/store.js';
import { copyEntry, copyTree, CopyFlag, openInRoot, statInRoot } from '../../sys/spawn.js';
import { commitContainer } from '../containers/commit.js';
import { createContainerRecord } from '../containers/create.js';
import { findContainer } from '../containers/lookup.js';
import { removeContainerByRef } from '../containers/remove.js';
import { runContainer } from '../containers/run.js';
import type { EngineContext } from '../context.js';
import { removeImages, tagImage } from '../images/tag.js';
import { BuildCache, INLINE_CACHE_FIELD, InlineCache, type CacheEntry, type InlineStep } from './cache.js';
import { BuildContext, openBuildContext } from './context.js';
import { BuildProgress, type BuildStep, type ProgressMode } from './progress.js';
import { runStages } from './scheduler.js';
import { archiveCodecOf, tarStream } from './add-archive.js';
import { fetchChecked } from './add-url.js';
import { chmodTreeInRoot, excluder, parentsPath, parseChmod, segmentPattern } from './copy-rules.js';
import { heredocPipeMount, writeInlineSources } from './heredoc.js';
import { buildContainerName, withContainerRoot, withImageRoot } from './image-root.js';
import { BuildImages } from './image-source.js';
import { checkPlatform, platformArgs, PROXY_ARGS } from './platform.js';
import { missingStubs, prepareRunMounts, removeStubs, type BuildSecret } from './run-mounts.js';
import type { MountRequest } from '../../runtime/mounts.js';
import { pull } from '../registry.js';

export interface BuildRequest {
  /** The context: a directory, a .tar[.gz|.zst] file, or '-' (STDIN: a tar, or the Dockerfile alone). */
  context: string;
  /** The Dockerfile (default CONTEXT/Dockerfile; '-': STDIN). */
  dockerfile?: string | undefined;
  /** What '-' reads. */
  stdin?: Readable | undefined;
  tags?: string[] | undefined;
  buildArgs?: Record<string, string> | undefined;
  target?: string | undefined;
  /** --label: set on the final image. */
  labels?: Record<string, string> | undefined;
  /** RUN's network (default: the engine's default for containers). */
  network?: string | undefined;
  /** A FROM image not in the store: pulled (missing, the default), or an error (never);
   * always: pulled again even when it is there (--pull). */
  pull?: 'missing' | 'always' | 'never' | undefined;
  /** --no-cache: run every step, ignoring the build cache (entries are still written). */
  noCache?: boolean | undefined;
  /** --secret id=ID,src=FILE|env=VAR: what RUN --mount=type=secret mounts (never in the image or the cache key). */
  secrets?: Record<string, BuildSecret> | undefined;
  /** --add-host HOST:IP for the RUN containers. */
  addHost?: string[] | undefined;
  /** --cache-from: images whose inline cache (BUILDKIT_INLINE_CACHE=1) may stand in for steps. */
  cacheFrom?: string[] | undefined;
  /** --platform: must be the host's (platform.ts). */
  platform?: string | undefined;
}

export interface BuildIO {
  /** Step lines and RUN's output. */
  stdout: Writable;
  stderr: Writable;
  /** How steps are shown (engine/build/progress.ts); default plain. */
  progress?: ProgressMode | undefined;
  /** The terminal's width, for the tty view. */
  columns?: number | undefined;
}

interface StageState {
  image: ImageRecord;
  config: ImageConfig;
  scope: StageScope;
  shell: string[];
  /** The build cache's key of the step that made this state (engine/build/cache.ts). */
  key: string;
  /** Every step so far with its key (the inline cache of BUILDKIT_INLINE_CACHE=1). */
  steps: InlineStep[];
}

/** FILE:LINE:COL of an instruction, as the front end's errors name it. */
function at(inst: { location: { file: string; line: number; column: number } }): string {
  return `${inst.location.file}:${inst.location.line}:${inst.location.column}`;
}

function unsupported(what: string, inst: { location: { file: string; line: number; column: number } }): HxError {
  return new HxError(`${at(inst)}: ${what} is not supported by hx build`, {
    kind: 'invalid-argument',
    hint: 'see docs/ARCHITECTURE.md "hx build" for what the builder does today',
  });
}

function cloneConfig(c: ImageConfig): ImageConfig {
  return JSON.parse(JSON.stringify(c)) as ImageConfig;
}

function emptyHistory(state: StageState, createdBy: string | undefined): void {
  if (createdBy === undefined) return;
  state.config.history = [...(state.config.history ?? []), { created: new Date().toISOString(), created_by: createdBy, comment: 'buildkit.dockerfile.v0', empty_layer: true }];
}

/** docker's COPY destination: relative to WORKDIR; a directory when it ends in "/" or
 * several sources are copied. */
type CopyLike = CopyInstruction | AddInstruction;

function copyTarget(inst: CopyLike, workdir: string): { dir: string; name?: string } {
  const abs = inst.destination.startsWith('/') ? inst.destination : `${workdir.replace(/\/$/, '')}/${inst.destination}`;
  const d = inst.destination;
  const asDir = d.endsWith('/') || d.endsWith('/.') || d === '.' || d === '..' || d.endsWith('/..') || inst.sources.length + inst.inline.length > 1;
  const clean = resolveWorkdir('/', abs);
  if (asDir || clean === '/') return { dir: clean };
  const i = clean.lastIndexOf('/');
  return { dir: clean.slice(0, i) || '/', name: clean.slice(i + 1) };
}

/** docker's --chown: USER[:GROUP], names looked up in the destination's /etc/passwd and
 * /etc/group (read inside its root); a user alone gives its uid as the gid too. */
function parseChown(chown: string | undefined, root: string, inst: CopyLike): { uid: number; gid: number } | undefined {
  if (chown === undefined) return undefined;
  const [user = '', group] = chown.split(':', 2) as [string, string | undefined];
  const read = (path: string): string => {
    let fd: number;
    try {
      fd = openInRoot(root, path);
    } catch {
      return '';
    }
    try {
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  };
  const id = (v: string, file: string, kind: string): number => {
    if (/^\d+$/.test(v)) return Number(v);
    const text = read(file);
    const found = (kind === 'user' ? parsePasswd(text).find((u) => u.name === v)?.uid : parseGroup(text).find((g) => g.name === v)?.gid);
    if (found === undefined) throw new HxError(`${inst.location.file}:${inst.location.line}: unable to convert ${kind} ${v} to an id: no such ${kind} in the image's ${file}`, { kind: 'invalid-argument', hint: `give a numeric id, or a ${kind} that ${file} of the image defines` });
    return found;
  };
  const uid = id(user, '/etc/passwd', 'user');
  return { uid, gid: group === undefined ? uid : id(group, '/etc/group', 'group') };
}

/** The paths SOURCE names under ROOT: itself, or what its wildcards match (sorted), each
 * directory listed inside the root (no symlink followed on the way). */
function expandSource(root: string, source: string): string[] {
  const clean = resolveWorkdir('/', source.startsWith('/') ? source : `/${source}`);
  if (!/[*?[]/.test(clean)) return [clean];
  const dirs = new RootDirs(root);
  try {
    let found = [''];
    for (const seg of clean.split('/').filter(Boolean)) {
      const next: string[] = [];
      for (const base of found) {
        if (!/[*?[]/.test(seg)) {
          next.push(`${base}/${seg}`);
          continue;
        }
        const listing = dirs.dir(base.slice(1));
        if (listing === undefined) continue;
        const re = segmentPattern(seg);
        for (const name of readdirSync(listing).sort()) if (re.test(name)) next.push(`${base}/${name}`);
      }
      found = next;
    }
    return found;
  } finally {
    dirs.close();
  }
}

export async function buildImage(ctx: EngineContext, req: BuildRequest, io: BuildIO): Promise<ImageRecord> {
  const opened = await openBuildContext(ctx.store, ctx.layerContext(), { context: req.context, dockerfile: req.dockerfile, stdin: req.stdin });
  try {
    return await buildFrom(ctx, req, io, opened.context, opened.dockerfileText);
  } finally {
    opened.context.release();
  }
}

async function buildFrom(ctx: EngineContext, req: BuildRequest, io: BuildIO, context: BuildContext, text: string): Promise<ImageRecord> {
  const buildArgs = req.buildArgs ?? {};
  const df = loadDockerfile(text, { file: 'Dockerfile' });
  const graph = stageGraph(df, { buildArgs, predefinedArgs: platformArgs() });
  const plan = stagesForTarget(graph, req.target);
  const globals = resolveMetaArgs(df.metaArgs, buildArgs, platformArgs());
  if (req.platform !== undefined) checkPlatform(req.platform, '--platform');
  for (const i of plan.order) if (graph.stages[i]!.platform !== undefined) checkPlatform(graph.stages[i]!.platform!, `${at(df.stages[i]!.from)}: FROM --platform`);
  const made: string[] = []; // intermediate images, removed at the end
  const cache = new BuildCache(ctx.store, req.noCache !== true);
  const results = new Map<number, StageState>();
  const progress = new BuildProgress(io.stdout, io.progress ?? 'plain', io.columns);
  const extras = execExtras(ctx, req, (line) => progress.say(line));
  if (!req.noCache) await importInlineCaches(ctx, req.cacheFrom ?? [], extras);
  // sibling stages FROM the same missing image wait for one pull of it
  const pulls = new Map<string, Promise<void>>();
  const stageDeps = (i: number): number[] => graph.stages[i]!.dependencies.flatMap((d) => (d.source.kind === 'stage' ? [d.source.index] : []));
  try {
    await runStages(plan.order, stageDeps, async (index) => {
      const stage = df.stages[index]!;
      const node = graph.stages[index]!;
      const total = 1 + stage.instructions.length;
      const label = (k: number, text: string): string => `[${node.displayName} ${k}/${total}] ${oneLine(text)}`;
      const state = await asStep(progress.start(label(1, stage.from.original)), async (step) => {
        const s = await startStage(ctx, node.base, results, globals, buildArgs, stage, made, { policy: req.pull ?? 'missing', pulls }, (line) => step.line(line));
        step.done();
        return s;
      });
      const x = (step: BuildStep): ExecContext => ({ context: context.root, buildContext: context, results, stages: df.stages, network: req.network, io: { stdout: step.output, stderr: step.output }, made, ...extras, say: (line) => step.line(line) });
      // docker: the base image's ONBUILD triggers run first, and the new image has none
      const triggers = node.base.kind === 'image' ? (state.config.config?.OnBuild ?? []) : [];
      if (triggers.length) setConfig(state, (c) => (c.OnBuild = null));
      for (const trigger of triggers) {
        const parsed = loadDockerfile(`FROM scratch\n${trigger}\n`, { file: 'ONBUILD' }).stages[0]?.instructions[0];
        if (parsed) await asStep(progress.start(label(1, `ONBUILD ${trigger}`)), async (step) => ((await cachedStep(ctx, cache, state, state.scope.dispatch(parsed), x(step))) ? step.cached() : step.done()));
      }
      for (const [k, raw] of stage.instructions.entries()) {
        await asStep(progress.start(label(k + 2, raw.original)), async (step) => ((await cachedStep(ctx, cache, state, state.scope.dispatch(raw), x(step))) ? step.cached() : step.done()));
      }
      results.set(index, state);
      return state;
    });
  } finally {
    progress.close();
  }
  const final = results.get(plan.target)!;
  if (req.labels && Object.keys(req.labels).length) {
    final.config.config = { ...(final.config.config ?? {}), Labels: { ...(final.config.config?.Labels ?? {}), ...req.labels } };
  }
  // docker's --build-arg BUILDKIT_INLINE_CACHE=1: the steps' keys ride in the image, for
  // another store's --cache-from after a push or save
  if (/^(1|true)$/i.test(buildArgs.BUILDKIT_INLINE_CACHE ?? '')) (final.config as unknown as Record<string, unknown>)[INLINE_CACHE_FIELD] = final.steps;
  const image = await asStep(progress.start('exporting to image'), async (step) => {
    const stored = await storeConfig(ctx, final);
    step.line(`writing image ${stored.id} done`);
    for (const tag of req.tags ?? []) {
      await tagImage(ctx, stored.id, tag);
      step.line(`naming to ${tag} done`);
    }
    step.done();
    return stored;
  });
  progress.close();
  progress.say(image.id);
  const stale = made.filter((id) => id !== image.id);
  if (stale.length) await removeImages(ctx, stale).catch(() => undefined);
  return image;
}

/** FROM scratch: an image with no layers (the build's own; removed with the intermediates). */
async function scratchImage(ctx: EngineContext, made: string[]): Promise<ImageRecord> {
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
  const config: ImageConfig = { architecture: arch, os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
  const image = await storeImage(ctx.store, imageSource({ configBytes: Buffer.from(JSON.stringify(config)), layers: [] }), ctx.layerContext());
  made.push(image.id);
  return image;
}

async function startStage(ctx: EngineContext, base: { kind: 'stage'; index: number } | { kind: 'image'; name: string }, results: Map<number, StageState>, globals: Map<string, string>, buildArgs: Record<string, string>, stage: Stage, made: string[], fetch: { policy: 'missing' | 'always' | 'never'; pulls: Map<string, Promise<void>> }, say: (line: string) => void): Promise<StageState> {
  const { policy, pulls } = fetch;
  if (base.kind === 'stage') {
    const from = results.get(base.index);
    if (!from) throw new HxError(`stage ${base.index} was not built before the stage that needs it`, { kind: 'internal' });
    return { image: from.image, config: cloneConfig(from.config), scope: StageScope.inheriting(from.scope), shell: [...from.shell], key: from.key, steps: [...from.steps] };
  }
  let image: ImageRecord;
  if (base.name === 'scratch') image = await scratchImage(ctx, made);
  else {
    const local = policy === 'always' ? undefined : findImage(ctx.store, base.name);
    if (local) image = local;
    else if (policy === 'never') {
      throw new HxError(`${stage.from.location.file}:${stage.from.location.line}: No such image: ${base.name}`, { kind: 'not-found', hint: `pull it (hx pull ${base.name}), or build without --pull never` });
    } else {
      say(`Pulling ${base.name}`);
      let pulling = pulls.get(base.name);
      if (!pulling) pulls.set(base.name, (pulling = pull(ctx, base.name, {}).then(() => undefined)));
      await pulling.catch((e: unknown) => {
        throw wrap(e, `${stage.from.location.file}:${stage.from.location.line}: pulling ${base.name}`);
      });
      image = resolveImage(ctx.store, base.name);
    }
  }
  const config = cloneConfig(imageConfigOf(ctx.store, image));
  delete (config as unknown as Record<string, unknown>)[INLINE_CACHE_FIELD]; // the base's build is not this one's
  const scope = new StageScope({ globals, buildArgs, imageEnv: config.config?.Env ?? [] });
  return { image, config, scope, shell: [...(config.config?.Shell ?? DEFAULT_SHELL)], key: BuildCache.key('', { from: base.name === 'scratch' ? 'scratch' : image.id }), steps: [] };
}

/** Store the stage's config over its image's layers when they differ (config-only steps). */
async function storeConfig(ctx: EngineContext, state: StageState): Promise<ImageRecord> {
  const bytes = Buffer.from(JSON.stringify(state.config));
  const base = await StoreImage.open(ctx.store, state.image);
  try {
    if (bytes.equals(base.configBytes)) return state.image;
    state.image = await storeImage(ctx.store, imageSource({ configBytes: bytes, layers: [...base.layers] }), ctx.layerContext());
    return state.image;
  } finally {
    base.release();
  }
}

interface ExecContext extends ExecExtras {
  /** The context's host directory ('' when there is none): what RUN --mount=type=bind reads. */
  context: string;
  /** The context as COPY/ADD and the cache key read it (.dockerignore applied). */
  buildContext: BuildContext;
  results: Map<number, StageState>;
  stages: Stage[];
  network: string | undefined;
  io: BuildIO;
  made: string[];
}

/** What RUN and COPY need of the request beyond the context (one per build). */
interface ExecExtras {
  images: BuildImages;
  /** The steps of the --cache-from images. */
  inline: InlineCache;
  secrets: ReadonlyMap<string, BuildSecret>;
  addHost: string[];
  buildArgs: Record<string, string>;
  say: (line: string) => void;
}

function execExtras(ctx: EngineContext, req: BuildRequest, say: (line: string) => void): ExecExtras {
  return { images: new BuildImages(ctx, req.pull ?? 'missing', say), inline: new InlineCache(), secrets: new Map(Object.entries(req.secrets ?? {})), addHost: req.addHost ?? [], buildArgs: req.buildArgs ?? {}, say };
}

/** --cache-from: each image's inline cache (pulled when missing, as FROM is). An image that
 * cannot be had or has no inline cache is a warning, as buildkit's failed cache import is. */
async function importInlineCaches(ctx: EngineContext, refs: string[], extras: ExecExtras): Promise<void> {
  for (const ref of refs) {
    try {
      const image = await extras.images.get(ref, '--cache-from');
      if (extras.inline.add(imageConfigOf(ctx.store, image)) === 0) extras.say(`WARNING: --cache-from ${ref}: the image has no inline cache (build it with --build-arg BUILDKIT_INLINE_CACHE=1)`);
    } catch (e) {
      extras.say(`WARNING: --cache-from ${ref}: ${(e as Error).message}`);
    }
  }
}

/** COPY --from / mount from=: an earlier stage's state, by name or index; undefined for an image name. */
function stageByRef(x: ExecContext, ref: string): StageState | undefined {
  const i = x.stages.findIndex((st, n) => st.name === ref.toLowerCase() || String(n) === ref);
  return i >= 0 ? x.results.get(i) : undefined;
}

/** The image ID a from= names: a stage's current image, or an image (pulled if missing). */
async function fromImage(x: ExecContext, ref: string, where: string): Promise<string> {
  return stageByRef(x, ref)?.image.id ?? (await x.images.get(ref, where)).id;
}

function setConfig(state: StageState, f: (c: ContainerConfig) => void): void {
  const c = { ...(state.config.config ?? {}) };
  f(c);
  state.config.config = c;
}

/** What a step's result depends on besides the step before it (the cache key's inputs):
 * the instruction after substitution (heredoc bodies, --chmod, mount shapes included; never
 * a secret's value), and what it reads: the context files it copies or binds, the key of a
 * stage, the ID of an image (so a re-pulled COPY --from image is a miss). */
async function stepInputs(state: StageState, inst: Instruction, x: ExecContext): Promise<unknown> {
  const { location: _at, ...what } = inst;
  const inputs: Record<string, unknown> = { what, shell: state.shell };
  const source = async (from: string): Promise<string> => {
    const stage = stageByRef(x, from);
    return stage ? `stage ${stage.key}` : `image ${(await x.images.get(from, at(inst))).id}`;
  };
  if (inst.kind === 'RUN') {
    Object.assign(inputs, { args: state.scope.runArgs(), network: inst.network === 'default' ? x.network ?? '' : inst.network, addHost: x.addHost });
    const binds: string[] = [];
    for (const m of inst.mounts) {
      // a required secret is required of a cached step too
      if (m.type === 'secret' && m.required && !x.secrets.has(m.id || posix.basename(m.target ?? ''))) {
        throw new HxError(`${at(inst)}: secret ${m.id || posix.basename(m.target ?? '')} not found`, { kind: 'not-found', hint: `give it: hx build --secret id=${m.id || posix.basename(m.target ?? '')},src=FILE` });
      }
      if (m.type !== 'bind') continue;
      binds.push(m.from ? await source(m.from) : x.buildContext.digest([posix.normalize(`/${m.source ?? ''}`)]));
    }
    if (binds.length) inputs.binds = binds;
  }
  if (inst.kind === 'COPY' || inst.kind === 'ADD') {
    const local = inst.sources.filter((src) => !isHTTPSource(src) && !isGitSource(src));
    inputs.sources = inst.kind === 'COPY' && inst.from !== undefined ? await source(inst.from) : x.buildContext.digest(local.flatMap((src) => x.buildContext.select(src)));
  }
  return inputs;
}

/** A step's lines on one line, as progress shows them. */
function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ');
}

/** Run F as STEP: its error is the step's ERROR line, then the build's. */
async function asStep<T>(step: BuildStep, f: (step: BuildStep) => Promise<T>): Promise<T> {
  try {
    return await f(step);
  } catch (e) {
    step.failed(e instanceof Error ? e.message : String(e));
    throw e;
  }
}

/** Run INST, or take what a build before left for the same step (docker's "CACHED"): true on
 * a hit, from this store's cache or from a --cache-from image's inline cache. */
async function cachedStep(ctx: EngineContext, cache: BuildCache, state: StageState, inst: Instruction, x: ExecContext): Promise<boolean> {
  const key = BuildCache.key(state.key, await stepInputs(state, inst, x));
  const hit = cache.get(key) ?? (await inlineHit(ctx, state, inst, key, x));
  let cached = false;
  if (hit) {
    const sameLayers = hit.diffIds.join() === state.config.rootfs.diff_ids.join();
    const image = sameLayers ? state.image : await cache.image(hit, ctx.layerContext());
    if (image) {
      if (!sameLayers) x.made.push(image.id);
      state.image = image;
      state.config = cloneConfig(hit.config);
      state.shell = [...(hit.config.config?.Shell ?? DEFAULT_SHELL)];
      cached = true;
    }
  }
  if (!cached) {
    const before = state.config.history?.length ?? 0;
    await execute(ctx, state, inst, x);
    keepInlineHistory(state, before, x.inline.get(key));
  }
  state.key = key;
  state.steps.push({ key, layers: state.config.rootfs.diff_ids.length, history: state.config.history?.length ?? 0 });
  if (!cached || !cache.get(key)) cache.put(key, { diffIds: state.config.rootfs.diff_ids, config: state.config });
  return cached;
}

/** A --cache-from image that made the same step (same key) over the same layers and history:
 * RUN, COPY and ADD take its layer and history entry instead of running. */
async function inlineHit(ctx: EngineContext, state: StageState, inst: Instruction, key: string, x: ExecContext): Promise<CacheEntry | undefined> {
  const found = x.inline.get(key);
  if (!found || !(inst.kind === 'RUN' || inst.kind === 'COPY' || inst.kind === 'ADD')) return undefined;
  const { config: src, step } = found;
  const ours = state.config.rootfs.diff_ids;
  const history = state.config.history ?? [];
  const srcHistory = src.history ?? [];
  const samePast = src.rootfs.diff_ids.slice(0, ours.length).join() === ours.join() && step.layers >= ours.length && step.history >= history.length;
  if (!samePast) return undefined;
  const config = cloneConfig(state.config);
  config.rootfs = { ...config.rootfs, diff_ids: src.rootfs.diff_ids.slice(0, step.layers) };
  const taken = srcHistory.slice(history.length, step.history);
  config.history = [...history, ...taken];
  // a commit stamps the config with its history entry's time: so did the twin's
  const last = taken[taken.length - 1]?.created;
  if (last !== undefined) config.created = last;
  return { diffIds: config.rootfs.diff_ids, config };
}

/** A step that ran but has a --cache-from twin keeps the twin's history entries (same texts,
 * the twin's times), so a build from the same sources gives the same image ID. */
function keepInlineHistory(state: StageState, before: number, twin: { config: ImageConfig; step: InlineStep } | undefined): void {
  const history = state.config.history ?? [];
  if (!twin || twin.step.history !== history.length) return;
  const theirs = (twin.config.history ?? []).slice(before, twin.step.history);
  const same = theirs.length === history.length - before && theirs.every((h, i) => h.created_by === history[before + i]!.created_by && Boolean(h.empty_layer) === Boolean(history[before + i]!.empty_layer));
  if (same) state.config.history = [...history.slice(0, before), ...theirs];
}

async function execute(ctx: EngineContext, state: StageState, inst: Instruction, x: ExecContext): Promise<void> {
  const workdir = state.config.config?.WorkingDir || '/';
  const history = buildkitCreatedBy(inst, { shell: state.shell, runArgs: state.scope.runArgs(), workdir });
  switch (inst.kind) {
    case 'ENV':
      setConfig(state, (c) => (c.Env = state.scope.configEnv()));
      return emptyHistory(state, history);
    case 'ARG':
      return emptyHistory(state, history);
    case 'LABEL':
      setConfig(state, (c) => (c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(inst.pairs.map((p) => [p.key, p.value])) }));
      return emptyHistory(state, history);
    case 'WORKDIR':
      setConfig(state, (c) => (c.WorkingDir = resolveWorkdir(workdir, inst.path)));
      return workdirStep(ctx, state, history, x);
    case 'USER':
      setConfig(state, (c) => (c.User = inst.user));
      return emptyHistory(state, history);
    case 'CMD':
      setConfig(state, (c) => (c.Cmd = inst.prependShell ? [...state.shell, inst.command.join(' ')] : inst.command));
      return emptyHistory(state, history);
    case 'ENTRYPOINT':
      // docker: a new ENTRYPOINT drops the CMD the base image had
      setConfig(state, (c) => {
        c.Entrypoint = inst.command === null ? null : inst.prependShell ? [...state.shell, inst.command.join(' ')] : inst.command;
        c.Cmd = null;
      });
      return emptyHistory(state, history);
    case 'EXPOSE':
      setConfig(state, (c) => (c.ExposedPorts = { ...(c.ExposedPorts ?? {}), ...Object.fromEntries(inst.ports.map((p) => [p.includes('/') ? p : `${p}/tcp`, {}])) }));
      return emptyHistory(state, history);
    case 'VOLUME':
      setConfig(state, (c) => (c.Volumes = { ...(c.Volumes ?? {}), ...Object.fromEntries(inst.paths.map((p) => [p, {}])) }));
      return emptyHistory(state, history);
    case 'STOPSIGNAL':
      setConfig(state, (c) => (c.StopSignal = inst.signal));
      return emptyHistory(state, history);
    case 'SHELL':
      state.shell = inst.shell;
      setConfig(state, (c) => (c.Shell = inst.shell));
      return emptyHistory(state, history);
    case 'ONBUILD':
      setConfig(state, (c) => (c.OnBuild = [...(c.OnBuild ?? []), inst.expression]));
      return emptyHistory(state, history);
    case 'MAINTAINER':
      state.config.author = inst.maintainer;
      return emptyHistory(state, history);
    case 'HEALTHCHECK':
      setConfig(state, (c) => {
        c.Healthcheck = {
          Test: inst.test,
          ...(inst.interval ? { Interval: inst.interval } : {}),
          ...(inst.timeout ? { Timeout: inst.timeout } : {}),
          ...(inst.startPeriod ? { StartPeriod: inst.startPeriod } : {}),
          ...(inst.startInterval ? { StartInterval: inst.startInterval } : {}),
          ...(inst.retries ? { Retries: inst.retries } : {}),
        };
      });
      return emptyHistory(state, history);
    case 'RUN':
      return runStep(ctx, state, inst, history, x, inst.network === 'none' ? 'none' : inst.network === 'host' ? 'host' : x.network);
    case 'COPY':
      return copyStep(ctx, state, inst, history, x);
    case 'ADD':
      return copyStep(ctx, state, inst, history, x);
  }
}

/** docker: WORKDIR makes its directory when the image lacks it (a layer then, else none). */
async function workdirStep(ctx: EngineContext, state: StageState, createdBy: string | undefined, x: ExecContext): Promise<void> {
  const dir = state.config.config?.WorkingDir || '/';
  const name = `hx-build-${randomBytes(6).toString('hex')}`;
  await createContainerRecord(ctx, { image: state.image.id, command: ['true'], entrypoint: '', name, options: {}, network: { network: 'none' } });
  let made = false;
  try {
    await withRootfs(ctx, findContainer(ctx.store, name), (v) => {
      if (statInRoot({ root: v.root, path: dir }, true)) return;
      mkdirInRoot(v.root, dir, { uid: 0, gid: 0 });
      made = true;
    });
  } catch (e) {
    await removeContainerByRef(ctx, name, { force: true, volumes: true }).catch(() => undefined);
    throw e;
  }
  if (made) return commitStep(ctx, state, name, createdBy, x);
  await removeContainerByRef(ctx, name, { force: true, volumes: true }).catch(() => undefined);
  emptyHistory(state, createdBy);
}

/** A container of the stage's image with the stage's user, environment and working dir. */
function containerOptions(state: StageState, extraEnv: string[] = []): { env: string[]; user?: string; cwd: string } {
  const c = state.config.config ?? {};
  return { env: [...state.scope.configEnv(), ...extraEnv], ...(c.User ? { user: c.User } : {}), cwd: c.WorkingDir || '/' };
}

async function commitStep(ctx: EngineContext, state: StageState, name: string, createdBy: string | undefined, x: ExecContext): Promise<void> {
  try {
    // the stage's config, with the image it ran on described (config-only steps since)
    const base = imageConfigOf(ctx.store, state.image);
    const config: ImageConfig = { ...cloneConfig(state.config), rootfs: base.rootfs };
    const r = await commitContainer(ctx, { container: name, imageConfig: config, createdBy, message: 'buildkit.dockerfile.v0', pause: false });
    state.image = r.image;
    state.config = cloneConfig(imageConfigOf(ctx.store, r.image));
    x.made.push(r.image.id);
  } finally {
    await removeContainerByRef(ctx, name, { force: true, volumes: true }).catch(() => undefined);
  }
}

/** RUN: a foreground container of the stage's image with the stage's config, its mounts
 * (run-mounts.ts, heredoc.ts) on the one mount path containers take, committed when it
 * exits 0; the mount points it had to make are removed before the commit. */
async function runStep(ctx: EngineContext, state: StageState, inst: RunInstruction, createdBy: string | undefined, x: ExecContext, network: string | undefined): Promise<void> {
  const argv = buildkitRunArgs(inst, state.shell);
  const name = buildContainerName();
  // ARGs are the RUN's environment, not the image's; so are the proxies given with --build-arg
  const env = new Set(state.scope.configEnv().map((e) => e.slice(0, e.indexOf('='))));
  const declared = state.scope.runArgs().filter(([k]) => !env.has(k));
  const proxies = PROXY_ARGS.filter((k) => x.buildArgs[k] !== undefined && !env.has(k) && !declared.some(([d]) => d === k)).map((k) => `${k}=${x.buildArgs[k]!}`);
  const temp = ctx.store.tempDir('build-run');
  const workdir = state.config.config?.WorkingDir || '/';
  let release = (): void => undefined;
  try {
    const pipe = heredocPipeMount(inst, temp.path);
    const prepared = await prepareRunMounts(ctx, inst, { context: x.buildContext, workdir, temp: temp.path, secrets: x.secrets, imageFor: (from) => fromImage(x, from, at(inst)) });
    release = prepared.release;
    const mounts: MountRequest[] = [...(pipe ? [pipe] : []), ...prepared.mounts];
    const stubs = prepared.targets.length ? await withImageRoot(ctx, state.image.id, (root) => missingStubs(root, prepared.targets)) : [];
    const opts = { ...containerOptions(state, [...declared.map(([k, v]) => `${k}=${v}`), ...proxies, ...prepared.env]), ...(mounts.length ? { mounts } : {}) };
    const net = { ...(network ? { network } : {}), ...(x.addHost.length ? { addHost: x.addHost } : {}) };
    let code: number;
    try {
      code = await runContainer(ctx, { image: state.image.id, command: argv, entrypoint: '', name, options: opts, imageVolumes: false, ...(Object.keys(net).length ? { network: net } : {}) }, { stdin: null, stdout: x.io.stdout, stderr: x.io.stderr });
    } catch (e) {
      await removeContainerByRef(ctx, name, { force: true, volumes: true }).catch(() => undefined);
      throw wrap(e, `${at(inst)}: RUN`);
    } finally {
      release();
    }
    if (code !== 0) {
      await removeContainerByRef(ctx, name, { force: true, volumes: true }).catch(() => undefined);
      throw new HxError(`${at(inst)}: process "${argv.join(' ')}" did not complete successfully: exit code: ${code}`, { kind: 'invalid-argument', hint: 'the RUN command failed: its output is above' });
    }
    if (stubs.length) {
      try {
        await withContainerRoot(ctx, name, (root) => removeStubs(root, stubs));
      } catch (e) {
        await removeContainerByRef(ctx, name, { force: true, volumes: true }).catch(() => undefined);
        throw e;
      }
    }
    await commitStep(ctx, state, name, createdBy, x);
  } finally {
    release();
    temp.release(true);
  }
}

/** A group of COPY/ADD sources read from one root: the context (or a stage's or image's
 * root), the heredoc files, the URL downloads. */
interface SourceGroup {
  root: string;
  /** The build context, when this group reads it: selected and copied with .dockerignore applied. */
  context?: BuildContext;
  sources: string[];
  /** Downloads and heredocs: never unpacked, never excluded. */
  generated: boolean;
}

/** One matched source: its path in its group's root and the source as written. */
interface Matched {
  group: SourceGroup;
  path: string;
  source: string;
  isDir: boolean;
}

function checkAddForms(inst: AddInstruction): void {
  const git = inst.sources.find((src) => isGitSource(src));
  if (git !== undefined) throw unsupported(`ADD of a git repository (${git})`, inst);
  if (inst.keepGitDir !== undefined) throw unsupported('ADD --keep-git-dir', inst);
}

/** Every source of GROUPS, wildcards expanded, excluded ones dropped; docker's errors for none. */
function matchSources(inst: CopyLike, groups: SourceGroup[]): Matched[] {
  const excluded = excluder(inst.exclude);
  const out: Matched[] = [];
  for (const group of groups) {
    for (const src of group.sources) {
      const paths = group.context ? group.context.select(src) : expandSource(group.root, src);
      const wild = /[*?[]/.test(src);
      if (paths.length === 0 && !wild) throw new HxError(`${at(inst)}: failed to compute cache key: "${src}": not found`, { kind: 'not-found', hint: 'the source must be inside the build context (and not excluded by .dockerignore)' });
      let found = 0;
      for (const path of paths) {
        if (!group.generated && excluded(path.slice(1))) continue;
        const st = statInRoot({ root: group.root, path }, false);
        if (!st) {
          if (wild) continue;
          throw new HxError(`${at(inst)}: failed to compute cache key: "${src}": not found`, { kind: 'not-found', hint: 'the source must be inside the build context (and not excluded by .dockerignore)' });
        }
        found++;
        out.push({ group, path, source: src, isDir: (st.mode & 0o170000) === 0o040000 });
      }
      if (found === 0 && wild) throw new HxError(`${at(inst)}: lstat ${src}: no source files were specified`, { kind: 'not-found', hint: 'nothing in the context matches the pattern' });
    }
  }
  return out;
}

/** docker's destination rules: relative to WORKDIR; a directory when it ends in "/" (or is
 * "."), when several sources are copied, with --parents, or when it is a directory in the
 * image already; else the name a single source is copied under. */
function copyDestination(inst: CopyLike, workdir: string, matched: readonly Matched[], destRoot: string): { dir: string; name?: string } {
  const target = copyTarget(inst, workdir);
  if (target.name === undefined) return target;
  const whole = `${target.dir.replace(/\/$/, '')}/${target.name}`;
  const several = matched.length > 1 || (inst.kind === 'COPY' && inst.parents);
  const st = statInRoot({ root: destRoot, path: whole }, true);
  if (several || (st !== undefined && (st.mode & 0o170000) === 0o040000)) return { dir: whole };
  return target;
}

async function copyStep(ctx: EngineContext, state: StageState, inst: CopyInstruction | AddInstruction, createdBy: string | undefined, x: ExecContext): Promise<void> {
  if (inst.kind === 'ADD') checkAddForms(inst);
  const change = inst.chmod !== undefined ? parseChmod(inst.chmod) : undefined;
  const temp = ctx.store.tempDir('build-copy');
  const name = buildContainerName();
  try {
    // heredoc bodies and downloads are files of a private directory, copied like any source
    const groups: SourceGroup[] = [];
    if (inst.inline.length) groups.push({ root: join(temp.path, 'inline'), sources: writeInlineSources(inst.inline, join(temp.path, 'inline')), generated: true });
    const urls = inst.kind === 'ADD' ? inst.sources.filter((src) => isHTTPSource(src)) : [];
    if (urls.length) {
      const dir = join(temp.path, 'url');
      mkdirSync(dir);
      const names: string[] = [];
      for (const url of urls) names.push(`/${await fetchChecked(url, inst.kind === 'ADD' ? inst.checksum : undefined, dir, at(inst))}`);
      groups.push({ root: dir, sources: names, generated: true });
    }
    const local = inst.sources.filter((src) => !isHTTPSource(src));
    const fromRef = inst.kind === 'COPY' ? inst.from : undefined;
    const fromId = fromRef !== undefined ? (stageByRef(x, fromRef)?.image.id ?? (await x.images.get(fromRef, at(inst))).id) : undefined;
    await createContainerRecord(ctx, { image: state.image.id, command: ['true'], entrypoint: '', name, options: {}, network: { network: 'none' } });
    await withContainerRoot(ctx, name, async (destRoot) => {
      const write = async (srcRoot: string, context?: BuildContext): Promise<void> => {
        const all = [...(local.length ? [{ root: srcRoot, sources: local, generated: false, ...(context ? { context } : {}) }] : []), ...groups];
        await copySources(ctx, inst, all, destRoot, state.config.config?.WorkingDir || '/', change, temp.path);
      };
      if (fromId !== undefined) await withImageRoot(ctx, fromId, write);
      else await write(x.buildContext.root, x.buildContext);
    });
  } catch (e) {
    await removeContainerByRef(ctx, name, { force: true, volumes: true }).catch(() => undefined);
    throw e;
  } finally {
    temp.release(true);
  }
  await commitStep(ctx, state, name, createdBy, x);
}

/** The copy itself, into DEST_ROOT (a created container's root). */
async function copySources(ctx: EngineContext, inst: CopyLike, groups: SourceGroup[], destRoot: string, workdir: string, change: ReturnType<typeof parseChmod> | undefined, scratch: string): Promise<void> {
  const matched = matchSources(inst, groups);
  const target = copyDestination(inst, workdir, matched, destRoot);
  const owner = parseChown(inst.chown, destRoot, inst);
  // docker: what COPY and ADD write is root's unless --chown says otherwise
  const fileOwner = owner ?? { uid: 0, gid: 0 };
  const flags = CopyFlag.XATTRS | CopyFlag.HARDLINKS | CopyFlag.REPLACE;
  const excluded = inst.exclude.length ? excluder(inst.exclude) : undefined;
  mkdirInRoot(destRoot, target.dir, fileOwner);
  let n = 0;
  for (const m of matched) {
    // --parents: the source's directories (below a /./ pivot) are kept under the destination
    const kept = inst.kind === 'COPY' && inst.parents ? parentsPath(m.source, m.path) : '';
    const dir = kept ? posix.join(target.dir, m.isDir ? kept : posix.dirname(kept)) : target.dir;
    if (kept) mkdirInRoot(destRoot, dir, fileOwner);
    const codec = inst.kind === 'ADD' && !m.isDir && !m.group.generated && inst.unpack !== false ? archiveCodecOf(m.group.root, m.path) : undefined;
    if (codec !== undefined) {
      await unpackInto(ctx, m.group.root, m.path, codec, destRoot, dir, owner);
      if (change) chmodTreeInRoot(destRoot, dir, change);
    } else if (m.isDir) {
      // a directory's contents go into the target dir
      const into = !kept && target.name ? `${target.dir.replace(/\/$/, '')}/${target.name}` : dir;
      mkdirInRoot(destRoot, into, fileOwner);
      let from = { root: m.group.root, path: m.path };
      if (excluded && !m.group.generated) from = withoutExcluded(m.group.root, m.path, excluded, join(scratch, `x${n++}`), m.group.context);
      if (m.group.context && from.root === m.group.root) m.group.context.copyDir(m.path, { root: destRoot, path: into }, flags, fileOwner);
      else copyTree(from, { root: destRoot, path: into }, flags, fileOwner);
      if (change) chmodTreeInRoot(destRoot, into, change);
    } else {
      // a file under its own name in the target dir, or under the name given
      const base = m.path.slice(m.path.lastIndexOf('/') + 1);
      const as = !kept && target.name ? target.name : base;
      // buildkit follows a source that is a symlink (FollowSymlinks), inside its root
      copyEntry({ root: m.group.root, path: m.path, follow: true }, { root: destRoot, path: dir, name: as }, flags, fileOwner);
      if (change) chmodTreeInRoot(destRoot, `${dir.replace(/\/$/, '')}/${as}`, change);
    }
  }
}

/** A private copy of directory PATH of ROOT without what --exclude names (its patterns are
 * matched against paths relative to the source root, as buildkit does). */
function withoutExcluded(root: string, path: string, excluded: (p: string) => boolean, into: string, context?: BuildContext): { root: string; path: string } {
  mkdirSync(into);
  const flags = CopyFlag.XATTRS | CopyFlag.HARDLINKS | CopyFlag.REPLACE;
  if (context) context.copyDir(path, { root: '', path: into }, flags);
  else copyTree({ root, path }, { root: '', path: into }, flags);
  const prefix = path.replace(/^\/+/, '').replace(/\/+$/, '');
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(into, rel))) {
      const sub = rel ? `${rel}/${entry}` : entry;
      if (excluded(prefix ? `${prefix}/${sub}` : sub)) rmSync(join(into, sub), { recursive: true, force: true });
      else if (lstatSync(join(into, sub)).isDirectory()) walk(sub);
    }
  };
  walk('');
  return { root: '', path: into };
}

/** ADD of a local archive: unpacked (layer rules: no entry through a symlink, none leaving
 * the directory) into a private dir, then copied into DIR inside the container root. */
async function unpackInto(ctx: EngineContext, srcRoot: string, path: string, codec: NonNullable<ReturnType<typeof archiveCodecOf>>, destRoot: string, dir: string, owner: { uid: number; gid: number } | undefined): Promise<void> {
  const fd = openInRoot(srcRoot, path);
  const t = ctx.store.tempDir('build-add');
  try {
    const out = join(t.path, 'x');
    mkdirSync(out);
    await unpackTar(tarStream(createReadStream('', { fd, autoClose: true }), codec), out, ctx.layerContext());
    mkdirInRoot(destRoot, dir, owner ?? { uid: 0, gid: 0 });
    copyTree({ root: '', path: out }, { root: destRoot, path: dir }, CopyFlag.XATTRS | CopyFlag.HARDLINKS | CopyFlag.REPLACE, owner);
  } finally {
    t.release(true);
  }
}
