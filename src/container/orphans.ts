// The sweep every command runs when it opens the store: containers whose foreground hx
// died (kill -9, a crash, a closed terminal) were killed with it by their tether
// (native/lib/child.c); what they left is unmounted here, and removed (--rm) or
// recorded as exited (docker's 137 for a SIGKILL).
import type { HostMode } from '../host/mode.js';
import { storageDriver } from '../layer/drivers/index.js';
import type { Store } from '../store/store.js';
import { signalPid } from '../sys/spawn.js';
import { removeContainerCgroup } from './cgroup.js';
import { dirsFor, driverName } from './rootfs.js';
import { containerAlive } from './state.js';
import { stopHelperOf } from './network.js';

export function sweepOrphans(store: Store, mode: HostMode): string[] {
  const swept: string[] = [];
  for (const orphan of store.owners.orphans()) {
    try {
      const rec = store.getContainer(orphan.id);
      if (rec) {
        // A container that outlived its owner (it cleared its parent-death signal, and
        // its monitor or tether was killed too) is not left running unseen.
        const st = store.containers.state(rec.id);
        if (containerAlive(st)) signalPid(st.pid, st.pidStart, 9);
        stopHelperOf(store.containerDir(rec.id));
        try {
          storageDriver(driverName(rec)).unmount(dirsFor(store, mode, rec));
        } catch {
          /* its layers are gone: nothing can be mounted over them */
        }
        try {
          removeContainerCgroup(store.containerDir(rec.id));
        } catch {
          /* its last processes are still exiting: the next sweep or rm gets it */
        }
        if (rec.autoRemove) {
          store.containers.releaseName(rec.name, rec.id);
          store.discard(store.containerDir(rec.id));
        } else if (st.status === 'running' || st.status === 'restarting' || st.status === 'paused') {
          store.containers.putState(rec.id, { ...st, status: 'exited', exitCode: st.exitCode || 137, pid: 0, pidStart: '', finishedAt: new Date().toISOString(), error: 'its owner died' });
        }
      }
      swept.push(orphan.id);
    } finally {
      orphan.done();
    }
  }
  return swept;
}
