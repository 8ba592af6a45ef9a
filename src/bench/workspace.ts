// The bench's scratch space: one temp dir (under --dir, $TMPDIR or the store's tmp/),
// checked for free space before anything is written, and removed at the end, on error and
// on Ctrl-C (the engine calls cleanup(); the CLI calls it from its signal handler).
import { spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HxError } from '../errors.js';
import { filesystemOf } from '../host/filesystem.js';
import { formatBytes } from './stats.js';

export class NotEnoughSpace extends HxError {
  constructor(dir: string, need: number, free: number, what: string) {
    super(`${what} needs about ${formatBytes(need)} in ${dir}, but only ${formatBytes(free)} is free there`, {
      kind: 'unavailable',
      hint: 'use a smaller --size, free some space, or choose another place with --dir (e.g. --dir /dev/shm for memory)',
    });
    this.name = 'NotEnoughSpace';
  }
}

export interface WorkspaceParent {
  /** Where the temp dir goes. */
  dir: string;
  /** Called instead of mkdtemp, e.g. the store's tempDir (its lock lets a later command clean up). */
  make?: () => { path: string; release(remove?: boolean): void };
}

/** Say whether DIR can hold NEED bytes; throws NotEnoughSpace. Checked before writing anything. */
export function checkFreeSpace(dir: string, need: number, what: string): { free: number; filesystem: string } {
  const fs = filesystemOf(dir);
  if (need > fs.freeBytes) throw new NotEnoughSpace(dir, need, fs.freeBytes, what);
  return { free: fs.freeBytes, filesystem: fs.type };
}

/** A usable parent directory for --dir: exists, is a directory, writable. */
export function checkParentDir(dir: string): string {
  const abs = resolve(dir);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new HxError(`--dir ${dir}: no such directory`, { hint: 'create it first, or leave out --dir to use $TMPDIR or the store' });
  }
  if (!st.isDirectory()) throw new HxError(`--dir ${dir}: not a directory`);
  try {
    accessSync(abs, constants.W_OK | constants.X_OK);
  } catch {
    throw new HxError(`--dir ${dir}: not writable`, { hint: 'choose a directory you can write to' });
  }
  return abs;
}

/** Remove what a killed bench (SIGKILL: no handler ran) left in DIR: hx-bench-PID-* of dead PIDs. */
function sweepStale(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^hx-bench-(\d+)-[A-Za-z0-9]{6}$/.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue; // alive (or someone else's): leave it
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    try {
      if (statSync(join(dir, name)).uid !== process.getuid!()) continue;
      rmSync(join(dir, name), { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
}

export class Workspace {
  readonly path: string;
  private release: (remove?: boolean) => void;
  private children = new Set<ChildProcess>();
  private cleaned = false;

  constructor(parent: WorkspaceParent) {
    if (parent.make) {
      const t = parent.make();
      this.path = t.path;
      this.release = t.release;
    } else {
      sweepStale(parent.dir);
      this.path = mkdtempSync(join(parent.dir, `hx-bench-${process.pid}-`));
      this.release = () => rmSync(this.path, { recursive: true, force: true });
    }
  }

  /** A new empty dir inside the workspace. */
  dir(name: string): string {
    const p = join(this.path, name);
    rmSync(p, { recursive: true, force: true });
    mkdirSync(p, { recursive: true });
    return p;
  }

  file(name: string): string {
    return join(this.path, name);
  }

  /**
   * Flush the filesystem of the workspace (sync -f) so that one run's writeback, and the
   * deletion of the last run's files, are not charged to the next run. Untimed.
   */
  settle(): void {
    spawnSync('sync', ['-f', this.path], { stdio: 'ignore' });
  }

  /** Track a peer process so cleanup() can stop it first. */
  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  /** Stop tracked children (and wait for them: they may be writing here), then remove the temp dir. */
  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    const exits = [...this.children].map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      try {
        c.kill('SIGKILL');
      } catch {
        resolve();
      }
    }));
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 2000))]);
    this.release(true);
  }
}
