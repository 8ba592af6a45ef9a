// The Engine: hx as a library. What the CLI calls, and what the coming Docker Engine API
// server and other tools embed. One instance holds its settings (storage root, runtime
// dir, driver, host mode, the user's environment) and its store; it reads no process
// globals: streams come in as arguments, signal forwarding is the caller's policy.
//
//   import { Engine } from 'hx';
//   const engine = new Engine({ storageRoot: '/tmp/store' });
//   await engine.images.load('busybox.tar');
//   const code = await engine.containers.run({ image: 'busybox', command: ['echo', 'hi'], options: {} },
//                                            { stdin: null, stdout: process.stdout, stderr: process.stderr });
//
// Rootless, a program that uses images or containers must run inside hx's user
// namespace: start it with `hx unshare -- node program.js` (docs/ENGINE-API.md).
import type { Readable, Writable } from 'node:stream';
import { EngineContext, type EngineOptions } from './context.js';
import { runContainer, runDetached, type RunHooks, type RunIO, type RunRequest } from './containers/run.js';
import { createContainerRecord, type CreateRequest, type HealthFlags } from './containers/create.js';
import { startContainer, type StartOptions, type StartResult } from './containers/start.js';
import { killContainer, restartContainer, stopContainer, waitContainer, type StopOptions } from './containers/lifecycle.js';
import { cleanupAfterMonitor, pruneContainers, removeContainerByRef, type RemoveOptions } from './containers/remove.js';
import { listContainers, type ContainerRow, type ListContainersOptions } from './containers/list.js';
import { inspectContainer } from './containers/inspect.js';
import { containerLogs, type LogSink, type LogsOptions } from './containers/logs.js';
import { attachContainer, type AttachOptions, type AttachStreams, type Attachment } from './containers/attach.js';
import { execDetached, execInContainer, runHealthcheck, type ExecRequest } from './containers/exec.js';
import { topContainer, type TopResult } from './containers/top.js';
import { containerPorts, networkHook } from './containers/network.js';
import { renameContainer } from './containers/rename.js';
import { copyFromContainer, copyToContainer, type CopyOptions, type CopyReport } from './containers/cp.js';
import { commitContainer, containerChanges, exportContainer, type CommitRequest, type CommitResult } from './containers/commit.js';
import type { Change } from '../layer/drivers/driver.js';
import type { TreeTarStats } from '../layer/tree-tar.js';
import { pauseContainer, unpauseContainer, updateContainer } from './containers/cgroup-verbs.js';
import { statsSampler, type StatsEntry, type StatsOptions } from './containers/stats.js';
import type { Resources } from './docker-syntax/resources.js';
import type { Filters } from './filters.js';
import type { ContainerRecord } from '../store/store.js';
import { importImage } from './images/import.js';
import { buildImage, type BuildIO, type BuildRequest } from './build/build.js';
import { pruneBuilder, type BuilderPruneResult } from './build/prune.js';
import { imageHistory, inspectImage, type HistoryRow } from './images/inspect.js';
import { listImages, type ImageRow, type ListImagesOptions } from './images/list.js';
import { loadImages, type ArchiveInput, type LoadEvent, type StoreImageEvent } from './images/load.js';
import { saveImages, type SaveFormat } from './images/save.js';
import { removeImages, tagImage, type RmiResult } from './images/tag.js';
import { login, logout, pull, push, type LoginResult, type LogoutResult, type PullOptions, type PullResult, type PushOptions, type RegistryEvent, type RegistryOptions } from './registry.js';
import { benchLayers, benchRun, type BenchHooks, type BenchLayersOptions, type BenchLayersResult, type BenchRunOptions, type BenchRunResult } from './bench.js';
import { hostInfo, type HostInfo } from './system/info.js';
import { checkStore, diskUsage, pruneImages, resetStore, type DiskUsage, type StoreCheck, type VerifyOptions } from './system/store.js';
import { versionInfo, type VersionInfo } from './system/version.js';
import { streamEvents, type EventsOptions } from './system/events.js';
import type { EngineEvent } from '../store/events.js';
import type { ImageRecord } from '../store/store.js';
import { createNetwork, inspectNetwork, listNetworks, pruneNetworks, removeNetwork, type CreateNetworkRequest, type NetworkDocument } from './networks/networks.js';
import { connectContainer, disconnectContainer, type ConnectRequest } from './networks/connect.js';
import type { NetworkRecord } from '../store/store.js';
import { createVolume, inspectVolume, listVolumes, pruneVolumes, removeVolume, type CreateVolumeRequest, type VolumeDocument, type VolumeRecord, type VolumeRow } from './volumes/volumes.js';

