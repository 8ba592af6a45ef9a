// `hx load`: every image of a docker-archive or OCI archive/layout (a file, a directory
// or a stream), all or nothing.
import { closeSync, createReadStream, createWriteStream, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HxError } from '../../errors.js';
import { ArchiveError, DirSource, spoolIfNeeded, TarFileSource, type ArchiveSource } from '../../image/archive/source.js';
import { readArchive } from '../../image/archive/read.js';
import { imageId } from '../../image/source.js';
import { storeImage, type StoreImageEvent } from '../../image/store-image.js';
import type { ImageRecord, Store } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { imageEvent } from '../events.js';

export type { StoreImageEvent };

export interface LoadEvent {
  type: 'image';
  id: string;
  names: string[];
}

/** Where an archive comes from: a file or directory path, or a stream (standard input). */
export type ArchiveInput = string | Readable;

async function openArchive(store: Store, input: ArchiveInput): Promise<{ src: ArchiveSource; done: () => void }> {
  const temps: { release(remove?: boolean): void }[] = [];
  const done = (): void => {
    for (const t of temps) t.release(true);
  };
  try {
    if (typeof input === 'string' && existsSync(input) && statSync(input).isDirectory()) return { src: new DirSource(input), done };
    let file: string;
    let description: string;
    if (typeof input !== 'string') {
      const t = store.tempDir('stdin');
      temps.push(t);
      file = join(t.path, 'archive');
      description = 'standard input';
      await pipeline(input, createWriteStream(file, { mode: 0o600 }));
    } else if (!existsSync(input)) {
      throw new HxError(`open ${input}: no such file or directory`, { kind: 'not-found' });
    } else {
      file = input;
      description = input;
    }
    const head = Buffer.alloc(6);
    const fd = openSync(file, 'r');
    const n = readSync(fd, head, 0, 6, 0);
    closeSync(fd);
    const t = store.tempDir('archive');
    temps.push(t);
    const spool = join(t.path, 'archive.tar');
    const spooled = await spoolIfNeeded(() => createReadStream(file, { highWaterMark: 1 << 20 }), head.subarray(0, n), true, spool);
    return { src: new TarFileSource(spooled ? spool : file, description), done };
  } catch (e) {
    done();
    throw e;
  }
}

/** `hx load`: every image of a docker-archive or OCI archive/layout, all or nothing. */
export async function loadImages(ctx: EngineContext, input: ArchiveInput, onEvent: (e: LoadEvent | StoreImageEvent) => void = () => {}): Promise<ImageRecord[]> {
  const store = ctx.store;
  const { src, done } = await openArchive(store, input);
  const loaded: ImageRecord[] = [];
  const added: string[] = []; // images this load created (dropped again if a later one fails)
  try {
    const images = readArchive(src);
    if (images.length === 0) throw new ArchiveError(`${src.description} holds no images`);
    const layers = ctx.layerContext();
    for (const img of images) {
      const id = imageId(img);
      if (!store.getImage(id)) added.push(id);
      const rec = await storeImage(store, img, layers, onEvent);
      loaded.push(rec);
      onEvent({ type: 'image', id: rec.id, names: [...img.names] });
      imageEvent(store, 'load', rec.id, rec.id);
    }
    return loaded;
  } catch (e) {
    // All or nothing: drop the images this load added (not ones that were there before).
    await store.locked(() => {
      for (const id of added) store.deleteImage(id);
      store.gc();
    });
    throw e;
  } finally {
    src.close();
    done();
  }
}
