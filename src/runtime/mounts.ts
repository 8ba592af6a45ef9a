// Mounts of a container: docker's -v / --mount / --tmpfs syntax, the default filesystems
// (/proc, /dev, /sys, ...), masked and read-only paths, all turned into the ordered list
// of mount operations the C child performs inside the new mount namespace.
import { posix } from 'node:path';
import { ContainerConfigError } from './run-errors.js';

export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  REC: 16384,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  STRICTATIME: 1 << 24,
} as const;

/** Kinds and bits of native/lib/spawn.h (HX_MNT_*, HX_MNTF_*). */
export const MountKind = { MOUNT: 1, SYMLINK: 2, MASK: 3, READONLY: 4, MKDIR: 5 } as const;
export const MountBits = { FILE: 1, OPTIONAL: 2, SYSFS: 4, NOCREATE: 8, RRO: 16, RRO_REQUIRED: 32 } as const;

/** One operation for the child, in order. Targets are paths inside the container. */
export interface MountOp {
  kind: number;
  flags: number;
  bits: number;
  source: string;
  target: string;
  fstype: string;
  data: string;
}

export type Propagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

/** A mount the user asked for (-v, --mount, --tmpfs). */
export type MountRequest =
  | {
      type: 'bind';
      source: string;
      target: string;
      readonly: boolean;
      propagation: Propagation;
      recursive: boolean;
      /** How a read-only recursive bind treats the mounts below it (docker 25's bind-recursive):
       * absent: read-only too where the kernel can (mount_setattr, 5.12+); 'off': only the top
       * (bind-recursive=writable); 'required': read-only too, or fail (bind-recursive=readonly). */
      submountsReadonly?: 'off' | 'required';
    }
  | { type: 'tmpfs'; target: string; flags: number; data: string }
  | VolumeMountRequest;

/** A volume of the volume store mounted at TARGET: named, or anonymous (NAME '' until the
 * container is created, then a 64-hex name). The engine turns it into a bind mount of the
 * volume's data (container/volumes.ts) before anything reaches the plan. */
export interface VolumeMountRequest {
  type: 'volume';
  name: string;
  target: string;
  readonly: boolean;
  /** -v NAME:/p:nocopy, --mount volume-nocopy: no copy-up of the image's files. */
  nocopy: boolean;
  /** --mount volume-opt=K=V and volume-label=K=V: for a volume this mount creates. */
  driverOptions?: Record<string, string>;
  labels?: Record<string, string>;
  /** Where the request came from: -v (docker's HostConfig.Binds), --mount, the image's VOLUME, --volumes-from. */
  origin: 'bind-flag' | 'mount-flag' | 'image' | 'volumes-from';
  /** -v's mode field as given ('' when none): inspect's Mode. */
  mode: string;
  /** Set when the container's record is made: NAME was generated (an anonymous volume). */
  anonymous?: boolean;
}

/** docker's rule for local volume names (moby volume/local: restrictedNamePattern). */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The daemon's refusal of a volume name (moby local.Root.validateName, behind OpErr "create NAME"),
 * or undefined when NAME is valid. */
export function volumeNameError(name: string): string | undefined {
  if (name.length === 1) return `create ${name}: volume name is too short, names should be at least two alphanumeric characters`;
  if (!VOLUME_NAME.test(name)) {
    return `create ${name}: ${JSON.stringify(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`;
  }
  return undefined;
}

function checkVolumeName(name: string): string {
  const err = volumeNameError(name);
  if (err) throw new ContainerConfigError(err, 'a host directory needs an absolute path (-v "$PWD/dir:/path"); a volume name is letters, digits and _.-');
  return name;
}

function containerPath(target: string, flag: string): string {
  if (!target) throw new ContainerConfigError(`${flag}: the container path is empty`);
  if (!target.startsWith('/')) throw new ContainerConfigError(`${flag}: invalid mount path ${JSON.stringify(target)}: must be absolute`);
  const clean = posix.normalize(target).replace(/\/+$/, '') || '/';
  if (clean === '/') throw new ContainerConfigError(`${flag}: invalid mount config: destination can't be '/'`);
  return clean;
}

const PROPAGATIONS: readonly string[] = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];

