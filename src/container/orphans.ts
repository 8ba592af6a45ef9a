// The sweep every command runs when it opens the store: containers whose foreground hx
// died (kill -9, a crash, a closed terminal) were killed with it by their tether
// (native/lib/spawn_child.c); what they left is unmounted here, and removed (--rm) or
// recorded as exited (docker's 137 for a SIGKILL).
import type { HostMode } from '../host/mode.js';
import { storageDriver } from '../layer/drivers/index.js';
import type { Store } from '../store/store.js';
import { dirsFor, driverName } from './rootfs.js';

export function sweepOrphans(store: Store, mode: HostMode): string[] {
  const swept: string[] = [];
  for (const orphan of store.owners.orphans()) {
    try {
      const rec = store.getContainer(orphan.id);
      if (rec) {
        try {
          storageDriver(driverName(rec)).unmount(dirsFor(store, mode, rec));
        } catch {
          /* its layers are gone: nothing can be mounted over them */
        }
        if (rec.autoRemove) store.discard(store.containerDir(rec.id));
        else if (rec.state === 'running') store.putContainer({ ...rec, state: 'exited', exitCode: 137, finishedAt: new Date().toISOString() });
      }
      swept.push(orphan.id);
    } finally {
      orphan.done();
    }
  }
  return swept;
}
