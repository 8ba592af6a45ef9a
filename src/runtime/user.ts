// --user resolution through the container's own /etc/passwd and /etc/group, with the
// semantics of runc/moby's GetExecUser: NAME or UID, optional :GROUP or :GID; supplementary
// groups only when the group is implicit; numeric ids need no entry.
import { ContainerConfigError } from './run-errors.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface ExecUser {
  uid: number;
  gid: number;
  /** Supplementary groups (without the primary group). */
  additionalGids: number[];
  home: string;
}

const MAX_ID = 2 ** 32 - 2; // (uid_t)-1 means "unchanged" to the kernel

function parseId(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4) continue;
    const uid = parseId(f[2]!);
    const gid = parseId(f[3]!);
    if (uid === undefined || gid === undefined) continue;
    out.push({ name: f[0]!, uid, gid, home: f[5] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3) continue;
    const gid = parseId(f[2]!);
    if (gid === undefined) continue;
    out.push({ name: f[0]!, gid, members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}

function checkRange(id: number, what: string): number {
  if (id > MAX_ID) throw new ContainerConfigError(`${what} ${id} is out of range`, `ids must be between 0 and ${MAX_ID}`);
  return id;
}

/**
 * Resolve SPEC ("", "name", "1000", "name:group", "1000:1000") against the container's
 * passwd and group files (null when the file is missing).
 */
export function resolveUser(spec: string, passwd: PasswdEntry[] | null, group: GroupEntry[] | null, groupAdd: string[] = []): ExecUser {
  const colon = spec.indexOf(':');
  const userArg = colon < 0 ? spec : spec.slice(0, colon);
  const groupArg = colon < 0 ? '' : spec.slice(colon + 1);
  const uidArg = parseId(userArg);

  const users = passwd ?? [];
  const match = userArg === '' ? users.find((u) => u.uid === 0) : uidArg !== undefined ? users.find((u) => u.uid === uidArg) : users.find((u) => u.name === userArg);
  const user: ExecUser & { name: string } = { uid: 0, gid: 0, additionalGids: [], home: '/', name: '' };
  if (match) {
    user.uid = match.uid;
    user.gid = match.gid;
    user.home = match.home || '/';
    user.name = match.name;
  } else if (userArg !== '' && uidArg === undefined) {
    throw new ContainerConfigError(`unable to find user ${userArg}: no matching entries in passwd file`, 'use a numeric uid, or a user that the image\'s /etc/passwd defines');
  } else if (uidArg !== undefined) {
    user.uid = checkRange(uidArg, 'uid');
  }

  const groups = group ?? [];
  if (groupArg !== '') {
    const gidArg = parseId(groupArg);
    const g = gidArg !== undefined ? groups.find((e) => e.gid === gidArg) : groups.find((e) => e.name === groupArg);
    if (g) user.gid = g.gid;
    else if (gidArg !== undefined) user.gid = checkRange(gidArg, 'gid');
    else throw new ContainerConfigError(`unable to find group ${groupArg}: no matching entries in group file`, 'use a numeric gid, or a group that the image\'s /etc/group defines');
  } else if (user.name) {
    for (const g of groups) if (g.members.includes(user.name)) user.additionalGids.push(g.gid);
  }

  for (const extra of groupAdd) {
    const gidArg = parseId(extra);
    const g = gidArg !== undefined ? gidArg : groups.find((e) => e.name === extra)?.gid;
    if (g === undefined) throw new ContainerConfigError(`unable to find group ${extra}: no matching entries in group file`, 'use a numeric gid with --group-add');
    user.additionalGids.push(checkRange(g, 'gid'));
  }
  const additionalGids = [...new Set(user.additionalGids)].filter((g) => g !== user.gid);
  return { uid: user.uid, gid: user.gid, additionalGids, home: user.home };
}
