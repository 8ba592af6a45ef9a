// Name resolution of a user network: RUNTIME/networks/<net-id>/endpoints/<container-id>.json
// says which running containers are on it (written when a container's veth is plugged,
// removed when it stops or disconnects); `names` is made from them and read by native/dns
// (hx-dns), one per network with a running container, listening on the gateway (UDP and
// TCP) inside the held namespace. Started detached, so it outlives the hx that started it;
// it exits by itself when `names` is removed. `names` also says, per client, where to
// forward what the network does not know (its --dns) and which other networks' names files
// it may read (a container on several networks asks its first network's responder only).
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { HxError } from '../errors.js';
import { processAlive, readProcStat } from '../host/procstat.js';
import { buildDir } from '../sys/install.js';

/** A running container's names on one network. */
export interface NameEntry {
  containerId: string;
  pid: number;
  pidStart: string;
  ip: string;
  names: string[];
  /** Its veth end on the bridge. */
  hostVeth: string;
  /** Its --dns: the responder forwards its questions there instead of to the defaults. */
  dns?: string[];
}

export function networkRunDir(plane: string, networkId: string): string {
  return join(plane, networkId);
}

function entriesDir(netDir: string): string {
  return join(netDir, 'endpoints');
}

export function readEntries(netDir: string): NameEntry[] {
  let files: string[];
  try {
    files = readdirSync(entriesDir(netDir)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    try {
      return [JSON.parse(readFileSync(join(entriesDir(netDir), f), 'utf8')) as NameEntry];
    } catch {
      return [];
    }
  });
}

export function putEntry(netDir: string, e: NameEntry): void {
  mkdirSync(entriesDir(netDir), { recursive: true, mode: 0o700 });
  writeFileSync(join(entriesDir(netDir), `${e.containerId}.json`), JSON.stringify(e), { mode: 0o600 });
}

export function dropEntry(netDir: string, containerId: string): void {
  rmSync(join(entriesDir(netDir), `${containerId}.json`), { force: true });
}

/** Drop the entries of containers that are gone (a kill -9 that skipped the cleanup); the live ones. */
export function liveEntries(netDir: string): NameEntry[] {
  const out: NameEntry[] = [];
  for (const e of readEntries(netDir)) {
    if (processAlive(e.pid, e.pidStart)) out.push(e);
    else dropEntry(netDir, e.containerId);
  }
  return out;
}

/**
 * The text of a names file (native/dns/main.c reads it): "IP NAME..." per entry; "dns IP
 * UPSTREAM..." for an entry with its own --dns; "also IP PATH" per other network of the
 * entry's container (ALSO: container ID -> the names files of its other networks).
 */
export function namesText(entries: readonly NameEntry[], also: ReadonlyMap<string, readonly string[]> = new Map()): string {
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(`${e.ip} ${e.names.join(' ')}`);
    if (e.dns?.length) lines.push(`dns ${e.ip} ${e.dns.join(' ')}`);
    for (const path of also.get(e.containerId) ?? []) lines.push(`also ${e.ip} ${path}`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

const NETWORK_DIR = /^[a-f0-9]{64}$/;

/** The other network dirs of the plane that NETDIR is in. */
function siblingDirs(netDir: string): string[] {
  const plane = dirname(netDir);
  try {
    return readdirSync(plane).filter((d) => NETWORK_DIR.test(d) && d !== basename(netDir)).map((d) => join(plane, d));
  } catch {
    return [];
  }
}

/** Container ID -> the names files of the other networks it is live on. */
function otherNetworks(netDir: string, entries: readonly NameEntry[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const wanted = new Set(entries.map((e) => e.containerId));
  for (const dir of siblingDirs(netDir)) {
    for (const e of readEntries(dir)) {
      if (!wanted.has(e.containerId) || !processAlive(e.pid, e.pidStart)) continue;
      out.set(e.containerId, [...(out.get(e.containerId) ?? []), join(dir, 'names')]);
    }
  }
  return out;
}

function writeNamesFile(netDir: string, entries: readonly NameEntry[]): void {
  mkdirSync(netDir, { recursive: true, mode: 0o700 });
  const tmp = join(netDir, `.names.${process.pid}.tmp`);
  writeFileSync(tmp, namesText(entries, otherNetworks(netDir, entries)), { mode: 0o644 });
  renameSync(tmp, join(netDir, 'names'));
}

/** The other networks' names files again (their `also` lines follow a container's
 * networks); only those that exist: a missing one is a stopped responder. */
function rewriteSiblings(netDir: string): void {
  for (const dir of siblingDirs(netDir)) {
    if (!existsSync(join(dir, 'names'))) continue;
    const live = liveEntries(dir);
    if (live.length) writeNamesFile(dir, live);
  }
}

/** Rewrite `names` from the live entries (rename: the responder never reads half a file),
 * and the other networks' files, whose `also` lines may have changed with it. */
export function writeNames(netDir: string, entries: readonly NameEntry[]): void {
  writeNamesFile(netDir, entries);
  rewriteSiblings(netDir);
}

interface ResponderRecord {
  pid: number;
  startTime: string;
  address: string;
}

function readResponder(netDir: string): ResponderRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(netDir, 'dns.json'), 'utf8')) as ResponderRecord;
  } catch {
    return undefined;
  }
}

