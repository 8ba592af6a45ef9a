// What container code needs from the engine: the store, the host mode and the storage
// driver chosen for this store. Handed in; container/ never opens a store or asks the host.
import type { HostMode } from '../host/mode.js';
import type { LayerContext } from '../layer/context.js';
import type { DriverChoice } from '../layer/drivers/types.js';
import type { Store } from '../store/store.js';

export interface ContainerSpace {
  store: Store;
  mode: HostMode;
  /** The driver new containers get (the store's, or the --storage-driver override). */
  driver(): DriverChoice;
  layerContext(): LayerContext;
  /** Timing marks for `hx bench run` (engine/phases.ts). */
  onPhase?(name: string): void;
}
