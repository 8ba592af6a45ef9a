// `hx import`: a root filesystem tarball (a file or a stream) as a one-layer image.
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HxError, UsageError } from '../../errors.js';
import { storeImage } from '../../image/store-image.js';
import { normalizedName } from '../../image/resolve.js';
import type { ImageRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { imageEvent } from '../events.js';

/** `hx import`: a rootfs tarball (file or '-') as a one-layer image named REF (optional). */
export async function importImage(ctx: EngineContext, input: string | Readable, ref: string | undefined, changes: string[], message?: string): Promise<ImageRecord> {
  const store = ctx.store;
  const name = ref === undefined ? undefined : normalizedName(ref);
  if (ref !== undefined && !name) throw new UsageError(`invalid reference format: "${ref}"`, 'use NAME[:TAG], e.g. myrootfs:1');
  const { importSource } = await import('../../image/import.js');
  let file: string;
  let spool: { release(remove?: boolean): void } | undefined;
  const fromStream = typeof input !== 'string';
  try {
    if (typeof input !== 'string') {
      const t = store.tempDir('import');
      spool = t;
      file = join(t.path, 'rootfs.tar');
      await pipeline(input, createWriteStream(file, { mode: 0o600 }));
    } else if (!existsSync(input) || !statSync(input).isFile()) {
      throw new HxError(`open ${input}: no such file`, { kind: 'not-found' });
    } else file = input;
    const src = await importSource(file, { changes, source: fromStream ? '-' : file, message, name, label: fromStream ? 'stdin' : file });
    const image = await storeImage(store, src, ctx.layerContext());
    imageEvent(store, 'import', image.id, image.id);
    return image;
  } finally {
    spool?.release(true);
  }
}
