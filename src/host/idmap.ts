// Rootless identity: the user's subordinate id ranges and the maps hx installs.
import { readFileSync } from 'node:fs';

export interface IdRange {
  start: number;
  count: number;
}

/** One line of a uid_map/gid_map: container id, host id, length. */
export interface IdMapEntry {
  inside: number;
  outside: number;
  count: number;
}

export function userNameOf(uid: number, passwdPath = '/etc/passwd'): string | undefined {
  try {
    for (const line of readFileSync(passwdPath, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && Number(f[2]) === uid && f[2] !== '') return f[0];
    }
  } catch {
    /* no passwd: fall through */
  }
  return undefined;
}

/** Ranges for the user from /etc/subuid or /etc/subgid (matched by name or by id). */
export function subordinateRanges(file: string, name: string | undefined, id: number): IdRange[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return parseSubordinateRanges(text, name, id);
}

export function parseSubordinateRanges(text: string, name: string | undefined, id: number): IdRange[] {
  const ranges: IdRange[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [who, start, count] = line.split(':');
    if (who !== name && who !== String(id)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c) && s >= 0 && c > 0) ranges.push({ start: s, count: c });
  }
  return ranges;
}

/** Pairs of RANGES that share ids (two /etc/subuid lines for a user that overlap, or a duplicate). */
export function overlappingRanges(ranges: IdRange[]): [IdRange, IdRange][] {
  const out: [IdRange, IdRange][] = [];
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i]!;
      const b = ranges[j]!;
      if (a.start < b.start + b.count && b.start < a.start + a.count) out.push([a, b]);
    }
  }
  return out;
}

/** RANGES as given, or (when some overlap, which newuidmap refuses) cut into pieces that
 * do not: sorted, each line giving what lies past the ones before it. Every piece stays
 * inside one /etc/subuid line, as newuidmap requires. */
export function disjointRanges(ranges: IdRange[]): IdRange[] {
  if (overlappingRanges(ranges).length === 0) return ranges;
  const out: IdRange[] = [];
  let end = 0;
  for (const r of [...ranges].sort((a, b) => a.start - b.start || b.count - a.count)) {
    const start = Math.max(r.start, end);
    if (r.start + r.count > start) out.push({ start, count: r.start + r.count - start });
    end = Math.max(end, r.start + r.count);
  }
  return out;
}

/** The map hx installs: the user's own id as 0, then the ranges from 1 on (overlapping
 * lines cut apart: newuidmap refuses a map whose ranges overlap). */
export function buildIdMap(ownId: number, ranges: IdRange[]): IdMapEntry[] {
  const map: IdMapEntry[] = [{ inside: 0, outside: ownId, count: 1 }];
  let next = 1;
  for (const r of disjointRanges(ranges)) {
    // A range containing the user's own id would map it twice; newuidmap refuses that.
    if (ownId >= r.start && ownId < r.start + r.count) continue;
    map.push({ inside: next, outside: r.start, count: r.count });
    next += r.count;
  }
  return map;
}

export function parseIdMap(text: string): IdMapEntry[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3 && f.every(Number.isInteger))
    .map(([inside, outside, count]) => ({ inside: inside!, outside: outside!, count: count! }));
}

/** Is ID (as seen inside the namespace) mapped by MAP? */
export function idMapContains(map: IdMapEntry[], id: number): boolean {
  return map.some((e) => id >= e.inside && id < e.inside + e.count);
}

/** The ids MAP makes visible inside, merged into ranges: "0-65536", "0", "0-9 and 100-199". */
export function describeIdMap(map: IdMapEntry[]): string {
  const ranges = map
    .filter((e) => e.count > 0)
    .map((e) => [e.inside, e.inside + e.count - 1] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  if (merged.length === 0) return 'no ids';
  return merged.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(merged.length === 2 ? ' and ' : ', ');
}

/** How many ids MAP maps in all (1: the single-id map of a user without subordinate ranges). */
export function idMapSize(map: IdMapEntry[]): number {
  return map.reduce((n, e) => n + e.count, 0);
}

export function sameIdMap(a: IdMapEntry[], b: IdMapEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => e.inside === b[i]!.inside && e.outside === b[i]!.outside && e.count === b[i]!.count);
}

export function rangeContains(ranges: IdRange[], id: number): boolean {
  return ranges.some((r) => id >= r.start && id < r.start + r.count);
}

export interface RootlessIdentity {
  uid: number;
  gid: number;
  user: string | undefined;
  subuid: IdRange[];
  subgid: IdRange[];
  uidMap: IdMapEntry[];
  gidMap: IdMapEntry[];
  /** True when there is no usable range and only the user's own id is mapped. */
  singleId: boolean;
}

export function rootlessIdentity(uid: number, gid: number): RootlessIdentity {
  const user = userNameOf(uid);
  const subuid = subordinateRanges('/etc/subuid', user, uid);
  const subgid = subordinateRanges('/etc/subgid', user, uid);
  const singleId = subuid.length === 0 || subgid.length === 0;
  return {
    uid,
    gid,
    user,
    subuid,
    subgid,
    uidMap: buildIdMap(uid, singleId ? [] : subuid),
    gidMap: buildIdMap(gid, singleId ? [] : subgid),
    singleId,
  };
}

export function singleIdWarning(identity: RootlessIdentity): string {
  const who = identity.user ?? String(identity.uid);
  return (
    `hx: warning: no subordinate id range for ${who} in /etc/subuid and /etc/subgid; containers get a single uid/gid (files owned by other ids show as nobody). ` +
    `Fix: sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${who} && hx system migrate`
  );
}