export { HxError, type ErrorKind } from '../errors.js';
export { Filters } from './filters.js';
export type { ListImagesOptions };
export type { EngineOptions, RunRequest, RunIO, RunHooks, ImageRow, HistoryRow, RmiResult, LoadEvent, StoreImageEvent, SaveFormat, ArchiveInput };
/** The old name of StoreImageEvent ("commit" now means container commit). */
export type CommitEvent = StoreImageEvent;
export type { PullOptions, PullResult, PushOptions, RegistryEvent, RegistryOptions, LoginResult, LogoutResult, HostInfo, DiskUsage, StoreCheck, VersionInfo, ImageRecord };
export type { BenchHooks, BenchLayersOptions, BenchLayersResult, BenchRunOptions, BenchRunResult };
export type { CreateRequest, HealthFlags, StartOptions, StartResult, StopOptions, RemoveOptions, ContainerRow, ListContainersOptions, LogSink, LogsOptions };
export type { AttachOptions, AttachStreams, Attachment, ExecRequest, TopResult, ContainerRecord };
export type { CopyOptions, CopyReport };
export type { CommitRequest, CommitResult, Change, TreeTarStats, BuildRequest, BuildIO };
export type { StatsEntry, StatsOptions, Resources };
export type { EngineEvent, EventsOptions };
export type { CreateVolumeRequest, VolumeDocument, VolumeRecord, VolumeRow };
export type { CreateNetworkRequest, NetworkDocument, NetworkRecord, ConnectRequest };

type Rest<F> = F extends (ctx: EngineContext, ...rest: infer R) => infer T ? (...rest: R) => T : never;

function bind<F extends (ctx: EngineContext, ...rest: never[]) => unknown>(ctx: EngineContext, f: F): Rest<F> {
  return ((...rest: never[]) => f(ctx, ...rest)) as Rest<F>;
}

export class Engine {
  /** Settings and state shared by every namespace of this engine. */
  readonly context: EngineContext;

  readonly images: {
    /** docker-archive or OCI archive/layout (a path or a stream), all or nothing. */
    load(input: ArchiveInput, onEvent?: (e: LoadEvent | StoreImageEvent) => void): Promise<ImageRecord[]>;
    save(refs: string[], output: string | Writable, format?: SaveFormat): Promise<void>;
    /** `hx build`: a Dockerfile executed into an image (engine/build/build.ts for what it does yet). */
    build(req: BuildRequest, io: BuildIO): Promise<ImageRecord>;
    /** A root filesystem tarball as a one-layer image. */
    import(input: string | Readable, ref: string | undefined, changes: string[], message?: string): Promise<ImageRecord>;
    list(opts?: ListImagesOptions): ImageRow[];
    tag(source: string, target: string): Promise<void>;
    remove(refs: string[], force?: boolean): Promise<RmiResult>;
    inspect(ref: string): Record<string, unknown>;
    history(ref: string): HistoryRow[];
    prune(all?: boolean): Promise<{ deleted: string[]; untagged: string[]; reclaimed: number }>;
  };

