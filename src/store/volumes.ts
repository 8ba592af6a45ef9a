// Volumes as the store keeps them: volumes/<name>/volume.json (docker's volume document,
// written once) beside volumes/<name>/_data (what containers see). A volume is staged in
// volumes/.staging and renamed into place, so a name is taken by exactly one command and a
// killed one leaves only the staging dir, which the next create replaces. Create and remove under the store lock: that lock is also
// what container creation holds while it records which volumes it uses.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HxError } from '../errors.js';
import { fsyncDir, readJson } from './atomic.js';

/** docker's Volume (moby api/types/volume), as `docker volume inspect` prints it. */
export interface VolumeRecord {
  Name: string;
  Driver: 'local';
  /** RFC 3339, seconds, the host's offset (moby's time.Format(time.RFC3339)). */
  CreatedAt: string;
  Labels: Record<string, string>;
  /** The local driver's options (type, device, o): {} from `volume create` without any, null for a container's volume. */
  Options: Record<string, string> | null;
  Scope: 'local';
}

/** docker 28's label on anonymous volumes (prune without -a removes only these). */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

// The store's own guard: names become directory names, so nothing but docker's rule passes.
export const VOLUME_DIR_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const SAFE_NAME = VOLUME_DIR_NAME;
/** Where a create stages its volume (under the store lock; a dead create's is replaced). */
export const VOLUME_STAGING = '.staging';
const STAGING = VOLUME_STAGING;

/** PATH with DATA, on disk before the rename that publishes its directory. */
function writeDurably(path: string, data: string): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    const buf = Buffer.from(data);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class VolumeRecords {
  constructor(readonly dir: string) {}

  private checked(name: string): string {
    if (!SAFE_NAME.test(name)) throw new HxError(`invalid volume name ${JSON.stringify(name)}`, { kind: 'invalid-argument' });
    return name;
  }

  path(name: string): string {
    return join(this.dir, this.checked(name));
  }

  /** The directory containers mount. */
  dataPath(name: string): string {
    return join(this.path(name), '_data');
  }

  get(name: string): VolumeRecord | undefined {
    if (!SAFE_NAME.test(name)) return undefined;
    return readJson<VolumeRecord>(join(this.dir, name, 'volume.json'));
  }

  names(): string[] {
    let entries: string[];
    try {
      entries = readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return entries.filter((n) => SAFE_NAME.test(n)).sort();
  }

  list(): VolumeRecord[] {
    return this.names().flatMap((n) => {
      const rec = this.get(n);
      return rec ? [rec] : [];
    });
  }

  /**
   * A new volume with an empty _data (mode 0755, as docker's local driver makes it). Call
   * under the store lock. Returns the existing record instead when NAME is taken.
   */
  create(rec: VolumeRecord): { record: VolumeRecord; created: boolean } {
    const existing = this.get(rec.Name);
    if (existing) return { record: existing, created: false };
    const dest = this.path(rec.Name);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // One staging dir: creators hold the store lock, so whatever is there is a dead one's
    // (a temp dir of the store's would cost a lock file per volume: ~4 ms of the ~8).
    const staged = join(this.dir, STAGING);
    rmSync(staged, { recursive: true, force: true });
    mkdirSync(join(staged, '_data'), { recursive: true, mode: 0o755 });
    writeDurably(join(staged, 'volume.json'), JSON.stringify(rec, null, 2) + '\n');
    try {
      renameSync(staged, dest);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw e;
      // a directory without volume.json: debris of a crash between mkdir and write in older code
      rmSync(dest, { recursive: true, force: true });
      renameSync(staged, dest);
    }
    fsyncDir(this.dir);
    return { record: rec, created: true };
  }

  /** Move the volume out of volumes/ (into DISCARD, which deletes it). Call under the store lock. */
  remove(name: string, discard: (path: string) => void): void {
    discard(this.path(name));
  }
}
