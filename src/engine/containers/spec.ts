// A container's settings as the record keeps them: what hx needs to start it again (the
// runtime options, with their bigints as strings), and docker's Config and HostConfig
// documents as `docker inspect` shows them.
import { HxError } from '../../errors.js';
import type { CgroupSettings } from '../../container/cgroup.js';
import type { HealthConfig } from '../../image/config.js';
import type { NetworkRequest } from '../../net/types.js';
import type { VolumeMountRequest } from '../../runtime/mounts.js';
import type { ContainerOptions } from '../../runtime/spec.js';
import type { RestartPolicy } from '../docker-syntax/restart.js';

/** What `hx create`/`run -d` keep to start the container again (and to exec into it). */
export interface ContainerSpec {
  options: Omit<ContainerOptions, 'rootfs'>;
  /** The image's VOLUMEs that got anonymous volumes (inside the container). */
  imageVolumes: string[];
  tty: boolean;
  openStdin: boolean;
  stopSignal: number;
  stopTimeout: number;
  restart: RestartPolicy;
  log: { driver: string; maxSize: number; maxFiles: number };
  /** The image's HEALTHCHECK with the --health-* flags over it (Test ["NONE"]: disabled). */
  health?: HealthConfig;
  /** Limits and the cgroup choice (absent in records of hx before cgroups: no cgroup). */
  cgroup?: CgroupSettings;
  /** --network, -p/-P, --add-host, --dns* (records made before networking have none). */
  network?: NetworkRequest;
}

type Json = Record<string, unknown>;

/** bigint values (rlimits) become strings tagged "bigint:N", and back. */
function toJson(v: unknown): unknown {
  if (typeof v === 'bigint') return `bigint:${v.toString()}`;
  if (Array.isArray(v)) return v.map(toJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Json).map(([k, x]) => [k, toJson(x)]));
  return v;
}

function fromJson(v: unknown): unknown {
  if (typeof v === 'string' && v.startsWith('bigint:')) return BigInt(v.slice(7));
  if (Array.isArray(v)) return v.map(fromJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Json).map(([k, x]) => [k, fromJson(x)]));
  return v;
}

export function specToRecord(spec: ContainerSpec): Json {
  return toJson(spec) as Json;
}

export function specFromRecord(raw: Json | undefined): ContainerSpec | undefined {
  return raw ? (fromJson(raw) as ContainerSpec) : undefined;
}

export interface DockerDocs {
  config: Json;
  hostConfig: Json;
}

/** docker's Config and HostConfig (the fields docker fills from run's flags). */
export function dockerDocs(spec: ContainerSpec, o: { image: string; hostname: string; labels: Record<string, string>; autoRemove: boolean; entrypoint: string[]; cmd: string[]; healthcheck?: Json | undefined; volumesFrom?: string[] | undefined }): DockerDocs {
  const opt = spec.options;
  const mounts = opt.mounts ?? [];
  const volumes = mounts.filter((m): m is VolumeMountRequest => m.type === 'volume');
  // -v NAME:/path is a Bind to docker, -v /path a Config.Volumes entry, --mount a HostConfig.Mounts entry
  const binds = [
    ...mounts.flatMap((m) => (m.type === 'bind' && !spec.imageVolumes.includes(m.target) ? [`${m.source}:${m.target}${m.readonly ? ':ro' : ''}`] : [])),
    ...volumes.filter((v) => v.origin === 'bind-flag' && !v.anonymous).map((v) => `${v.name}:${v.target}${v.mode ? `:${v.mode}` : ''}`),
  ];
  const configVolumes = [...new Set([...spec.imageVolumes, ...volumes.filter((v) => v.origin === 'bind-flag' && v.anonymous).map((v) => v.target)])];
  const mountDocs = volumes
    .filter((v) => v.origin === 'mount-flag')
    .map((v) => {
      const options = { ...(v.nocopy ? { NoCopy: true } : {}), ...(v.labels ? { Labels: v.labels } : {}), ...(v.driverOptions ? { DriverConfig: { Name: 'local', Options: v.driverOptions } } : {}) };
      return { Type: 'volume', ...(v.anonymous ? {} : { Source: v.name }), Target: v.target, ...(v.readonly ? { ReadOnly: true } : {}), ...(Object.keys(options).length ? { VolumeOptions: options } : {}) };
    });
  const config: Json = {
    Hostname: o.hostname,
    Domainname: '',
    User: opt.user ?? '',
    AttachStdin: false,
    AttachStdout: !spec.openStdin,
    AttachStderr: !spec.openStdin,
    Tty: spec.tty,
    OpenStdin: spec.openStdin,
    StdinOnce: false,
    Env: opt.env ?? [],
    Cmd: o.cmd,
    Image: o.image,
    Volumes: configVolumes.length ? Object.fromEntries(configVolumes.map((v) => [v, {}])) : null,
    WorkingDir: opt.cwd && opt.cwd !== '/' ? opt.cwd : '',
    Entrypoint: o.entrypoint.length ? o.entrypoint : null,
    OnBuild: null,
    Labels: o.labels,
    StopSignal: String(spec.stopSignal),
    ...(o.healthcheck ? { Healthcheck: o.healthcheck } : {}),
  };
  const hostConfig: Json = {
    Binds: binds.length ? binds : null,
    ...(mountDocs.length ? { Mounts: mountDocs } : {}),
    VolumesFrom: o.volumesFrom?.length ? o.volumesFrom : null,
    LogConfig: { Type: spec.log.driver, Config: { ...(spec.log.maxSize ? { 'max-size': String(spec.log.maxSize) } : {}), ...(spec.log.maxFiles > 1 ? { 'max-file': String(spec.log.maxFiles) } : {}) } },
    NetworkMode: opt.network ?? 'none',
    RestartPolicy: spec.restart,
    AutoRemove: o.autoRemove,
    CapAdd: opt.capAdd?.length ? opt.capAdd : null,
    CapDrop: opt.capDrop?.length ? opt.capDrop : null,
    GroupAdd: opt.groupAdd?.length ? opt.groupAdd : null,
    Privileged: opt.privileged ?? false,
    ReadonlyRootfs: opt.readOnly ?? false,
    SecurityOpt: [
      ...(opt.seccomp === 'unconfined' ? ['seccomp=unconfined'] : typeof opt.seccomp === 'object' ? [`seccomp=${opt.seccomp.path}`] : []),
      ...(opt.noNewPrivileges ? ['no-new-privileges'] : []),
    ],
    Init: opt.init ?? false,
    CgroupnsMode: opt.cgroupns ?? 'private',
    Ulimits: (opt.ulimits ?? []).map((u) => ({ Name: u.name, Soft: Number(u.soft), Hard: Number(u.hard) })),
    Tmpfs: Object.fromEntries((opt.mounts ?? []).filter((m) => m.type === 'tmpfs').map((m) => [m.target, m.type === 'tmpfs' ? m.data : ''])),
  };
  return { config, hostConfig };
}

/** A container's settings, as `hx create` or `hx run` recorded them. */
export function containerSpecOf(raw: Record<string, unknown> | undefined, id: string): ContainerSpec {
  const spec = specFromRecord(raw);
  if (!spec) throw new HxError(`container ${id.slice(0, 12)} was made by an older hx and cannot be started`, { kind: 'data', hint: `remove it: hx rm ${id.slice(0, 12)}` });
  return spec;
}