const VOLUME_MODES = new Set(['ro', 'rw', 'nocopy', 'z', 'Z', 'consistent', 'cached', 'delegated', ...PROPAGATIONS]);

/**
 * `-v [SOURCE:]CONTAINER[:OPTIONS]` (moby volume/mounts linux_parser): SOURCE absolute is a
 * bind mount, else a volume name; no SOURCE is an anonymous volume. CWD, when given, makes
 * a SOURCE starting with "." absolute as docker's CLI does (`-v ./data:/data`).
 */
export function parseVolumeFlag(spec: string, cwd?: string): MountRequest {
  const parts = spec.split(':');
  const invalid = (): ContainerConfigError => new ContainerConfigError(`invalid volume specification: '${spec}'`, 'use -v /host/path:/container/path[:ro], -v NAME:/container/path or -v /container/path');
  if (parts.length > 3 || parts.some((p) => p === '')) throw invalid();
  if (parts.length === 1) return { type: 'volume', name: '', target: containerPath(spec, '-v'), readonly: false, nocopy: false, origin: 'bind-flag', mode: '' };
  if (parts.length === 2 && VOLUME_MODES.has(parts[1]!)) throw invalid(); // volumes cannot include a mode: /foo:rw
  let [source, target, options = ''] = parts as [string, string, string?];
  if (cwd !== undefined && source.startsWith('.')) source = posix.resolve(cwd, source);
  let readonly = false;
  let nocopy = false;
  let propagation: Propagation = 'rprivate';
  for (const opt of options.split(',').filter(Boolean)) {
    if (opt === 'ro') readonly = true;
    else if (opt === 'rw') readonly = false;
    else if (opt === 'nocopy') nocopy = true;
    else if (PROPAGATIONS.includes(opt)) propagation = opt as Propagation;
    else if (['z', 'Z', 'consistent', 'cached', 'delegated'].includes(opt)) continue; // no SELinux relabel
    else throw new ContainerConfigError(`invalid mode: ${opt}`, 'options are ro, rw, nocopy and a propagation (rprivate, rslave, rshared, ...)');
  }
  const dest = containerPath(target, '-v'); // the spec first, the daemon's name rule after (as docker)
  if (!source.startsWith('/')) return { type: 'volume', name: checkVolumeName(source), target: dest, readonly, nocopy, origin: 'bind-flag', mode: options };
  return { type: 'bind', source: posix.normalize(source), target: dest, readonly, propagation, recursive: true };
}

