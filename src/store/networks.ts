// User-defined networks as the store keeps them: networks/<id>.json, written once by
// `network create` (atomically, under the store lock, which is also what makes names unique:
// the creator scans the others before writing). Which containers use a network, and with
// which addresses, is in the containers' records (their endpoints), so removing a container
// frees its addresses without touching this file.
import { linkSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HxError } from '../errors.js';
import { readJson, writeJsonAtomic } from './atomic.js';

export const NETWORK_ID = /^[a-f0-9]{64}$/;

/** One IPAM pool (docker's IPAMConfig). */
export interface NetworkPoolRecord {
  Subnet: string;
  Gateway: string;
  /** Omitted: the whole subnet. */
  IPRange?: string;
}

/** The default bridge as a store keeps it: its pool, and its ID (none: the one of before). */
export interface DefaultBridgeRecord extends NetworkPoolRecord {
  Id?: string;
}

export interface NetworkRecord {
  Name: string;
  Id: string;
  /** RFC 3339 with nanoseconds, UTC (moby's network Created). */
  Created: string;
  Driver: 'bridge';
  Internal: boolean;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  IPAM: { Driver: 'default'; Options: Record<string, string>; Config: NetworkPoolRecord[] };
  /** The Linux bridge of this network (in hx's network namespace rootless, in the host's rootful). */
  bridge: string;
}

export class NetworkRecords {
  constructor(readonly dir: string) {}

  private file(id: string): string {
    if (!NETWORK_ID.test(id)) throw new HxError(`invalid network id ${JSON.stringify(id)}`, { kind: 'internal' });
    return join(this.dir, `${id}.json`);
  }

  get(id: string): NetworkRecord | undefined {
    if (!NETWORK_ID.test(id)) return undefined;
    try {
      return readJson<NetworkRecord>(this.file(id));
    } catch {
      return undefined;
    }
  }

  ids(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((n) => n.endsWith('.json'))
        .map((n) => n.slice(0, -5))
        .filter((id) => NETWORK_ID.test(id));
    } catch {
      return [];
    }
  }

  /** Every network, sorted by name. */
  list(): NetworkRecord[] {
    return this.ids()
      .flatMap((id) => {
        const r = this.get(id);
        return r ? [r] : [];
      })
      .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  }

  byName(name: string): NetworkRecord | undefined {
    return this.list().find((n) => n.Name === name);
  }

  /** Write a new network. Call under the store lock (after checking the name is free). */
  put(rec: NetworkRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeJsonAtomic(this.file(rec.Id), rec);
  }

  /** Call under the store lock. */
  remove(id: string): void {
    rmSync(this.file(id), { force: true });
  }

  /** The pool (and ID) of docker's default bridge (rootful), once chosen for this store. */
  defaultBridgePool(): DefaultBridgeRecord | undefined {
    try {
      return readJson<DefaultBridgeRecord>(join(this.dir, DEFAULT_BRIDGE_POOL));
    } catch {
      return undefined;
    }
  }

  /** POOL kept as the default bridge's unless another command kept one first (that one is
   * returned): no lock needed, the first link of the file wins. */
  keepDefaultBridgePool(pool: DefaultBridgeRecord): DefaultBridgeRecord {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const final = join(this.dir, DEFAULT_BRIDGE_POOL);
    const tmp = `${final}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(pool), { mode: 0o600 });
    try {
      linkSync(tmp, final);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      rmSync(tmp, { force: true });
    }
    return this.defaultBridgePool() ?? pool;
  }
}

/** Not a network record's name (those are <id>.json). */
const DEFAULT_BRIDGE_POOL = 'default-bridge.pool';
