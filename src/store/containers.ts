// Containers as the store keeps them: containers/<id>/container.json, the record written
// when the container is created (what it is: image, layers, settings, docker's Config and
// HostConfig as created), and containers/<id>/state.json, what it is doing (written by
// its owner: the monitor of a detached container, or the hx process of a foreground one).
// Names are unique through container-names/<name> files (beside containers/) created
// with O_EXCL, so two commands that pick the same name at once cannot both get it.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readJson, writeJsonAtomic } from './atomic.js';

export const CONTAINER_ID = /^[a-f0-9]{64}$/;

/** Docker's states (State.Status). */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** Who supervises a running container: a monitor process, or a foreground hx command. */
export interface ContainerOwner {
  kind: 'monitor' | 'foreground';
  pid: number;
  /** /proc/PID/stat start time: a pid with another start time is not this owner. */
  start: string;
}

export interface HealthResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface ContainerHealth {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: HealthResult[];
}

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  pidStart: string;
  owner?: ContainerOwner;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  restartCount: number;
  oomKilled: boolean;
  error: string;
  health?: ContainerHealth | null;
}

export interface ContainerRecord {
  id: string;
  /** Unique, without docker's leading "/". */
  name: string;
  /** Image ID and the reference it was asked for by. */
  image: string;
  imageRef: string;
  /** Chain IDs of the image's layers: GC keeps them while the record exists. */
  layers: string[];
  driver: string;
  /** Where the container's root filesystem is (the overlay mount point or the vfs copy). */
  rootfs: string;
  upper?: string;
  work?: string;
  created: string;
  /** --rm: removed when it exits (also by the sweep after its owner died). */
  autoRemove?: boolean;
  /** What hx needs to start it again (runtime options as JSON: bigints as strings). */
  spec?: Record<string, unknown>;
  /** docker's Config and HostConfig as the container was created (for inspect). */
  config?: Record<string, unknown>;
  hostConfig?: Record<string, unknown>;
}

export const EMPTY_STATE: ContainerState = {
  status: 'created',
  pid: 0,
  pidStart: '',
  startedAt: '',
  finishedAt: '',
  exitCode: 0,
  restartCount: 0,
  oomKilled: false,
  error: '',
};

export class ContainerRecords {
  readonly namesDir: string;
  constructor(readonly dir: string) {
    this.namesDir = join(dirname(dir), 'container-names');
  }

  containerDir(id: string): string {
    return join(this.dir, id);
  }

  get(id: string): ContainerRecord | undefined {
    if (!CONTAINER_ID.test(id)) return undefined;
    try {
      return readJson<ContainerRecord>(join(this.containerDir(id), 'container.json'));
    } catch {
      return undefined; // half-written by a killed command: treated as gone
    }
  }

  ids(): string[] {
    try {
      return readdirSync(this.dir).filter((n) => CONTAINER_ID.test(n));
    } catch {
      return [];
    }
  }

  list(): ContainerRecord[] {
    const out: ContainerRecord[] = [];
    for (const id of this.ids()) {
      const rec = this.get(id);
      if (rec) out.push(rec);
    }
    return out;
  }

  put(rec: ContainerRecord): void {
    writeJsonAtomic(join(this.containerDir(rec.id), 'container.json'), rec);
  }

  /** What the owner last wrote; a container nobody started is 'created'. */
  state(id: string): ContainerState {
    try {
      const raw = JSON.parse(readFileSync(join(this.containerDir(id), 'state.json'), 'utf8')) as Partial<ContainerState>;
      return { ...EMPTY_STATE, ...raw };
    } catch {
      return { ...EMPTY_STATE };
    }
  }

  /** Replace the state (rename over it; not fsynced: a state does not outlive a boot). */
  putState(id: string, st: ContainerState): void {
    const path = join(this.containerDir(id), 'state.json');
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(st) + '\n');
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }

  /** Take NAME for ID; false when another container has it. */
  reserveName(name: string, id: string): boolean {
    try {
      const fd = openSync(join(this.namesDir, name), 'wx', 0o600);
      writeSync(fd, id);
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        mkdirSync(this.namesDir, { recursive: true, mode: 0o700 }); // an older store has none yet
        return this.reserveName(name, id);
      }
      throw e;
    }
  }

  /** The container that holds NAME (undefined: free, or held by a record that is gone). */
  nameOwner(name: string): string | undefined {
    try {
      const id = readFileSync(join(this.namesDir, name), 'utf8').trim();
      return CONTAINER_ID.test(id) ? id : undefined;
    } catch {
      return undefined;
    }
  }

  releaseName(name: string, id: string): void {
    if (this.nameOwner(name) !== id) return;
    try {
      unlinkSync(join(this.namesDir, name));
    } catch {
      /* already released */
    }
  }
}
