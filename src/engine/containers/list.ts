// `hx ps`: the containers with their live state (pids checked against their start times)
// and docker's Status text, newest first, with docker's filters: id, name, status,
// exited, ancestor, label, before, since, health, volume.
import { readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { currentState, isRunning } from '../../container/state.js';
import { HxError } from '../../errors.js';
import { findImage } from '../../image/resolve.js';
import type { ContainerRecord, ContainerState, Store } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { humanDuration } from '../docker-syntax/units.js';
import { createdWithin, type Filters } from '../filters.js';
import { containerSpecOf } from './spec.js';
import { activeForwards } from '../../container/network.js';
import { endpointsOfRequest } from '../networks/documents.js';
import { describeForwards } from '../../net/ports.js';
import { findContainer, labelsOf } from './lookup.js';

export interface ContainerRow {
  id: string;
  /** Without docker's "/". */
  name: string;
  /** The image as it was asked for (its short ID once that name means another image). */
  image: string;
  imageId: string;
  /** The command line: path and arguments joined by spaces (docker's Command). */
  command: string;
  created: string;
  state: ContainerState['status'];
  /** docker's Status: "Up 3 minutes (healthy)", "Exited (0) 2 hours ago", "Created". */
  status: string;
  exitCode: number;
  labels: Record<string, string>;
  mounts: string[];
  /** "none" or "host" until hx has networks. */
  networks: string[];
  /** docker's PORTS text: "127.0.0.1:18080->8080/tcp" (running containers' published ports). */
  ports: string;
  /** -s: bytes written by the container, and those plus its image's. */
  size?: { rw: number; rootFs: number };
}

export interface ListContainersOptions {
  /** -a: stopped ones too. */
  all?: boolean;
  filters?: Filters;
  /** -n N: the N last created (any state); -l is 1. */
  last?: number;
  /** -s */
  size?: boolean;
}

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const FILTER_KEYS = ['id', 'name', 'status', 'exited', 'ancestor', 'label', 'before', 'since', 'health', 'volume', 'network', 'is-task'];

/** moby's list: the path, then the arguments, one with a space in single quotes. */
function commandLine(args: string[]): string {
  const [path = '', ...rest] = args;
  return rest.length ? `${path} ${rest.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}` : path;
}

/** moby's State.String(). */
export function statusText(st: ContainerState, now = Date.now()): string {
  const ago = (t: string): string => humanDuration(now - Date.parse(t));
  if (isRunning(st)) {
    if (st.status === 'paused') return `Up ${ago(st.startedAt)} (Paused)`;
    if (st.status === 'restarting') return `Restarting (${st.exitCode}) ${ago(st.finishedAt)} ago`;
    if (st.health) return `Up ${ago(st.startedAt)} (${st.health.Status === 'starting' ? 'health: starting' : st.health.Status})`;
    return `Up ${ago(st.startedAt)}`;
  }
  if (st.status === 'removing') return 'Removal In Progress';
  if (st.status === 'dead') return 'Dead';
  if (!st.startedAt) return 'Created';
  if (!st.finishedAt) return '';
  return `Exited (${st.exitCode}) ${ago(st.finishedAt)} ago`;
}

function imageShown(store: Store, rec: ContainerRecord, cache: Map<string, string | undefined>): string {
  if (!cache.has(rec.imageRef)) cache.set(rec.imageRef, findImage(store, rec.imageRef)?.id);
  return cache.get(rec.imageRef) === rec.image ? rec.imageRef : rec.image.replace(/^sha256:/, '').slice(0, 12);
}

/** The image IDs an `ancestor` filter names (an image and every image built on it). */
function ancestorIds(store: Store, refs: string[]): Set<string> {
  const out = new Set<string>();
  for (const ref of refs) {
    const img = findImage(store, ref);
    if (!img) continue;
    out.add(img.id);
    // descendants: images whose layers start with all of this one's
    for (const other of store.listImages()) {
      if (other.layers.length >= img.layers.length && img.layers.every((l, i) => other.layers[i] === l)) out.add(other.id);
    }
  }
  return out;
}

function dirBytes(path: string): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(path);
  } catch {
    return 0;
  }
  for (const n of names) {
    const p = join(path, n);
    const st = lstatSync(p);
    total += st.isDirectory() ? dirBytes(p) : st.size;
  }
  return total;
}

