// How layers are written in this process: rootful (real ids, trusted.* xattrs, device
// nodes) or inside the rootless namespace (user.overlay.opaque, no devices, and in a
// single-id namespace, ownership kept at root). Derived from the one HostMode value.
import { opaqueXattr, type HostMode } from '../host/mode.js';
import type { ApplyOptions } from './apply.js';

export type LayerContext = Omit<ApplyOptions, 'root' | 'lowers'>;

export const DEFAULT_MAX_LAYER_ENTRIES = 1_000_000;

export function layerContext(mode: HostMode, opts: { maxEntries?: number; umask?: number } = {}): LayerContext {
  return {
    opaqueXattr: opaqueXattr(mode),
    maxEntries: opts.maxEntries ?? DEFAULT_MAX_LAYER_ENTRIES,
    createDevices: !mode.rootless,
    ignoreChownErrors: mode.rootless && mode.singleId,
    umask: opts.umask ?? process.umask(),
  };
}
