// Volumes of a container: the volume store's volumes it mounts (named ones, and the
// anonymous ones made for `-v /path`, `--mount type=volume` without a source and the
// image's VOLUMEs), created with the container's record, filled from the image when empty
// (docker's copy-up) and mounted as binds of their _data; the anonymous ones go with the
// container under `rm -v` and `--rm`. Records of older hx kept the image's VOLUMEs in the
// container's dir (imageVolumes). Every path is resolved inside the container's root:
// image data never names a host path.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { HxError, wrap } from '../errors.js';
import { parseTmpfsFlag, type MountRequest, type VolumeMountRequest } from '../runtime/mounts.js';
import { ANONYMOUS_LABEL, type ContainerRecord, type Store, type VolumeRecord } from '../store/store.js';
import { SysError } from '../sys/errors.js';
import { copyTree, CopyFlag } from '../sys/spawn.js';

/** An image's VOLUME key as a path inside the container: cleaned and absolute, so no `..`
 * climbs anywhere (it is resolved inside the container's root in any case). */
export function volumeTarget(key: string): string {
  const clean = posix.normalize(`/${key}`);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

/**
 * docker's copy-up: a new, empty volume gets what the image has at TARGET (owners, modes,
 * xattrs, hardlinks kept), when that is a directory. TARGET is resolved inside ROOTFS
 * (symlinks in the image stay in the image) and the copy never follows a symlink out of it.
 */
export function copyUp(rootfs: string, target: string, volume: string): void {
  try {
    copyTree({ root: rootfs, path: target }, { root: '', path: volume }, CopyFlag.XATTRS | CopyFlag.HARDLINKS | CopyFlag.ROOT_ATTRS | CopyFlag.IGNORE_CHOWN);
  } catch (e) {
    // Nothing at that path in the image (or not a directory): the volume starts empty.
    if (e instanceof SysError && (e.code === 'ENOENT' || e.code === 'ENOTDIR') && e.message.startsWith(`copy open ${target}:`)) return;
    throw wrap(e, `cannot fill the volume for ${target}`);
  }
}

/** Anonymous volumes for the image's VOLUME keys under CONTAINERDIR, filled from ROOTFS:
 * bind mounts for the container (a key the user mounts over is skipped). */
export function imageVolumes(containerDir: string, rootfs: string, keys: string[], userTargets: Set<string>): MountRequest[] {
  const seen = new Set<string>();
  const out: MountRequest[] = [];
  keys.forEach((key, i) => {
    const target = volumeTarget(key);
    if (seen.has(target) || userTargets.has(target)) return;
    seen.add(target);
    const source = join(containerDir, 'volumes', String(i));
    mkdirSync(source, { recursive: true, mode: 0o755 });
    copyUp(rootfs, target, source);
    out.push({ type: 'bind', source, target, readonly: false, propagation: 'rprivate', recursive: true });
  });
  return out;
}

/** moby's time.Format(time.RFC3339) of NOW: seconds, the host's offset ("Z" at UTC). */
export function rfc3339Seconds(now: Date = new Date()): string {
  const off = -now.getTimezoneOffset();
  const local = new Date(now.getTime() + off * 60_000).toISOString().slice(0, 19);
  if (off === 0) return `${local}Z`;
  const abs = Math.abs(off);
  return `${local}${off < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export interface NewVolume {
  name: string;
  labels?: Record<string, string>;
  options?: Record<string, string> | null;
}

/** A volume record as docker's local driver describes it. OPTIONS as given: docker's CLI
 * always sends a map (`{}` in inspect), a volume made for a container has none (null). */
export function volumeRecord(v: NewVolume): VolumeRecord {
  return { Name: v.name, Driver: 'local', CreatedAt: rfc3339Seconds(), Labels: v.labels ?? {}, Options: v.options ?? null, Scope: 'local' };
}

/** The volume mounts in a container record (its settings as create wrote them). */
export function volumeMountsOf(rec: Pick<ContainerRecord, 'spec'>): VolumeMountRequest[] {
  const mounts = (rec.spec as { options?: { mounts?: MountRequest[] } } | undefined)?.options?.mounts ?? [];
  return mounts.filter((m): m is VolumeMountRequest => m.type === 'volume');
}

/** Which containers use each volume (docker's references: created, running or stopped). */
export function volumeUsers(store: Store): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const c of store.listContainers()) {
    for (const m of volumeMountsOf(c)) {
      const ids = users.get(m.name) ?? [];
      if (!ids.includes(c.id)) ids.push(c.id);
      users.set(m.name, ids);
    }
  }
  return users;
}

/**
 * The volumes a new container mounts, made where missing: anonymous ones get a 64-hex
 * name and docker 28's anonymous label, named ones are created on first use with the
 * mount's volume-opt/volume-label. Call under the store lock, and write the container's
 * record under the same lock so no `volume rm` slips in between. Returns the mounts with
 * every name filled in and the names it created (for UNDO when the record fails).
 */
export function prepareVolumes(store: Store, mounts: MountRequest[]): { mounts: MountRequest[]; created: string[] } {
  const created: string[] = [];
  const out = mounts.map((m): MountRequest => {
    if (m.type !== 'volume') return m;
    const anonymous = m.name === '';
    const name = anonymous ? randomBytes(32).toString('hex') : m.name;
    const labels = anonymous ? { ...(m.labels ?? {}), [ANONYMOUS_LABEL]: '' } : (m.labels ?? {});
    const r = store.volumes.create(volumeRecord({ name, labels, options: m.driverOptions ?? null }));
    if (r.created) created.push(name);
    return anonymous ? { ...m, name, anonymous: true } : { ...m, name };
  });
  return { mounts: out, created };
}

/** Remove volumes (by name) that no container uses any more. Call under the store lock. */
export function removeUnusedVolumes(store: Store, names: string[]): string[] {
  if (names.length === 0) return [];
  const users = volumeUsers(store);
  const removed: string[] = [];
  for (const name of names) {
    if (users.has(name) || !store.volumes.get(name)) continue;
    store.volumes.remove(name, (p) => store.discard(p));
    removed.push(name);
  }
  return removed;
}

/** The anonymous volumes of a container record, what `rm -v` and `--rm` remove: the ones
 * whose name was generated for a mount (moby removeMountPoints skips a mount that named its
 * volume, even an anonymous one by its hex name). */
export function anonymousVolumesOf(rec: Pick<ContainerRecord, 'spec'>): string[] {
  return volumeMountsOf(rec).filter((m) => m.anonymous === true).map((m) => m.name);
}

function isEmptyDir(path: string): boolean {
  return readdirSync(path).length === 0;
}

/** A volume whose local-driver options make it a mount of its own (type=tmpfs, or a bind of device=). */
function optionMount(v: VolumeRecord, m: VolumeMountRequest): MountRequest | undefined {
  const o = v.Options;
  if (!o?.type) return undefined;
  const words = (o.o ?? '').split(',').filter(Boolean);
  if (o.type === 'tmpfs') {
    // exec,suid,dev first: the local driver passes o= alone, without --tmpfs's defaults
    const t = parseTmpfsFlag(`${m.target}:${['exec', 'suid', 'dev', ...words, ...(m.readonly ? ['ro'] : [])].join(',')}`);
    return t;
  }
  if ((o.type === 'none' || o.type === 'bind') && words.some((w) => w === 'bind' || w === 'rbind') && o.device?.startsWith('/')) {
    return { type: 'bind', source: o.device, target: m.target, readonly: m.readonly || words.includes('ro'), propagation: 'rprivate', recursive: words.includes('rbind') };
  }
  throw new HxError(`volume ${v.Name}: the local driver's type=${o.type} cannot be mounted by hx`, { kind: 'not-implemented', hint: 'hx mounts type=tmpfs and type=none with o=bind,device=/abs/path' });
}

/**
 * The container's volume mounts as binds of their data (or the mount their options name),
 * each empty volume first filled with what ROOTFS has at the mount's target unless the
 * mount says nocopy. Other mounts pass through.
 */
export function resolveVolumeMounts(store: Store, rootfs: string, mounts: MountRequest[]): MountRequest[] {
  return mounts.map((m): MountRequest => {
    if (m.type !== 'volume') return m;
    const v = store.volumes.get(m.name);
    if (!v) throw new HxError(`get ${m.name}: no such volume`, { kind: 'not-found', hint: `the volume mounted at ${m.target} was removed: remove the container, or create the volume again (hx volume create ${m.name})` });
    const own = optionMount(v, m);
    if (own) return own;
    const data = store.volumes.dataPath(m.name);
    if (!m.nocopy && isEmptyDir(data)) copyUp(rootfs, m.target, data);
    return { type: 'bind', source: data, target: m.target, readonly: m.readonly, propagation: 'rprivate', recursive: true };
  });
}
