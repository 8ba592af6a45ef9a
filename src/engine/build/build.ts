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
// Not built yet (each refused with a clear error, never ignored): ADD of
// URLs, git and bzip2 archives, --chmod, heredoc RUN/COPY, RUN --mount, COPY --from an
// image. A FROM image not in the store is pulled (--pull: always). FROM scratch is an
// image of no layers; ADD unpacks local tar archives (plain, gzip, zstd).
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
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
import { decompressor, detectCompression } from '../../layer/decompress.js';
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
import { BuildCache } from './cache.js';
import { BuildContext, openBuildContext } from './context.js';
import { BuildProgress, type BuildStep, type ProgressMode } from './progress.js';
import { runStages } from './scheduler.js';
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
}

function unsupported(what: string, inst: { location: { file: string; line: number } }): HxError {
  return new HxError(`${inst.location.file}:${inst.location.line}: ${what} is not supported by hx build yet`, {
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
  const asDir = inst.destination.endsWith('/') || inst.destination.endsWith('/.') || inst.sources.length > 1;
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

/** Go's filepath.Match for one path segment: * ? [class] (^ or ! negates), \\ escapes. */
function segmentPattern(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) throw new HxError(`syntax error in pattern: ${seg}`, { kind: 'invalid-argument' });
      let cls = seg.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < seg.length) re += `\\${seg[++i]!}`;
    else re += ch.replace(/[.+^${}()|\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
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

/** A local archive ADD unpacks: tar, plain or gzip-, bzip2-, xz- or zstd-compressed (by magic). */
function isArchive(root: string, path: string): boolean {
  let fd: number;
  try {
    fd = openInRoot(root, path);
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(512);
    const n = readSync(fd, head, 0, 512, 0);
    if (n >= 3 && head[0] === 0x1f && head[1] === 0x8b) return true;
    if (n >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return true;
    if (n >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return true;
    if (n >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return true;
    return n >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
  } finally {
    closeSync(fd);
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
  const graph = stageGraph(df, { buildArgs });
  const plan = stagesForTarget(graph, req.target);
  const globals = resolveMetaArgs(df.metaArgs, buildArgs);
  const made: string[] = []; // intermediate images, removed at the end
  const cache = new BuildCache(ctx.store, req.noCache !== true);
  const results = new Map<number, StageState>();
  const progress = new BuildProgress(io.stdout, io.progress ?? 'plain', io.columns);
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
      const x = (step: BuildStep): ExecContext => ({ context, results, stages: df.stages, network: req.network, io: { stdout: step.output, stderr: step.output }, made });
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
    return { image: from.image, config: cloneConfig(from.config), scope: StageScope.inheriting(from.scope), shell: [...from.shell], key: from.key };
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
  const scope = new StageScope({ globals, buildArgs, imageEnv: config.config?.Env ?? [] });
  return { image, config, scope, shell: [...(config.config?.Shell ?? DEFAULT_SHELL)], key: BuildCache.key('', { from: base.name === 'scratch' ? 'scratch' : image.id }) };
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

interface ExecContext {
  context: BuildContext;
  results: Map<number, StageState>;
  stages: Stage[];
  network: string | undefined;
  io: BuildIO;
  made: string[];
}

function setConfig(state: StageState, f: (c: ContainerConfig) => void): void {
  const c = { ...(state.config.config ?? {}) };
  f(c);
  state.config.config = c;
}

/** What a step's result depends on besides the step before it (the cache key's inputs). */
function stepInputs(state: StageState, inst: Instruction, x: ExecContext): unknown {
  const { location: _at, ...what } = inst;
  const inputs: Record<string, unknown> = { what, shell: state.shell };
  if (inst.kind === 'RUN') Object.assign(inputs, { args: state.scope.runArgs(), network: inst.network === 'default' ? x.network ?? '' : inst.network });
  if (inst.kind === 'COPY' || inst.kind === 'ADD') {
    const from = inst.kind === 'COPY' && inst.from !== undefined ? x.stages.findIndex((st, n) => st.name === inst.from!.toLowerCase() || String(n) === inst.from) : -1;
    const local = inst.sources.filter((src) => !(inst.kind === 'ADD' && (isHTTPSource(src) || isGitSource(src))));
    inputs.sources = from >= 0 ? `stage ${x.results.get(from)?.key ?? '?'}` : x.context.digest(local.flatMap((src) => x.context.select(src)));
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

/** Run INST, or take what a build before left for the same step (docker's "CACHED"): true on a hit. */
async function cachedStep(ctx: EngineContext, cache: BuildCache, state: StageState, inst: Instruction, x: ExecContext): Promise<boolean> {
  const key = BuildCache.key(state.key, stepInputs(state, inst, x));
  const hit = cache.get(key);
  if (hit) {
    const sameLayers = hit.diffIds.join() === state.config.rootfs.diff_ids.join();
    const image = sameLayers ? state.image : await cache.image(hit, ctx.layerContext());
    if (image) {
      if (!sameLayers) x.made.push(image.id);
      state.image = image;
      state.config = cloneConfig(hit.config);
      state.shell = [...(hit.config.config?.Shell ?? DEFAULT_SHELL)];
      state.key = key;
      return true;
    }
  }
  await execute(ctx, state, inst, x);
  state.key = key;
  cache.put(key, { diffIds: state.config.rootfs.diff_ids, config: state.config });
  return false;
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
      if (inst.files.length) throw unsupported('RUN with a heredoc', inst);
      if (inst.mounts.length) throw unsupported('RUN --mount', inst);
      return runStep(ctx, state, buildkitRunArgs(inst, state.shell), history, x, inst.network === 'none' ? 'none' : inst.network === 'host' ? 'host' : x.network);
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

async function runStep(ctx: EngineContext, state: StageState, argv: string[], createdBy: string | undefined, x: ExecContext, network: string | undefined): Promise<void> {
  const name = `hx-build-${randomBytes(6).toString('hex')}`;
  // ARGs are the RUN's environment, not the image's
  const env = new Set(state.scope.configEnv().map((e) => e.slice(0, e.indexOf('='))));
  const args = state.scope.runArgs().filter(([k]) => !env.has(k)).map(([k, v]) => `${k}=${v}`);
  const opts = containerOptions(state, args);
  const code = await runContainer(
    ctx,
    {
      image: state.image.id,
      command: argv,
      entrypoint: '',
      name,
      options: opts,
      ...(network ? { network: { network } } : {}),
    },
    { stdin: null, stdout: x.io.stdout, stderr: x.io.stderr },
  );
  if (code !== 0) {
    await removeContainerByRef(ctx, name, { force: true, volumes: true }).catch(() => undefined);
    throw new HxError(`process "${argv.join(' ')}" did not complete successfully: exit code: ${code}`, { kind: 'invalid-argument', hint: 'the RUN command failed: its output is above' });
  }
  await commitStep(ctx, state, name, createdBy, x);
}

async function copyStep(ctx: EngineContext, state: StageState, inst: CopyInstruction | AddInstruction, createdBy: string | undefined, x: ExecContext): Promise<void> {
  if (inst.inline.length) throw unsupported(`${inst.kind} with a heredoc`, inst);
  if (inst.chmod !== undefined) throw unsupported(`${inst.kind} --chmod`, inst);
  if (inst.kind === 'ADD' && inst.sources.some((src) => isHTTPSource(src) || isGitSource(src))) throw unsupported('ADD from a URL or git', inst);
  const target = copyTarget(inst, state.config.config?.WorkingDir || '/');
  let from: StageState | undefined;
  if (inst.kind === 'COPY' && inst.from !== undefined) {
    const i = x.stages.findIndex((st, n) => st.name === inst.from!.toLowerCase() || String(n) === inst.from);
    from = i >= 0 ? x.results.get(i) : undefined;
    if (!from) throw unsupported(`COPY --from=${inst.from} (an image rather than an earlier stage)`, inst);
  }
  const name = `hx-build-${randomBytes(6).toString('hex')}`;
  await createContainerRecord(ctx, { image: state.image.id, command: ['true'], entrypoint: '', name, options: {}, network: { network: 'none' } });
  try {
    const rec = findContainer(ctx.store, name);
    await withRootfs(ctx, rec, async (dest) => {
      const owner = parseChown(inst.chown, dest.root, inst);
      // docker: what COPY and ADD write is root's unless --chown says otherwise
      const fileOwner = owner ?? { uid: 0, gid: 0 };
      mkdirInRoot(dest.root, target.dir, fileOwner);
      const flags = CopyFlag.XATTRS | CopyFlag.HARDLINKS | CopyFlag.REPLACE;
      // the build context is read through its selection (.dockerignore applied); a stage's root as it is
      const copy = async (srcRoot: string, context?: BuildContext): Promise<void> => {
        for (const src of inst.sources) {
          const paths = context ? context.select(src) : expandSource(srcRoot, src);
          if (paths.length === 0) throw new HxError(`${inst.location.file}:${inst.location.line}: lstat ${src}: no source files were specified`, { kind: 'not-found', hint: 'nothing in the context matches the pattern' });
          for (const path of paths) {
            const st = statInRoot({ root: srcRoot, path }, false);
            if (!st) throw new HxError(`${inst.location.file}:${inst.location.line}: failed to compute cache key: "${src}": not found`, { kind: 'not-found', hint: 'the source must be inside the build context (and not excluded by .dockerignore)' });
            const isDir = (st.mode & 0o170000) === 0o040000;
            const into = target.name ? `${target.dir.replace(/\/$/, '')}/${target.name}` : target.dir;
            if (inst.kind === 'ADD' && !isDir && inst.unpack !== false && isArchive(srcRoot, path)) {
              await unpackInto(ctx, srcRoot, path, dest.root, target.dir, owner, inst);
            } else if (isDir) {
              // a directory's contents go into the target dir
              mkdirInRoot(dest.root, into, fileOwner);
              if (context) context.copyDir(path, { root: dest.root, path: into }, flags, fileOwner);
              else copyTree({ root: srcRoot, path }, { root: dest.root, path: into }, flags, fileOwner);
            } else {
              // a file under its own name in the target dir, or under the name given
              copyEntry({ root: srcRoot, path }, { root: dest.root, path: target.dir, name: target.name ?? path.slice(path.lastIndexOf('/') + 1) }, flags, fileOwner);
            }
          }
        }
      };
      if (from) {
        const src = `hx-build-${randomBytes(6).toString('hex')}`;
        await createContainerRecord(ctx, { image: from.image.id, command: ['true'], entrypoint: '', name: src, options: {}, network: { network: 'none' } });
        try {
          await withRootfs(ctx, findContainer(ctx.store, src), (v) => copy(v.root));
        } finally {
          await removeContainerByRef(ctx, src, { force: true, volumes: true }).catch(() => undefined);
        }
      } else await copy(x.context.root, x.context);
    });
  } catch (e) {
    await removeContainerByRef(ctx, name, { force: true, volumes: true }).catch(() => undefined);
    throw e;
  }
  await commitStep(ctx, state, name, createdBy, x);
}

/** ADD of a local archive: unpacked (layer rules: no entry through a symlink, none leaving
 * the directory) into a private dir, then copied into DIR inside the container root. */
async function unpackInto(ctx: EngineContext, srcRoot: string, path: string, destRoot: string, dir: string, owner: { uid: number; gid: number } | undefined, inst: AddInstruction): Promise<void> {
  const fd = openInRoot(srcRoot, path);
  const head = Buffer.alloc(6);
  readSync(fd, head, 0, 6, 0);
  const kind = detectCompression(head);
  if (kind === 'none' && head.subarray(0, 3).toString('latin1') === 'BZh') throw unsupported('ADD of a bzip2 archive', inst);
  const t = ctx.store.tempDir('build-add');
  try {
    const out = join(t.path, 'x');
    mkdirSync(out);
    const input = createReadStream('', { fd, autoClose: true });
    await unpackTar(kind === 'none' ? input : input.pipe(decompressor(kind).stream), out, ctx.layerContext());
    mkdirInRoot(destRoot, dir, owner ?? { uid: 0, gid: 0 });
    copyTree({ root: '', path: out }, { root: destRoot, path: dir }, CopyFlag.XATTRS | CopyFlag.HARDLINKS | CopyFlag.REPLACE, owner);
  } finally {
    t.release(true);
  }
}

