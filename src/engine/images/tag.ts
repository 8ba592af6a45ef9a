// `hx tag` and `hx rmi`: names of images, and removing images nothing uses.
import { HxError, UsageError } from '../../errors.js';
import { displayName, normalizedName, resolveImage } from '../../image/resolve.js';
import type { EngineContext } from '../context.js';
import { imageEvent } from '../events.js';

export async function tagImage(ctx: EngineContext, source: string, target: string): Promise<void> {
  const store = ctx.store;
  const name = normalizedName(target);
  if (!name) throw new UsageError(`invalid reference format: "${target}"`, 'use NAME[:TAG], e.g. myapp:1.0');
  await store.locked(() => {
    const img = resolveImage(store, source);
    for (const other of store.listImages()) {
      if (other.id !== img.id && other.names.includes(name)) store.putImage({ ...other, names: other.names.filter((n) => n !== name) });
    }
    const fresh = store.getImage(img.id)!;
    if (!fresh.names.includes(name)) store.putImage({ ...fresh, names: [...fresh.names, name] });
    imageEvent(store, 'tag', img.id, displayName(name));
  });
}

export interface RmiResult {
  untagged: string[];
  deleted: string[];
}

/** `hx rmi`: untag a name, or delete an image (refused while a container uses it, unless force). */
export async function removeImages(ctx: EngineContext, refs: string[], force = false): Promise<RmiResult> {
  const store = ctx.store;
  const out: RmiResult = { untagged: [], deleted: [] };
  await store.locked(() => {
    for (const ref of refs) {
      const img = resolveImage(store, ref);
      const name = normalizedName(ref);
      const byName = name !== undefined && img.names.includes(name);
      if (byName && img.names.length > 1) {
        store.putImage({ ...img, names: img.names.filter((n) => n !== name) });
        out.untagged.push(displayName(name));
        imageEvent(store, 'untag', img.id, img.id);
        continue;
      }
      if (!byName && img.names.length > 1 && !force) {
        throw new HxError(`unable to delete ${img.id.slice(7, 19)} (must be forced): image is referenced in multiple repositories`, {
          hint: `remove the names one by one (hx rmi NAME) or use hx rmi -f ${img.id.slice(7, 19)}`,
        });
      }
      const users = store.listContainers().filter((c) => c.image === img.id);
      if (users.length && !force) {
        throw new HxError(`unable to remove image ${ref}: container ${users[0]!.id.slice(0, 12)} uses it`, {
          hint: `remove the container first (hx rm ${users[0]!.id.slice(0, 12)}) or use hx rmi -f`,
        });
      }
      for (const n of img.names) out.untagged.push(displayName(n));
      store.deleteImage(img.id);
      out.deleted.push(img.id);
      // moby: an untag for each name, then the delete, all named by the ID
      for (let i = 0; i < img.names.length; i++) imageEvent(store, 'untag', img.id, img.id);
      imageEvent(store, 'delete', img.id, img.id);
    }
    const removed = store.gc();
    out.deleted.push(...removed.layers);
  });
  return out;
}
