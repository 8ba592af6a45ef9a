// Tar streams of `hx cp`: `hx cp - CTR:DIR` unpacks stdin into a private directory first
// (with the layer applier's rules: no entry is written through a symlink, no name leaves
// the directory), and only that directory is then copied into the container with the
// fd-relative tree copy, so nothing in the archive can aim at the container's own symlinks.
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HxError } from '../errors.js';
import { LayerWriter } from '../layer/apply.js';
import type { LayerContext } from '../layer/context.js';
import { tarWritable } from '../layer/tar/index.js';

/** Unpack the tar stream INPUT into the empty directory DIR (owners as the archive says,
 * where the namespace maps them). */
export async function unpackTar(input: Readable, dir: string, ctx: LayerContext): Promise<void> {
  const writer = new LayerWriter({ ...ctx, root: dir, lowers: [] });
  try {
    await pipeline(input, tarWritable({ onEntry: (e) => writer.begin(e), onData: (_e, d) => writer.data(d), onEntryEnd: () => writer.end() }));
    writer.finish();
  } catch (e) {
    writer.abort();
    if (e instanceof HxError) throw e;
    throw new HxError(`reading the tar archive: ${(e as Error).message}`, { kind: 'data', cause: e, hint: 'give a tar archive (not compressed) on stdin' });
  }
}

/** A tar stream of NAME under DIR (DIR itself for "."), written to OUT. */
export async function writeTreeTar(dir: string, name: string, out: Writable): Promise<void> {
  void dir;
  void name;
  void out;
  throw new HxError('hx cp CONTAINER:PATH - is not available yet', { kind: 'not-implemented', hint: 'copy to a directory, then tar it' });
}
