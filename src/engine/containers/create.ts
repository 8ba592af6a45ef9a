// `hx create` (and the first half of `hx run`): an image and docker's flags to a
// container record: the image config merged with the flags, a name (docker's
// adjective_surname when none is given), the settings needed to start it again and
// docker's Config/HostConfig for inspect. Nothing is mounted or started here.
import { randomBytes } from 'node:crypto';
import { mergeRunConfig, type RunConfig } from '../../container/config.js';
import { createContainer, type NewContainer } from '../../container/rootfs.js';
import { prepareVolumes, removeUnusedVolumes } from '../../container/volumes.js';
import { HxError, UsageError } from '../../errors.js';
import type { HealthConfig } from '../../image/config.js';
import { isHelloWorld } from '../../image/hello-name.js';
import { imageConfigOf, resolveImage } from '../../image/resolve.js';
import type { ContainerOptions } from '../../runtime/spec.js';
import type { EngineContext } from '../context.js';
import { containerEvent } from '../events.js';
import { generateName, validateName } from '../docker-syntax/names.js';
import { checkAutoRemove, restartPolicy, type RestartPolicy } from '../docker-syntax/restart.js';
import { parseSignal, signalName } from '../docker-syntax/signals.js';
import { logOptsToMap, validateLogConfig } from '../docker-syntax/logopts.js';
import { dockerDocs, specToRecord, type ContainerSpec } from './spec.js';
import { cgroupSettingsOf, hostConfigResources, type CgroupRequest } from './resources.js';
import { checkNetworkFlags, networkDocs, type NetworkFlags } from './network.js';
import { containerMounts, mountsFrom } from './volumes.js';

/** docker's process and security settings of a container (what `hx run`'s flags give). */
export type RunOptions = Omit<ContainerOptions, 'rootfs' | 'args'>;

/** --health-* flags (durations in nanoseconds); each replaces the image's value. */
export interface HealthFlags {
  cmd?: string;
  interval?: number;
  timeout?: number;
  retries?: number;
  startPeriod?: number;
  startInterval?: number;
  /** --no-healthcheck */
  disable?: boolean;
}

export interface CreateRequest {
  /** An image name or ID. */
  image: string;
  /** Arguments after IMAGE: they replace the image's Cmd. */
  command: string[];
  /** --entrypoint ('' clears the image's). */
  entrypoint?: string | undefined;
  options: RunOptions;
  name?: string | undefined;
  /** --rm: removed when it exits (also if its owner dies). */
  autoRemove?: boolean;
  /** -i: its stdin stays open for attach (a detached container's). */
  openStdin?: boolean;
  /** --restart, docker's syntax: no, always, unless-stopped, on-failure[:N]. */
  restart?: string;
  /** --log-driver (json-file, none) and --log-opt KEY=VALUE. */
  logDriver?: string;
  logOpts?: string[];
  /** --stop-signal (a name or number) and --stop-timeout (seconds). */
  stopSignal?: string;
  stopTimeout?: number;
  /** --label, merged over the image's labels. */
  labels?: Record<string, string>;
  health?: HealthFlags;
  /** Limits (HostConfig's resource fields), --oom-score-adj, --cgroup-parent, --cgroups. */
  cgroup?: CgroupRequest;
  /** --network, -p, -P, --expose, --add-host, --dns* as given. */
  network?: NetworkFlags;
  /** --volumes-from CTR[:ro|rw]: the volume and bind mounts of other containers. */
  volumesFrom?: string[];
  /** false: the image's VOLUMEs get no anonymous volumes (a build's RUN: buildkit mounts
   * none, so what a RUN writes under a VOLUME path stays in the layer). */
  imageVolumes?: boolean;
}

export interface CreatedContainer extends NewContainer {
  spec: ContainerSpec;
  config: RunConfig;
  warnings: string[];
}

/** docker's default stop timeout, seconds. */
export const DEFAULT_STOP_TIMEOUT = 10;

function healthOf(image: HealthConfig | null | undefined, flags: HealthFlags | undefined): HealthConfig | undefined {
  if (flags?.disable) {
    if (flags.cmd) throw new UsageError('--no-healthcheck conflicts with --health-* options', 'drop one of them');
    return { Test: ['NONE'] };
  }
  const h: HealthConfig = { ...(image ?? {}) };
  if (flags?.cmd) h.Test = ['CMD-SHELL', flags.cmd];
  for (const [key, field] of [['interval', 'Interval'], ['timeout', 'Timeout'], ['startPeriod', 'StartPeriod'], ['startInterval', 'StartInterval']] as const) {
    const v = flags?.[key];
    if (v === undefined) continue;
    if (v < 0) throw new UsageError(`--health-${key === 'startPeriod' ? 'start-period' : key === 'startInterval' ? 'start-interval' : key} cannot be negative`);
    if (v !== 0 && v < 1_000_000) throw new UsageError(`Interval in Healthcheck cannot be less than 1ms`, 'use a duration of at least 1ms, e.g. 30s');
    h[field] = v;
  }
  if (flags?.retries !== undefined) {
    if (flags.retries < 0) throw new UsageError('--health-retries cannot be negative');
    h.Retries = flags.retries;
  }
  return h.Test && h.Test.length ? h : undefined;
}