function truthy(value: string | undefined, key: string): boolean {
  if (value === undefined || value === '' || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ContainerConfigError(`--mount: invalid value for ${key}: ${JSON.stringify(value)}`, 'use true or false');
}

/** `--mount type=bind|tmpfs,source=...,target=...,readonly,...` */
export function parseMountFlag(spec: string): MountRequest {
  const fields = new Map<string, string | undefined>();
  // volume-opt and volume-label repeat: each value is KEY=VALUE
  const repeated: Record<'volume-opt' | 'volume-label', Record<string, string>> = { 'volume-opt': {}, 'volume-label': {} };
  for (const part of spec.split(',')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    fields.set(key, eq < 0 ? undefined : part.slice(eq + 1));
    if (key === 'volume-opt' || key === 'volume-label') {
      const kv = eq < 0 ? '' : part.slice(eq + 1);
      const e2 = kv.indexOf('=');
      if (key === 'volume-opt' && e2 < 0) throw new ContainerConfigError(`--mount ${spec}: invalid field '${part}' must be a key=value pair`);
      repeated[key][e2 < 0 ? kv : kv.slice(0, e2)] = e2 < 0 ? '' : kv.slice(e2 + 1);
    }
  }
  const type = fields.get('type') ?? 'volume';
  const target = fields.get('target') ?? fields.get('destination') ?? fields.get('dst');
  if (!target) throw new ContainerConfigError(`--mount ${spec}: target is required`, 'add target=/path/in/container');
  const readonly = fields.has('readonly') ? truthy(fields.get('readonly'), 'readonly') : fields.has('ro') ? truthy(fields.get('ro'), 'ro') : false;
  const known = new Set(['type', 'source', 'src', 'target', 'destination', 'dst', 'readonly', 'ro', 'consistency']);
  if (type === 'bind') {
    for (const k of ['bind-propagation', 'bind-nonrecursive', 'bind-recursive', 'readonly-non-recursive']) known.add(k);
    const source = fields.get('source') ?? fields.get('src');
    if (!source) throw new ContainerConfigError(`--mount ${spec}: source is required for a bind mount`, 'add source=/host/path');
    if (!source.startsWith('/')) throw new ContainerConfigError(`--mount ${spec}: invalid mount config for type "bind": invalid mount path: '${source}' mount path must be absolute`);
    const prop = fields.get('bind-propagation') ?? 'rprivate';
    if (!PROPAGATIONS.includes(prop)) throw new ContainerConfigError(`--mount ${spec}: invalid propagation mode: ${prop}`, 'use one of ' + PROPAGATIONS.join(', '));
    let nonrecursive = fields.has('bind-nonrecursive') && truthy(fields.get('bind-nonrecursive'), 'bind-nonrecursive');
    let submounts: 'off' | 'required' | undefined = fields.has('readonly-non-recursive') && truthy(fields.get('readonly-non-recursive'), 'readonly-non-recursive') ? 'off' : undefined;
    const rec = fields.get('bind-recursive');
    if (rec !== undefined) {
      // docker 25: enabled (default) | disabled | writable | readonly
      if (rec === 'disabled') nonrecursive = true;
      else if (rec === 'writable') submounts = 'off';
      else if (rec === 'readonly') {
        if (!readonly) throw new ContainerConfigError(`--mount ${spec}: option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction`);
        submounts = 'required';
      } else if (rec !== 'enabled') throw new ContainerConfigError(`--mount ${spec}: invalid value for bind-recursive: ${JSON.stringify(rec)}`, 'use enabled, disabled, writable or readonly');
    }
    checkKnown(fields, known, spec);
    const req: MountRequest = { type: 'bind', source: posix.normalize(source), target: containerPath(target, '--mount'), readonly, propagation: prop as Propagation, recursive: !nonrecursive };
    if (submounts && readonly && !nonrecursive) req.submountsReadonly = submounts;
    return req;
  }
  if (type === 'tmpfs') {
    known.add('tmpfs-size');
    known.add('tmpfs-mode');
    checkKnown(fields, known, spec);
    if (fields.has('source') || fields.has('src')) throw new ContainerConfigError(`--mount ${spec}: invalid mount config for type "tmpfs": source must not be specified`);
    const data: string[] = [];
    const size = fields.get('tmpfs-size');
    if (size !== undefined) {
      if (!/^[0-9]+[kmgKMG]?$/.test(size)) throw new ContainerConfigError(`--mount ${spec}: invalid tmpfs-size ${JSON.stringify(size)}`);
      data.push(`size=${size.toLowerCase()}`);
    }
    const mode = fields.get('tmpfs-mode');
    if (mode !== undefined) {
      if (!/^[0-7]{1,4}$/.test(mode)) throw new ContainerConfigError(`--mount ${spec}: invalid tmpfs-mode ${JSON.stringify(mode)}`, 'give octal permissions, e.g. 1777');
      data.push(`mode=${mode}`);
    }
    return { type: 'tmpfs', target: containerPath(target, '--mount'), flags: MS.NOSUID | MS.NODEV | (readonly ? MS.RDONLY : 0), data: data.join(',') };
  }
  if (type === 'volume') {
    for (const k of ['volume-nocopy', 'volume-opt', 'volume-label', 'volume-driver']) known.add(k);
    checkKnown(fields, known, spec);
    const driver = fields.get('volume-driver');
    if (driver !== undefined && driver !== 'local') throw new ContainerConfigError(`--mount ${spec}: volume driver ${JSON.stringify(driver)} is not available`, 'hx has the local driver only');
    const source = fields.get('source') ?? fields.get('src') ?? '';
    const dest = containerPath(target, '--mount');
    const req: VolumeMountRequest = {
      type: 'volume',
      name: source === '' ? '' : checkVolumeName(source),
      target: dest,
      readonly,
      nocopy: fields.has('volume-nocopy') && truthy(fields.get('volume-nocopy'), 'volume-nocopy'),
      origin: 'mount-flag',
      mode: '',
    };
    if (Object.keys(repeated['volume-opt']).length) req.driverOptions = repeated['volume-opt'];
    if (Object.keys(repeated['volume-label']).length) req.labels = repeated['volume-label'];
    return req;
  }
  throw new ContainerConfigError(`--mount ${spec}: unknown mount type ${JSON.stringify(type)}`, 'use type=bind, type=volume or type=tmpfs');
}

function checkKnown(fields: Map<string, string | undefined>, known: Set<string>, spec: string): void {
  for (const k of fields.keys()) if (!known.has(k)) throw new ContainerConfigError(`--mount ${spec}: unexpected key ${JSON.stringify(k)}`);
}

/** mount(8)-style option words that are flags rather than filesystem data. */
const FLAG_OPTIONS: Record<string, [set: number, clear: number]> = {
  ro: [MS.RDONLY, 0], rw: [0, MS.RDONLY],
  nosuid: [MS.NOSUID, 0], suid: [0, MS.NOSUID],
  nodev: [MS.NODEV, 0], dev: [0, MS.NODEV],
  noexec: [MS.NOEXEC, 0], exec: [0, MS.NOEXEC],
  sync: [MS.SYNCHRONOUS, 0], async: [0, MS.SYNCHRONOUS],
  dirsync: [MS.DIRSYNC, 0],
  noatime: [MS.NOATIME, 0], atime: [0, MS.NOATIME],
  nodiratime: [MS.NODIRATIME, 0], diratime: [0, MS.NODIRATIME],
  relatime: [MS.RELATIME, 0], norelatime: [0, MS.RELATIME],
  strictatime: [MS.STRICTATIME, 0],
};

const TMPFS_DATA_KEYS = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'huge', 'mpol']);

