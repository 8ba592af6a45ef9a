// `hx images` reads each image's created time and labels from the summary its record
// keeps (written when the image is stored), and from the config blob for records written
// before summaries existed: both give the same rows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { EngineContext } from '../../dist/engine/context.js';
import { listImages } from '../../dist/engine/images/list.js';
import { Filters } from '../../dist/engine/filters.js';
import { imageSource } from '../../dist/image/source.js';
import { storeImage } from '../../dist/image/store-image.js';
import { makeTar } from '../lib/tar-build.mjs';

const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const base = mkdtempSync(join(tmpdir(), 'hx-summary-'));
const me = { uid: process.getuid(), gid: process.getgid() };
const layerCtx = { opaqueXattr: 'user.overlay.opaque', maxEntries: 1000, createDevices: false, ignoreChownErrors: false, umask: process.umask() };
// as the process finds itself, but with the store usable outside hx's namespace (a unit test)
const mode = { rootless: false, uid: me.uid, gid: me.gid, uidMap: [], gidMap: [], singleId: false };

function source(name, config) {
  const layer = makeTar([{ name: 'f', data: name, ...me }]);
  const bytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', ...config, rootfs: { type: 'layers', diff_ids: [sha(layer)] } }));
  return imageSource({ configBytes: bytes, names: [`docker.io/library/${name}:latest`], layers: [{ open: () => Readable.from([layer]), mediaType: 'application/vnd.oci.image.layer.v1.tar', label: name }] });
}

test('the record keeps the config created time and labels; listing without the summary gives the same rows', async () => {
  const ctx = new EngineContext({ storageRoot: join(base, 'store'), mode, env: {} });
  const store = ctx.store;
  const labelled = await storeImage(store, source('labelled', { created: '2020-05-06T07:08:09Z', config: { Labels: { team: 'a', tier: 'web' } } }), layerCtx);
  const bare = await storeImage(store, source('bare', {}), layerCtx);
  assert.equal(labelled.summary, { created: '2020-05-06T07:08:09Z', labels: { team: 'a', tier: 'web' } });
  assert.equal(bare.summary, { labels: {} }); // no created: the store time is shown

  const withSummary = listImages(ctx);
  const byName = Object.fromEntries(withSummary.map((r) => [r.repository, r]));
  assert.is(byName.labelled.created, '2020-05-06T07:08:09Z');
  assert.equal(byName.labelled.labels, { team: 'a', tier: 'web' });
  assert.is(byName.bare.created, bare.created);
  assert.equal(listImages(ctx, { filters: Filters.fromFlags(['label=team=a']) }).map((r) => r.repository), ['labelled']);

  // records of an older hx: no summary; the config is read instead
  for (const rec of [labelled, bare]) {
    const { summary, ...old } = rec;
    store.putImage(old);
  }
  assert.is(store.getImage(labelled.id).summary, undefined);
  assert.equal(listImages(ctx), withSummary);
  assert.equal(listImages(ctx, { filters: Filters.fromFlags(['label=team=a']) }).map((r) => r.repository), ['labelled']);

  // an old record whose config blob is gone: the store time and no labels, as before
  unlinkSync(store.blobPath(labelled.id));
  const row = listImages(ctx).find((r) => r.repository === 'labelled');
  assert.is(row.created, labelled.created);
  assert.equal(row.labels, {});
});

test.after(() => rmSync(base, { recursive: true, force: true }));
test.run();
