// Volumes as the store keeps them: volumes/<name>/volume.json (docker's volume document,
// written once) beside volumes/<name>/_data (what containers see). A volume is staged in a
// temp dir and renamed into place, so a name is taken by exactly one command and a killed
// one leaves only temp debris. Create and remove under the store lock: that lock is also
// what container creation holds while it records which volumes it uses.
import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { HxError } from '../errors.js';
import { readJson, writeJsonAtomic } from './atomic.js';
import type { TempDir } from './temp.js';

/** docker's Volume (moby api/types/volume), as `docker volume inspect` prints it. */
export interface VolumeRecord {
  Name: string;
  Driver: 'local';
  /** RFC 3339, seconds, the host's offset (moby's time.Format(time.RFC3339)). */
  CreatedAt: string;
  Labels: Record<string, string>;
  /** The local driver's options (type, device, o), null when none were given. */
  Options: Record<string, string> | null;
  Scope: 'local';
}

/** docker 28's label on anonymous volumes (prune without -a removes only these). */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

// The store's own guard: names become directory names, so nothing but docker's rule passes.
const SAFE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export class VolumeRecords {
  constructor(
    readonly dir: string,
    private readonly tempDir: (prefix: string) => TempDir,
  ) {}

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
    const t = this.tempDir('volume');
    try {
      const staged = join(t.path, 'v');
      mkdirSync(join(staged, '_data'), { recursive: true, mode: 0o755 });
      writeJsonAtomic(join(staged, 'volume.json'), rec);
      try {
        renameSync(staged, dest);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // a directory without volume.json: debris of an older crash, never a volume
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw e;
        const raced = this.get(rec.Name);
        if (raced) return { record: raced, created: false };
        renameSync(dest, join(t.path, 'debris'));
        renameSync(staged, dest);
      }
    } finally {
      t.release(true);
    }
    return { record: rec, created: true };
  }

  /** Move the volume out of volumes/ (into DISCARD, which deletes it). Call under the store lock. */
  remove(name: string, discard: (path: string) => void): void {
    discard(this.path(name));
  }
}
