// Which containers a live hx command supervises in the foreground. The owner holds an
// flock on containers/<id>/owner.lock for as long as it lives, and a marker
// running/<id> says there is something to check. The kernel drops the lock when the
// owner dies by any signal, so a marker whose lock can be taken belongs to a container
// nobody supervises any more: the next command that opens the store sweeps it.
// Ownership is proven by the held lock, never by a probe that could race.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flock, LOCK } from '../sys/libc.js';

export interface Claim {
  /** The fd holding the lock: a monitor started for the container inherits it. */
  readonly fd: number;
  /** The container is no longer owned (its marker goes first, then the lock). */
  release(): void;
  /** Another process (the monitor) holds the lock now: close ours, keep the marker. */
  handOver(): void;
}

export interface Orphan {
  id: string;
  /** Drop the marker and the lock taken while sweeping. */
  done(): void;
}

const ID = /^[a-f0-9]{64}$/;

export class ContainerOwners {
  readonly runningDir: string;
  constructor(private readonly containersDir: string, storeRoot: string) {
    this.runningDir = join(storeRoot, 'running');
  }

  private lockPath(id: string): string {
    return join(this.containersDir, id, 'owner.lock');
  }

  /** Become the owner of container ID (its directory exists). The lock comes before the
   * marker, so a sweeper never sees a marker of a live owner with a free lock. */
  claim(id: string): Claim {
    const fd = openSync(this.lockPath(id), 'a', 0o600);
    if (!flock(fd, LOCK.EX | LOCK.NB)) {
      closeSync(fd);
      throw new Error(`container ${id} is owned by another command`);
    }
    mkdirSync(this.runningDir, { recursive: true, mode: 0o700 });
    const marker = join(this.runningDir, id);
    writeFileSync(marker, '', { mode: 0o600 });
    let released = false;
    return {
      fd,
      release: () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(marker);
        } catch {
          /* already swept */
        }
        closeSync(fd);
      },
      handOver: () => {
        if (released) return;
        released = true;
        closeSync(fd);
      },
    };
  }

  /** End an ownership a monitor held (its cleanup runs after the container is gone). */
  unmark(id: string): void {
    try {
      unlinkSync(join(this.runningDir, id));
    } catch {
      /* already gone */
    }
  }

  /** Containers whose owner is gone, each with its lock now held by us. */
  orphans(): Orphan[] {
    let names: string[];
    try {
      names = readdirSync(this.runningDir);
    } catch {
      return [];
    }
    const out: Orphan[] = [];
    for (const id of names) {
      if (!ID.test(id)) continue;
      const marker = join(this.runningDir, id);
      let fd: number;
      try {
        fd = openSync(this.lockPath(id), 'r'); // never create: a missing lock is a gone container
      } catch {
        try {
          unlinkSync(marker);
        } catch {
          /* someone else did */
        }
        continue;
      }
      if (!flock(fd, LOCK.EX | LOCK.NB)) {
        closeSync(fd); // alive
        continue;
      }
      if (!existsSync(marker)) {
        closeSync(fd); // its owner finished and released it while we looked
        continue;
      }
      out.push({
        id,
        done: () => {
          try {
            unlinkSync(marker);
          } catch {
            /* already gone */
          }
          closeSync(fd);
        },
      });
    }
    return out;
  }
}