  readonly containers: {
    /** Run a container in the foreground; resolves with docker's exit code. */
    run(req: RunRequest, io: RunIO, hooks?: RunHooks): Promise<number>;
    /** `run -d`: create and start under a monitor; the container's ID. */
    runDetached(req: CreateRequest, opts?: Omit<StartOptions, 'claim'>): Promise<{ id: string; warnings: string[] }>;
    create(req: CreateRequest): Promise<{ id: string; name: string; warnings: string[] }>;
    start(ref: string, opts?: StartOptions): Promise<StartResult>;
    stop(ref: string, o?: StopOptions): Promise<ContainerRecord>;
    kill(ref: string, signal?: string): Promise<ContainerRecord>;
    restart(ref: string, o?: StopOptions): Promise<ContainerRecord>;
    /** Block until it stops: its exit code. */
    wait(ref: string): Promise<number>;
    remove(ref: string, o?: RemoveOptions): Promise<ContainerRecord>;
    prune(filters: Filters): Promise<{ deleted: string[] }>;
    list(o?: ListContainersOptions): ContainerRow[];
    inspect(ref: string, o?: { size?: boolean }): Record<string, unknown>;
    logs(ref: string, o: LogsOptions, sink: LogSink): Promise<void>;
    attach(ref: string, io: AttachStreams, o?: AttachOptions): Promise<Attachment>;
    exec(ref: string, req: ExecRequest, io: RunIO, hooks?: RunHooks): Promise<number>;
    execDetached(ref: string, req: ExecRequest): Promise<string>;
    top(ref: string, psArgs: string[]): TopResult;
    rename(ref: string, name: string): Promise<void>;
    /** What the container changed against its image (docker diff). */
    diff(ref: string): Change[];
    /** A new image: the container's image plus a layer of its changes. */
    commit(req: CommitRequest): Promise<CommitResult>;
    /** The container's whole filesystem as one tar. */
    export(ref: string, out: Writable): Promise<TreeTarStats>;
    /** What a container's monitor runs once it is gone for good (unmount, --rm). */
    cleanup(id: string): Promise<void>;
    /** The monitor's health probe: the HEALTHCHECK's exit code. */
    healthcheck(id: string): Promise<number>;
    /** Freeze / thaw every process of a running container (its cgroup's freezer). */
    pause(ref: string): Promise<ContainerRecord>;
    unpause(ref: string): Promise<ContainerRecord>;
    /** New limits (HostConfig's resource fields) for a container, running or not. */
    update(ref: string, resources: Partial<Resources>): Promise<{ record: ContainerRecord; warnings: string[] }>;
    /** Resource usage: call next() about once a second (CPU % is since the last call). */
    stats(refs: string[], o?: StatsOptions): { next(): StatsEntry[] };
    /** The monitor's network hook: connect the namespace of PID (FD: the helper's lifetime pipe). */
    connectNetwork(id: string, pid: number, fd?: number): Promise<void>;
    /** `hx port`: the published ports of a running container ("80/tcp" -> "0.0.0.0:32768"). */
    ports(ref: string, port?: string): Promise<{ key: string; host: string }[]>;
  };

  /** `hx cp`: every container path resolved inside the container's root. */
  readonly copy: {
    /** CTR:SRC to a host path, or as a tar stream to a Writable (docker's `-`). */
    fromContainer(ref: string, src: string, dest: string | Writable, o?: CopyOptions): Promise<CopyReport>;
    /** A host path, or a tar stream from a Readable (unpacked into directory DEST), to CTR:DEST. */
    toContainer(ref: string, src: string | Readable, dest: string, o?: CopyOptions): Promise<CopyReport>;
  };

  readonly builder: {
    /** `hx builder prune [-a]`: cache mounts and dangling step entries (-a: every entry). */
    prune(opts?: { all?: boolean }): BuilderPruneResult;
  };

  readonly volumes: {
    /** A new volume, or the existing one of that name. */
    create(req?: CreateVolumeRequest): Promise<VolumeRecord>;
    inspect(name: string): VolumeDocument;
    list(o?: { filters?: Filters; sizes?: boolean }): VolumeRow[];
    /** Refused while any container uses it (also with FORCE, which forgives a missing volume). */
    remove(name: string, force?: boolean): Promise<void>;
    /** Unused volumes: anonymous ones only unless ALL. */
    prune(o?: { all?: boolean; filters?: Filters }): Promise<{ deleted: string[]; reclaimed: number }>;
  };

  readonly networks: {
    /** A new user-defined bridge network (docker's errors for a taken name or an overlapping subnet). */
    create(req: CreateNetworkRequest): Promise<NetworkRecord>;
    /** docker's NetworkResource of a predefined or user network. */
    inspect(ref: string): NetworkDocument;
    list(o?: { filters?: Filters }): NetworkDocument[];
    /** Refused while a container is on it; FORCE forgives a missing one. */
    remove(ref: string, force?: boolean): Promise<string>;
    /** User networks no container is on: their names. */
    prune(o?: { filters?: Filters }): Promise<{ deleted: string[] }>;
    connect(network: string, container: string, req?: ConnectRequest): Promise<void>;
    disconnect(network: string, container: string, force?: boolean): Promise<void>;
  };

  readonly registry: {
    pull(ref: string, opts?: PullOptions, onEvent?: (e: RegistryEvent) => void): Promise<PullResult>;
    push(source: string, destination: string | undefined, opts?: PushOptions, onEvent?: (e: RegistryEvent) => void): ReturnType<typeof push>;
    login(registry: string, username: string, password: string, opts?: RegistryOptions): Promise<LoginResult>;
    logout(registry: string | undefined, opts?: RegistryOptions): Promise<LogoutResult>;
  };