/** `--tmpfs /path[:opts]`: docker's defaults are noexec,nosuid,nodev. */
export function parseTmpfsFlag(spec: string): MountRequest {
  const colon = spec.indexOf(':');
  const target = containerPath(colon < 0 ? spec : spec.slice(0, colon), '--tmpfs');
  let flags: number = MS.NOEXEC | MS.NOSUID | MS.NODEV;
  const data: string[] = [];
  for (const opt of (colon < 0 ? '' : spec.slice(colon + 1)).split(',').filter(Boolean)) {
    const f = FLAG_OPTIONS[opt];
    if (f) {
      flags = (flags | f[0]) & ~f[1];
      continue;
    }
    const key = opt.split('=')[0]!;
    if (!TMPFS_DATA_KEYS.has(key) || !opt.includes('=')) throw new ContainerConfigError(`--tmpfs ${spec}: unknown option ${JSON.stringify(opt)}`, 'e.g. --tmpfs /run:rw,size=64m,mode=1777');
    data.push(opt);
  }
  return { type: 'tmpfs', target, flags, data: data.join(',') };
}

const PROPAGATION_FLAGS: Record<Propagation, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
};

export function requestToOp(m: MountRequest): MountOp {
  if (m.type === 'volume') throw new ContainerConfigError(`volume mount at ${m.target} was not resolved to its data directory`); // a bug: container/volumes.ts resolves them
  if (m.type === 'bind') {
    const flags = MS.BIND | (m.recursive ? MS.REC : 0) | (m.readonly ? MS.RDONLY : 0) | PROPAGATION_FLAGS[m.propagation];
    let bits = 0;
    if (m.readonly && m.recursive && m.submountsReadonly !== 'off') bits |= MountBits.RRO | (m.submountsReadonly === 'required' ? MountBits.RRO_REQUIRED : 0);
    return { kind: MountKind.MOUNT, flags, bits, source: m.source, target: m.target, fstype: '', data: '' };
  }
  return { kind: MountKind.MOUNT, flags: m.flags, bits: 0, source: 'tmpfs', target: m.target, fstype: 'tmpfs', data: m.data };
}

/** Docker's masked paths (moby oci/defaults.go). */
export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

/** Docker's read-only paths. */
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Device nodes bind-mounted from the host (device nodes cannot be made rootless). */
export const DEVICES = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty'];

export interface DefaultMountOptions {
  /** Mount devpts with gid=5 (only when gid 5 is mapped in the user namespace). */
  ttyGroup: boolean;
  privileged: boolean;
  /** Path on the host of the --init binary, bound at /dev/init. */
  initBinary?: string | undefined;
}

