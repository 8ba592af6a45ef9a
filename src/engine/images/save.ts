// `hx save`: images of the store as a docker-archive (docker 25's dual layout) or an OCI archive.
import { createWriteStream, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { normalizedName, resolveImage } from '../../image/resolve.js';
import { StoreImage } from '../../image/store-source.js';
import type { EngineContext } from '../context.js';
import { imageEvent } from '../events.js';

export type SaveFormat = 'docker-archive' | 'oci-archive';

/** `hx save`: IMAGES into OUTPUT (a file path, or a stream). A failed save removes the file. */
export async function saveImages(ctx: EngineContext, refs: string[], output: string | Writable, format: SaveFormat = 'docker-archive'): Promise<void> {
  const store = ctx.store;
  const { writeDockerArchive, writeOciArchive } = await import('../../image/archive/write.js');
  const images = [...new Map(refs.map((r) => {
    const rec = resolveImage(store, r);
    const name = normalizedName(r);
    // Save under the names asked for (docker saves only the given tag, not every name).
    const named = name && rec.names.includes(name) ? { ...rec, names: [name] } : rec;
    return [rec.id + (name ?? ''), named] as const;
  })).values()];
  const sources: StoreImage[] = [];
  try {
    for (const rec of images) sources.push(await StoreImage.open(store, rec));
  } catch (e) {
    for (const s of sources) s.release();
    throw e;
  }
  const file = typeof output === 'string' ? output : undefined;
  const out = file !== undefined ? createWriteStream(file, { mode: 0o644 }) : (output as Writable);
  try {
    if (format === 'oci-archive') await writeOciArchive(sources, out);
    else await writeDockerArchive(sources, out);
    for (const rec of images) imageEvent(store, 'save', rec.id, rec.id);
    if (file !== undefined) await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  } catch (e) {
    if (file !== undefined) {
      out.destroy();
      rmSync(file, { force: true });
    }
    throw e;
  } finally {
    for (const s of sources) s.release();
  }
}