  readonly system: {
    /** The host as hx sees it, with a fix for every problem (needs no store). */
    info(): HostInfo;
    version(): VersionInfo;
    df(): DiskUsage;
    /** Delete every image, layer, container and volume of the store. */
    reset(): Promise<void>;
    check(opts?: VerifyOptions): Promise<StoreCheck & { root: string }>;
    /** What happened in the store (`hx events`): the past with since, then as it happens until until or the signal. */
    events(opts?: EventsOptions): AsyncGenerator<EngineEvent>;
  };

  readonly bench: {
    layers(o: BenchLayersOptions, hooks?: BenchHooks): Promise<BenchLayersResult>;
    run(o: BenchRunOptions, hooks?: BenchHooks): Promise<BenchRunResult>;
  };

  /** An engine over an existing context (the CLI makes the context first). */
  static from(ctx: EngineContext): Engine {
    return new Engine(ctx);
  }

  constructor(options: EngineOptions | EngineContext = {}) {
    const ctx = options instanceof EngineContext ? options : new EngineContext(options);
    this.context = ctx;
    this.images = {
      load: bind(ctx, loadImages),
      save: bind(ctx, saveImages),
      build: bind(ctx, buildImage),
      import: bind(ctx, importImage),
      list: bind(ctx, listImages),
      tag: bind(ctx, tagImage),
      remove: bind(ctx, removeImages),
      inspect: bind(ctx, inspectImage),
      history: bind(ctx, imageHistory),
      prune: bind(ctx, pruneImages),
    };
    this.containers = {
      run: bind(ctx, runContainer),
      runDetached: bind(ctx, runDetached),
      create: bind(ctx, createContainerRecord),
      start: bind(ctx, startContainer),
      stop: bind(ctx, stopContainer),
      kill: bind(ctx, killContainer),
      restart: bind(ctx, restartContainer),
      wait: bind(ctx, waitContainer),
      remove: bind(ctx, removeContainerByRef),
      prune: bind(ctx, pruneContainers),
      list: bind(ctx, listContainers),
      inspect: bind(ctx, inspectContainer),
      logs: bind(ctx, containerLogs),
      attach: bind(ctx, attachContainer),
      exec: bind(ctx, execInContainer),
      execDetached: bind(ctx, execDetached),
      top: bind(ctx, topContainer),
      rename: bind(ctx, renameContainer),
      diff: bind(ctx, containerChanges),
      commit: bind(ctx, commitContainer),
      export: bind(ctx, exportContainer),
      cleanup: bind(ctx, cleanupAfterMonitor),
      healthcheck: bind(ctx, runHealthcheck),
      pause: bind(ctx, pauseContainer),
      unpause: bind(ctx, unpauseContainer),
      update: bind(ctx, updateContainer),
      stats: bind(ctx, statsSampler),
      connectNetwork: bind(ctx, networkHook),
      ports: bind(ctx, containerPorts),
    };
    this.copy = { fromContainer: bind(ctx, copyFromContainer), toContainer: bind(ctx, copyToContainer) };
    this.volumes = { create: bind(ctx, createVolume), inspect: bind(ctx, inspectVolume), list: bind(ctx, listVolumes), remove: bind(ctx, removeVolume), prune: bind(ctx, pruneVolumes) };
    this.builder = { prune: bind(ctx, pruneBuilder) };
    this.networks = {
      create: bind(ctx, createNetwork),
      inspect: bind(ctx, inspectNetwork),
      list: bind(ctx, listNetworks),
      remove: bind(ctx, removeNetwork),
      prune: bind(ctx, pruneNetworks),
      connect: bind(ctx, connectContainer),
      disconnect: bind(ctx, disconnectContainer),
    };
    this.registry = { pull: bind(ctx, pull), push: bind(ctx, push), login: bind(ctx, login), logout: bind(ctx, logout) };
    this.system = { info: bind(ctx, hostInfo), version: versionInfo, df: bind(ctx, diskUsage), reset: bind(ctx, resetStore), check: bind(ctx, checkStore), events: bind(ctx, streamEvents) };
    this.bench = { layers: bind(ctx, benchLayers), run: bind(ctx, benchRun) };
  }
}
