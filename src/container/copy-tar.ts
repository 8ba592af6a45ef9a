// Tar streams of `hx cp`: `hx cp - CTR:DIR` unpacks stdin into a private directory first
// (with the layer applier's rules: no entry is written through a symlink, no name leaves
// the directory), and only that directory is then copied into the container with the
// fd-relative tree copy, so nothing in the archive can aim at the container's own symlinks.
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HxError } from '../errors.js';
import { LayerWriter } from '../layer/apply.js';
import type { LayerContext } from '../layer/context.js';
import { tarWritable } from '../layer/tar/index.js';
import { treeTar, walkTree, type TreeItem, type TreeTarStats } from '../layer/tree-tar.js';

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

/** A tar stream of NAME under DIR (".": DIR itself, its entries as "./NAME"), written to
 * OUT: the archive docker's daemon sends for `docker cp CTR:PATH -`. DIR is private to
 * this command (the container's files were copied there first), so reading it by host
 * path cannot be redirected by the container. */
export async function writeTreeTar(dir: string, name: string, out: Writable): Promise<TreeTarStats> {
  const top = name === '.' ? dir : join(dir, name);
  const stats: TreeTarStats = { entries: 0, files: 0, bytes: 0, hardlinks: 0, skipped: [] };
  function* items(): Generator<TreeItem> {
    yield { kind: 'path', name, hostPath: top };
    if (lstatSync(top).isDirectory()) yield* walkTree(dir, name);
  }
  await pipeline(Readable.from(treeTar(items(), { root: dir }, stats)), out, { end: false });
  return stats;
}
