// How layers are written in this process: rootful (real ids, trusted.* xattrs, device
// nodes) or inside the rootless namespace (user.overlay.opaque, no devices, and in a
// single-id namespace, ownership kept at root).
import { readFileSync } from 'node:fs';
import { isRootful } from '../runtime/paths.js';
import type { ApplyOptions } from './apply.js';

export type LayerContext = Omit<ApplyOptions, 'root' | 'lowers'>;

/** True when this process's user namespace maps a single id (no subuid range). */
export function singleIdNamespace(): boolean {
  try {
    const lines = readFileSync('/proc/self/uid_map', 'utf8').trim().split('\n');
    const total = lines.reduce((n, l) => n + Number(l.trim().split(/\s+/)[2] ?? 0), 0);
    return total <= 1;
  } catch {
    return false;
  }
}

export function opaqueXattrName(): string {
  return isRootful() ? 'trusted.overlay.opaque' : 'user.overlay.opaque';
}

export function layerContext(): LayerContext {
  const rootful = isRootful();
  const envMax = Number(process.env.HX_MAX_LAYER_ENTRIES);
  return {
    opaqueXattr: opaqueXattrName(),
    maxEntries: Number.isInteger(envMax) && envMax > 0 ? envMax : 1_000_000,
    createDevices: rootful,
    ignoreChownErrors: !rootful && singleIdNamespace(),
    umask: process.umask(),
  };
}