function boundOf(store: Store, filters: Filters, key: 'before' | 'since'): Date | undefined {
  let bound: Date | undefined;
  for (const ref of filters.get(key)) {
    const rec = findContainer(store, ref);
    const t = new Date(rec.created);
    if (!bound || (key === 'before' ? t < bound : t > bound)) bound = t;
  }
  return bound;
}

export function listContainers(ctx: EngineContext, o: ListContainersOptions = {}): ContainerRow[] {
  const store = ctx.store;
  const filters = o.filters;
  filters?.validate(FILTER_KEYS);
  for (const s of filters?.get('status') ?? []) {
    if (!STATUSES.includes(s)) throw new HxError(`invalid filter 'status=${s}'`, { kind: 'invalid-argument', hint: `status is one of ${STATUSES.join(', ')}` });
  }
  for (const h of filters?.get('health') ?? []) {
    if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h)) throw new HxError(`invalid filter 'health=${h}'`, { kind: 'invalid-argument', hint: 'health is one of starting, healthy, unhealthy, none' });
  }
  const exited = (filters?.get('exited') ?? []).map((v) => {
    if (!/^-?\d+$/.test(v)) throw new HxError(`invalid filter 'exited=${v}'`, { kind: 'invalid-argument', hint: 'exited takes an exit code' });
    return Number(v);
  });
  const ancestors = filters?.contains('ancestor') ? ancestorIds(store, filters.get('ancestor')) : undefined;
  const before = filters ? boundOf(store, filters, 'before') : undefined;
  const since = filters ? boundOf(store, filters, 'since') : undefined;
  const now = Date.now();
  const images = new Map<string, string | undefined>();
  let recs = store.listContainers().sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  const showAll = o.all || (o.last !== undefined && o.last > 0) || filters?.contains('status') || filters?.contains('exited');
  if (o.last !== undefined && o.last > 0) recs = recs.slice(0, o.last);
  const rows: ContainerRow[] = [];
  for (const rec of recs) {
    const st = currentState(store, rec);
    if (!showAll && !isRunning(st)) continue;
    if (filters) {
      if (!filters.fuzzyMatch('id', rec.id)) continue;
      if (!filters.match('name', rec.name)) continue;
      if (!filters.exactMatch('status', st.status)) continue;
      if (exited.length && (st.status !== 'exited' || !exited.includes(st.exitCode))) continue;
      if (ancestors && !ancestors.has(rec.image)) continue;
      if (!filters.matchKVList('label', labelsOf(rec))) continue;
      if (!createdWithin(new Date(rec.created), { before, since })) continue;
      if (!filters.exactMatch('health', st.health?.Status ?? 'none')) continue;
    }
    let spec;
    try {
      spec = containerSpecOf(rec.spec, rec.id);
    } catch {
      spec = undefined;
    }
    if (filters?.contains('volume') && !(spec?.options.mounts ?? []).some((m) => filters.get('volume').some((v) => ('source' in m && m.source === v) || (m.type === 'volume' && m.name === v) || m.target === v))) continue;
    const network = spec?.options.network ?? 'none';
    const networks = endpointsOfRequest(spec?.network)?.map((e) => e.networkName) ?? [network];
    if (filters?.contains('network') && !networks.some((n) => filters.exactMatch('network', n))) continue;
    const row: ContainerRow = {
      id: rec.id,
      name: rec.name,
      image: imageShown(store, rec, images),
      imageId: rec.image,
      command: commandLine(spec?.options.args ?? []),
      created: rec.created,
      state: st.status,
      status: statusText(st, now),
      exitCode: st.exitCode,
      labels: labelsOf(rec),
      // docker's MountPoint.Name for volumes, the source for binds
      mounts: (spec?.options.mounts ?? []).map((m) => (m.type === 'bind' ? m.source : m.type === 'volume' ? m.name : m.target)),
      networks,
      ports: isRunning(st) ? describeForwards(activeForwards(store.containerDir(rec.id))) : '',
    };
    if (o.size) row.size = containerSize(store, rec);
    rows.push(row);
  }
  return rows;
}

/** What the container wrote (its upper dir; 0 for vfs, whose copy has no separate layer)
 * and that plus its image's layers. */
export function containerSize(store: Store, rec: ContainerRecord): { rw: number; rootFs: number } {
  const rw = rec.upper ? dirBytes(rec.upper) : 0;
  const img = store.getImage(rec.image);
  return { rw, rootFs: rw + (img ? imageBytes(store, img.layers) : 0) };
}

function imageBytes(store: Store, layers: string[]): number {
  let total = 0;
  for (const c of layers) total += store.getLayer(c)?.size ?? 0;
  return total;
}
