// One engine instance's settings and state: where its store is, the host mode, the user's
// environment (for their registry config, credentials, certificates), the storage driver.
// Everything below the engine gets these handed in; nothing below reads process.env or
// opens a store of its own.
import type { ContainerSpace } from '../container/space.js';
import { sweepOrphans } from '../container/orphans.js';
import { sweepTeardown } from '../container/bridge-network.js';
import { planeDir } from '../net/netns.js';
import { HxError } from '../errors.js';
import { currentHostMode, type HostMode } from '../host/mode.js';
import { runtimeDir as defaultRuntimeDir, storageRoot as defaultStorageRoot } from '../host/paths.js';
import { userFiles, type UserFiles } from '../host/user-files.js';
import { layerContext, type LayerContext } from '../layer/context.js';
import { chooseDriver } from '../layer/drivers/choose.js';
import type { DriverChoice, DriverName } from '../layer/drivers/types.js';
import { Store } from '../store/store.js';

export interface EngineOptions {
  /** Where images, layers and containers are kept (default: $HX_STORAGE_ROOT, else ~/.local/share/hx, root /var/lib/hx). */
  storageRoot?: string;
  /** Per-boot state: the holder's pid, caches (default: $HX_RUNTIME_DIR, else $XDG_RUNTIME_DIR/hx, root /run/hx). */
  runtimeDir?: string;
  /** overlay, fuse-overlayfs or vfs instead of what a trial mount chose for the store. */
  storageDriver?: DriverName;
  /** Rootless or rootful, as the process finds itself (default: read from /proc). */
  mode?: HostMode;
  /** The user's environment: XDG dirs, DOCKER_CONFIG, HX_AUTH_FILE... (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Refuse layers with more entries than this (default 1,000,000). */
  maxLayerEntries?: number;
  /** Timing marks for `hx bench run`. */
  onPhase?: (name: string) => void;
  /** --network when none is given (default: $HX_DEFAULT_NETWORK, else rootless a helper,
   * rootful the bridge): podman's containers.conf netns, dockerd's --bridge=none. */
  defaultNetwork?: string;
}

export class EngineContext implements ContainerSpace {
  readonly mode: HostMode;
  readonly storageRoot: string;
  readonly runtimeDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly files: UserFiles;
  readonly storageDriver: DriverName | undefined;
  readonly onPhase: ((name: string) => void) | undefined;
  readonly defaultNetwork: string | undefined;
  private readonly maxLayerEntries: number | undefined;
  private opened: Store | undefined;
  private chosen: DriverChoice | undefined;

  constructor(o: EngineOptions = {}) {
    this.env = o.env ?? process.env;
    this.mode = o.mode ?? currentHostMode();
    this.storageRoot = o.storageRoot ?? defaultStorageRoot(this.env);
    this.runtimeDir = o.runtimeDir ?? defaultRuntimeDir(this.env);
    this.files = userFiles(this.env);
    this.storageDriver = o.storageDriver;
    // HX_MAX_LAYER_ENTRIES: a test knob the engine reads from the environment it is given
    const envMax = Number(this.env.HX_MAX_LAYER_ENTRIES);
    this.maxLayerEntries = o.maxLayerEntries ?? (Number.isInteger(envMax) && envMax > 0 ? envMax : undefined);
    this.onPhase = o.onPhase;
    this.defaultNetwork = o.defaultNetwork ?? (this.env.HX_DEFAULT_NETWORK || undefined);
  }

  /** The store, opened once: created, cleaned of dead commands' temp files and of
   * containers whose owner died. Needs to run where layers can be written. */
  get store(): Store {
    if (!this.opened) {
      this.requireNamespace();
      this.opened = new Store(this.storageRoot).init();
      sweepOrphans(this.opened, this.mode);
      if (!this.mode.rootless) sweepTeardown(planeDir(this.runtimeDir));
    }
    return this.opened;
  }

  /** Is the store open already (e.g. to decide whether a cleanup needs it)? */
  get storeOpen(): boolean {
    return this.opened !== undefined;
  }

  layerContext(): LayerContext {
    return layerContext(this.mode, this.maxLayerEntries !== undefined ? { maxEntries: this.maxLayerEntries } : {});
  }

  /** The driver of new containers: the override, else the store's recorded or probed one. */
  driver(): DriverChoice {
    this.chosen ??= chooseDriver(this.store, this.mode, this.storageDriver);
    return this.chosen;
  }

  /** Rootless work on layers needs the holder's user namespace (all ids mapped). */
  private requireNamespace(): void {
    if (!this.mode.rootless || this.mode.uidMap.some((e) => e.inside === 0 && e.outside === this.mode.uid)) return;
    throw new HxError('this process is not inside hx\'s user namespace', {
      kind: 'host-setup',
      hint: 'run it through the hx launcher: `hx unshare -- node program.js` (rootless images and containers need the namespace)',
    });
  }
}
