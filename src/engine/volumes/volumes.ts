// `hx volume create|ls|inspect|rm|prune`: moby's volume service (volume/service) over the
// store's volume records, with docker's messages (moby's OpErr: "get X: no such volume",
// "remove X: volume is in use - [ID]") and the local driver's option rules. A volume is in
// use while any container record names it, running or not; `rm -f` forgives a missing
// volume but, as moby's, never one in use.
import { randomBytes } from 'node:crypto';
import { volumeRecord, volumeUsers } from '../../container/volumes.js';
import { HxError } from '../../errors.js';
import { volumeNameError } from '../../runtime/mounts.js';
import { ANONYMOUS_LABEL, type VolumeRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { volumeEvent } from '../events.js';
import { matchLabels, type Filters } from '../filters.js';
import { treeBytes } from '../system/store.js';

export type { VolumeRecord };

/** docker's `volume inspect` document (moby api/types/volume.Volume). */
export interface VolumeDocument extends VolumeRecord {
  Mountpoint: string;
}

export interface CreateVolumeRequest {
  /** '' or absent: a 64-hex name and docker 28's anonymous label. */
  name?: string;
  /** -d: only "local". */
  driver?: string;
  labels?: Record<string, string>;
  /** -o KEY=VALUE: the local driver's type, device, o. */
  options?: Record<string, string>;
}

// moby volume/local: the options the local driver knows ("size" needs xfs project quotas)
const LOCAL_OPTIONS = new Set(['type', 'device', 'o']);

function noSuchVolume(name: string): HxError {
  return new HxError(`get ${name}: no such volume`, { kind: 'not-found', hint: 'hx volume ls lists the volumes', exitCode: 1 });
}

/** moby local.validateOpts, and what hx can mount rootless. */
function checkLocalOptions(options: Record<string, string>): void {
  for (const key of Object.keys(options)) {
    if (key === 'size') throw new HxError('quota size requested but no quota support', { kind: 'invalid-argument', hint: 'hx volumes have no size limit; use --opt type=tmpfs,o=size=64m for a bounded tmpfs' });
    if (!LOCAL_OPTIONS.has(key)) throw new HxError(`invalid option: ${JSON.stringify(key)}`, { kind: 'invalid-argument', hint: 'the local driver takes type, device and o' });
  }
  const type = options.type;
  if (type === undefined) {
    if (options.device !== undefined || options.o !== undefined) throw new HxError('missing required option: "type"', { kind: 'invalid-argument', hint: 'e.g. --opt type=tmpfs --opt device=tmpfs --opt o=size=64m' });
    return;
  }
  if (options.device === undefined && type !== 'tmpfs') throw new HxError('missing required option: "device"', { kind: 'invalid-argument', hint: 'e.g. --opt type=none --opt o=bind --opt device=/abs/path' });
  const words = (options.o ?? '').split(',').filter(Boolean);
  if (type === 'tmpfs') return;
  if ((type === 'none' || type === 'bind') && words.some((w) => w === 'bind' || w === 'rbind')) {
    if (!options.device!.startsWith('/')) throw new HxError(`invalid device ${JSON.stringify(options.device)}: a bind needs an absolute host path`, { kind: 'invalid-argument' });
    return;
  }
  throw new HxError(`the local driver's type=${type} cannot be mounted by hx`, { kind: 'not-implemented', hint: 'hx mounts type=tmpfs and type=none,o=bind,device=/abs/path' });
}

/** `hx volume create`: the new volume, or the existing one of that name (docker's idempotent create). */
export async function createVolume(ctx: EngineContext, req: CreateVolumeRequest = {}): Promise<VolumeRecord> {
  const driver = req.driver || 'local';
  const anonymous = !req.name;
  const name = req.name || randomBytes(32).toString('hex');
  if (driver !== 'local') throw new HxError(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`, { kind: 'not-found', hint: 'hx has the local driver only', exitCode: 1 });
  const nameError = volumeNameError(name);
  if (nameError) throw new HxError(nameError, { kind: 'invalid-argument', hint: 'a volume name is letters, digits and _.- (at least two characters)', exitCode: 1 });
  const options = req.options ?? {};
  try {
    checkLocalOptions(options);
  } catch (e) {
    throw new HxError(`create ${name}: ${(e as Error).message}`, { kind: (e as HxError).kind, hint: (e as HxError).hint, exitCode: 1 });
  }
  const labels = { ...(req.labels ?? {}), ...(anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) };
  const store = ctx.store;
  return store.locked(() => {
    const made = store.volumes.create(volumeRecord({ name, labels, options }));
    if (made.created) volumeEvent(store, 'create', name);
    return made.record;
  });
}

export function volumeDocument(ctx: EngineContext, v: VolumeRecord): VolumeDocument {
  return { CreatedAt: v.CreatedAt, Driver: v.Driver, Labels: v.Labels, Mountpoint: ctx.store.volumes.dataPath(v.Name), Name: v.Name, Options: v.Options, Scope: v.Scope };
}

/** `hx volume inspect NAME` (exact names only, as docker's). */
export function inspectVolume(ctx: EngineContext, name: string): VolumeDocument {
  const v = ctx.store.volumes.get(name);
  if (!v) throw noSuchVolume(name);
  return volumeDocument(ctx, v);
}

export interface VolumeRow extends VolumeDocument {
  /** Containers that use it. */
  links: number;
  /** Bytes under _data, when asked for (system df -v). */
  size?: number;
}

/** `hx volume ls`: sorted by name; filters dangling, name (regexp), driver, label (moby's acceptedListFilters). */
export function listVolumes(ctx: EngineContext, o: { filters?: Filters; sizes?: boolean } = {}): VolumeRow[] {
  const f = o.filters;
  f?.validate(['dangling', 'name', 'driver', 'label']);
  const users = volumeUsers(ctx.store);
  const dangling = f?.contains('dangling') ? f.getBool('dangling', false) : undefined;
  const rows: VolumeRow[] = [];
  for (const v of ctx.store.volumes.list()) {
    const links = users.get(v.Name)?.length ?? 0;
    if (f && !f.match('name', v.Name)) continue;
    if (f && !f.exactMatch('driver', v.Driver)) continue;
    if (f && !f.matchKVList('label', v.Labels)) continue;
    if (dangling !== undefined && dangling !== (links === 0)) continue;
    const row: VolumeRow = { ...volumeDocument(ctx, v), links };
    if (o.sizes) row.size = treeBytes(ctx.store.volumes.dataPath(v.Name));
    rows.push(row);
  }
  return rows;
}

/** `hx volume rm [-f] NAME`: refused while a container uses it, even with FORCE (moby); FORCE forgives a missing one. */
export async function removeVolume(ctx: EngineContext, name: string, force = false): Promise<void> {
  const store = ctx.store;
  await store.locked(() => {
    if (!store.volumes.get(name)) {
      if (force) return;
      throw noSuchVolume(name);
    }
    const users = volumeUsers(store).get(name);
    if (users?.length) {
      throw new HxError(`remove ${name}: volume is in use - [${users.join(', ')}]`, {
        kind: 'conflict',
        hint: `remove the container${users.length > 1 ? 's' : ''} first (hx rm ${users.map((u) => u.slice(0, 12)).join(' ')})`,
        exitCode: 1,
      });
    }
    store.volumes.remove(name, (p) => store.discard(p));
    volumeEvent(store, 'destroy', name);
  });
}

/** `hx volume prune [-a] [--filter label=...]`: unused volumes, only anonymous ones unless ALL
 * (docker 28; the API's filter all=true means the same). */
export async function pruneVolumes(ctx: EngineContext, o: { all?: boolean; filters?: Filters } = {}): Promise<{ deleted: string[]; reclaimed: number }> {
  const f = o.filters;
  f?.validate(['label', 'label!', 'all']);
  const all = o.all || (f?.getBool('all', false) ?? false);
  const store = ctx.store;
  return store.locked(() => {
    const users = volumeUsers(store);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of store.volumes.list()) {
      if (users.has(v.Name)) continue;
      if (!all && !Object.prototype.hasOwnProperty.call(v.Labels ?? {}, ANONYMOUS_LABEL)) continue;
      if (f && !matchLabels(f, v.Labels)) continue;
      reclaimed += treeBytes(store.volumes.dataPath(v.Name));
      store.volumes.remove(v.Name, (p) => store.discard(p));
      volumeEvent(store, 'destroy', v.Name);
      deleted.push(v.Name);
    }
    return { deleted, reclaimed };
  });
}