export function responderAlive(netDir: string): boolean {
  const r = readResponder(netDir);
  return r !== undefined && processAlive(r.pid, r.startTime);
}

/** hx-dns on ADDRESS:53 in the namespace NSPATH, unless one runs; resolves once it listens.
 * UPSTREAMS: where it forwards the questions of clients without --dns of their own. */
export async function ensureResponder(nsPath: string, netDir: string, address: string, upstreams: readonly string[]): Promise<void> {
  if (responderAlive(netDir)) return;
  const bin = join(buildDir(), 'hx-dns');
  if (!existsSync(bin)) throw new HxError(`${bin} is missing`, { kind: 'host-setup', hint: 'build hx again (npm run build)' });
  const log = openSync(join(netDir, 'dns.log'), 'w', 0o600);
  const child = spawn('nsenter', [`--net=${nsPath}`, '--', bin, address, join(netDir, 'names'), ...upstreams], { detached: true, stdio: ['ignore', 'pipe', log] });
  closeSync(log);
  // recorded before the wait for it: an hx killed meanwhile leaves a responder the next stop can name
  // (nsenter execs hx-dns: the same pid, the same start time)
  if (child.pid !== undefined) writeFileSync(join(netDir, 'dns.json'), JSON.stringify({ pid: child.pid, startTime: readProcStat(child.pid)?.startTime ?? '', address }), { mode: 0o600 });
  const ready = await new Promise<boolean>((resolve) => {
    let out = '';
    const timer = setTimeout(() => resolve(false), 5000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  child.stdout!.destroy();
  child.unref();
  if (!ready || child.pid === undefined) {
    const why = (() => {
      try {
        return readFileSync(join(netDir, 'dns.log'), 'utf8').trim();
      } catch {
        return '';
      }
    })();
    try {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
    } catch {
      /* it exited already (a bad command line, a taken port): the log says why */
    }
    rmSync(join(netDir, 'dns.json'), { force: true });
    throw new HxError(`the DNS responder of the network did not start${why ? `: ${why}` : ''}`, { kind: 'unavailable', hint: 'HX_DEBUG=1 for details; is another process on port 53 of the gateway?' });
  }
}

/** Stop the network's responder: its names file removed (it exits on its own) and a SIGTERM;
 * the other networks' `also` lines naming it go too. */
export function stopResponder(netDir: string): void {
  rmSync(join(netDir, 'names'), { force: true });
  rewriteSiblings(netDir);
  const r = readResponder(netDir);
  if (r && processAlive(r.pid, r.startTime)) {
    try {
      process.kill(r.pid, 'SIGTERM');
    } catch {
      /* gone already */
    }
  }
  rmSync(join(netDir, 'dns.json'), { force: true });
}