function op(kind: number, target: string, extra: Partial<MountOp> = {}): MountOp {
  return { kind, flags: 0, bits: 0, source: '', fstype: '', data: '', target, ...extra };
}

/** The filesystems every container gets, in mount order (runc's defaults for docker). */
export function defaultMounts(o: DefaultMountOptions): MountOp[] {
  const { NOSUID, NODEV, NOEXEC, RDONLY, STRICTATIME, BIND } = MS;
  const ops: MountOp[] = [
    op(MountKind.MOUNT, '/proc', { source: 'proc', fstype: 'proc', flags: NOSUID | NODEV | NOEXEC }),
    op(MountKind.MOUNT, '/dev', { source: 'tmpfs', fstype: 'tmpfs', flags: NOSUID | STRICTATIME, data: 'mode=755,size=65536k' }),
  ];
  for (const dev of DEVICES) ops.push(op(MountKind.MOUNT, dev, { source: dev, flags: BIND, bits: MountBits.FILE | (dev === '/dev/tty' ? MountBits.OPTIONAL : 0) }));
  ops.push(
    op(MountKind.MOUNT, '/dev/pts', {
      source: 'devpts',
      fstype: 'devpts',
      flags: NOSUID | NOEXEC,
      data: `newinstance,ptmxmode=0666,mode=0620${o.ttyGroup ? ',gid=5' : ''}`,
    }),
    op(MountKind.SYMLINK, '/dev/ptmx', { source: 'pts/ptmx' }),
    op(MountKind.SYMLINK, '/dev/fd', { source: '/proc/self/fd' }),
    op(MountKind.SYMLINK, '/dev/stdin', { source: '/proc/self/fd/0' }),
    op(MountKind.SYMLINK, '/dev/stdout', { source: '/proc/self/fd/1' }),
    op(MountKind.SYMLINK, '/dev/stderr', { source: '/proc/self/fd/2' }),
    op(MountKind.SYMLINK, '/dev/core', { source: '/proc/kcore' }),
    op(MountKind.MOUNT, '/dev/shm', { source: 'shm', fstype: 'tmpfs', flags: NOSUID | NODEV | NOEXEC, data: 'mode=1777,size=65536k' }),
    op(MountKind.MOUNT, '/dev/mqueue', { source: 'mqueue', fstype: 'mqueue', flags: NOSUID | NODEV | NOEXEC }),
    op(MountKind.MOUNT, '/sys', {
      source: 'sysfs',
      fstype: 'sysfs',
      flags: NOSUID | NODEV | NOEXEC | (o.privileged ? 0 : RDONLY),
      bits: MountBits.SYSFS,
    }),
    // cgroup2 shows the container's own cgroup namespace; hosts on v1-only setups refuse it.
    op(MountKind.MOUNT, '/sys/fs/cgroup', {
      source: 'cgroup',
      fstype: 'cgroup2',
      flags: NOSUID | NODEV | NOEXEC | RDONLY,
      bits: MountBits.OPTIONAL | MountBits.NOCREATE,
    }),
  );
  if (o.initBinary) ops.push(op(MountKind.MOUNT, '/dev/init', { source: o.initBinary, flags: BIND | RDONLY, bits: MountBits.FILE }));
  return ops;
}

/** Masked and read-only paths, applied after every other mount (none with --privileged). */
export function protectionMounts(privileged: boolean): MountOp[] {
  if (privileged) return [];
  return [...MASKED_PATHS.map((p) => op(MountKind.MASK, p)), ...READONLY_PATHS.map((p) => op(MountKind.READONLY, p))];
}

/** User mounts in an order where parents come before children (docker sorts by depth). */
export function sortMountRequests(mounts: MountRequest[]): MountRequest[] {
  const depth = (p: string) => p.split('/').length;
  return mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.target) - depth(b.m.target) || a.i - b.i).map((x) => x.m);
}

/** Two mounts on the same container path are a mistake docker refuses too. */
export function checkDuplicateTargets(mounts: MountRequest[]): void {
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.target)) throw new ContainerConfigError(`duplicate mount point: ${m.target}`);
    seen.add(m.target);
  }
}