function logSettings(driver: string | undefined, opts: string[] | undefined): ContainerSpec['log'] {
  const name = driver || 'json-file';
  const parsed = validateLogConfig(name, logOptsToMap(opts ?? []));
  return { driver: name, maxSize: parsed && parsed.maxSize > 0 ? parsed.maxSize : 0, maxFiles: parsed?.maxFiles ?? 1 };
}

/** Create the record of a new container of REQ.image, owned by this command (release the
 * claim when the container is not started now). Its volumes are made and the record written
 * under one store lock, so no `volume rm` slips in between. */
export async function createFromImage(ctx: EngineContext, req: CreateRequest): Promise<CreatedContainer> {
  return ctx.store.locked(() => createLocked(ctx, req));
}

async function createLocked(ctx: EngineContext, req: CreateRequest): Promise<CreatedContainer> {
  const store = ctx.store;
  const restart: RestartPolicy = restartPolicy(req.restart ?? 'no');
  checkAutoRemove(restart, req.autoRemove ?? false);
  const log = logSettings(req.logDriver, req.logOpts);
  const cgroup = cgroupSettingsOf(ctx.mode, req.cgroup);
  const explicitName = req.name !== undefined && req.name !== '' ? validateName(req.name) : undefined;
  if (isHelloWorld(req.image)) {
    const { ensureHelloWorld } = await import('../../image/hello.js');
    await ensureHelloWorld(store, ctx.layerContext());
  }
  const image = resolveImage(store, req.image);
  const imageConfig = imageConfigOf(store, image);
  const config = mergeRunConfig(imageConfig, {
    entrypoint: req.entrypoint,
    cmd: req.command,
    env: req.options.env ?? [],
    workdir: req.options.cwd,
    user: req.options.user,
  });
  const stopSignal = parseSignal(req.stopSignal ?? config.stopSignal);
  if (req.stopTimeout !== undefined && !Number.isInteger(req.stopTimeout)) throw new UsageError(`invalid --stop-timeout ${req.stopTimeout}`, 'give whole seconds');
  const health = healthOf(imageConfig.config?.Healthcheck, req.health);
  const id = randomBytes(32).toString('hex');
  const imageExposed = Object.keys(imageConfig.config?.ExposedPorts ?? {});
  const network = checkNetworkFlags(ctx, { ...req.network, network: req.network?.network ?? req.options.network }, imageExposed);
  // after every check that can refuse: prepareVolumes makes the volumes that do not exist yet
  if (network.request.mode === 'container' && req.options.hostname !== undefined) throw new HxError('conflicting options: hostname and the network mode', { kind: 'invalid-argument', hint: 'drop -h: the container has the hostname of the one whose network it shares' });
  const declaredVolumes = req.imageVolumes === false ? [] : config.volumes;
  const volumes = prepareVolumes(store, containerMounts(req.options.mounts ?? [], mountsFrom(store, req.volumesFrom ?? []), declaredVolumes));
  const hostname = req.options.hostname ?? network.hostname ?? (network.request.mode === 'host' ? undefined : id.slice(0, 12));
  const options: ContainerSpec['options'] = {
    ...req.options,
    network: network.request.mode,
    ...(config.user ? { user: config.user } : {}),
    ...(hostname !== undefined ? { hostname } : {}),
    args: config.args,
    env: config.env,
    cwd: config.cwd,
    mounts: volumes.mounts,
  };
  const spec: ContainerSpec = {
    options,
    imageVolumes: declaredVolumes,
    tty: req.options.tty ?? false,
    openStdin: req.openStdin ?? false,
    stopSignal,
    stopTimeout: req.stopTimeout ?? DEFAULT_STOP_TIMEOUT,
    restart,
    log,
    ...(health ? { health } : {}),
    cgroup: cgroup.settings,
    network: network.request,
  };
  const labels = { ...config.labels, ...(req.labels ?? {}) };
  const docs = dockerDocs(spec, {
    image: req.image,
    hostname: hostname ?? '',
    labels,
    autoRemove: req.autoRemove ?? false,
    entrypoint: config.entrypoint,
    cmd: config.cmd,
    healthcheck: health,
    volumesFrom: req.volumesFrom,
  });
  const netDocs = networkDocs(network, req.network?.publishAll ?? false);
  Object.assign(docs.config, netDocs.config);
  Object.assign(docs.hostConfig, netDocs.hostConfig);
  let created: NewContainer;
  try {
    created = await createContainer(ctx, image, {
      id,
      ...(explicitName !== undefined ? { name: explicitName } : {}),
      pickName: (taken) => generateName(id, taken),
      imageRef: req.image,
      autoRemove: req.autoRemove ?? false,
      spec: specToRecord(spec),
      config: docs.config,
      hostConfig: { ...docs.hostConfig, ...hostConfigResources(cgroup.settings) },
    });
  } catch (e) {
    removeUnusedVolumes(store, volumes.created);
    throw e;
  }
  containerEvent(store, created.record, 'create');
  const warnings: string[] = [...cgroup.warnings, ...network.warnings];
  if (signalName(stopSignal) === undefined) warnings.push(`stop signal ${stopSignal} has no name on this platform`);
  return { ...created, spec, config, warnings };
}


/** `hx create`: the record only; nobody owns a created container. */
export async function createContainerRecord(ctx: EngineContext, req: CreateRequest): Promise<{ id: string; name: string; warnings: string[] }> {
  const c = await createFromImage(ctx, req);
  c.claim.release();
  return { id: c.record.id, name: c.record.name, warnings: c.warnings };
}
