// The layer writer: a tar of files on disk (layer/tree-tar.ts) read back by GNU tar, and
// the parallel gzip (layer/compress.ts): one valid gzip stream whose digests are what
// sha256 of the bytes says, the same bytes for the same input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { changeItems, treeTar, walkTree } from '../../dist/layer/tree-tar.js';
import { parallelGzip, writeCompressed } from '../../dist/layer/compress.js';

const work = mkdtempSync(join(tmpdir(), 'hx-lw-'));
const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function collect(gen) {
  const out = [];
  for await (const c of gen) out.push(c);
  return Buffer.concat(out);
}

test('parallel gzip: members in order, one stream to gunzip, deterministic', async () => {
  const input = Buffer.concat([randomBytes(3 << 20), Buffer.alloc(2 << 20, 'a'), randomBytes(12345)]);
  const chunks = [];
  for (let i = 0; i < input.length; i += 100_000) chunks.push(input.subarray(i, i + 100_000));
  const a = await collect(parallelGzip(chunks));
  const b = await collect(parallelGzip([input], 6, 2));
  assert.ok(a.equals(b), 'the same bytes whatever the chunking and concurrency');
  assert.ok(gunzipSync(a).equals(input));
  const gz = spawnSync('gzip', ['-dc'], { input: a, maxBuffer: 1 << 26 });
  assert.is(gz.status, 0);
  assert.ok(gz.stdout.equals(input), 'GNU gzip reads the members as one file');
  assert.ok(gunzipSync(await collect(parallelGzip([]))).length === 0, 'empty input: a valid empty gzip');
});

test('writeCompressed: diff_id over the tar, digest over the blob, sizes', async () => {
  const tar = randomBytes(1_500_000);
  for (const compression of ['gzip', 'none']) {
    const file = join(work, `blob-${compression}`);
    const r = await writeCompressed([tar], file, { compression });
    const blob = readFileSync(file);
    assert.is(r.diffId, sha(tar));
    assert.is(r.digest, sha(blob));
    assert.is(r.size, tar.length);
    assert.is(r.compressedSize, blob.length);
    if (compression === 'none') assert.ok(blob.equals(tar));
    else assert.ok(gunzipSync(blob).equals(tar));
  }
});

test('a tree as tar: types, hardlinks, whiteouts and opaque markers, as GNU tar reads them', async () => {
  const root = join(work, 'tree');
  mkdirSync(join(root, 'd/sub'), { recursive: true });
  writeFileSync(join(root, 'd/a'), 'aaa');
  writeFileSync(join(root, 'd/sub/big'), Buffer.alloc(3_000_001, 7));
  linkSync(join(root, 'd/a'), join(root, 'd/b'));
  symlinkSync('../d/a', join(root, 'd/link'));
  const whole = await collect(treeTar(walkTree(root), { root }));
  const file = join(work, 'whole.tar');
  writeFileSync(file, whole);
  const list = spawnSync('tar', ['-tvf', file], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(5).join(' '));
  assert.equal(list, ['d/', 'd/a', 'd/b link to d/a', 'd/link -> ../d/a', 'd/sub/', 'd/sub/big']);
  const x = join(work, 'x');
  mkdirSync(x);
  assert.is(spawnSync('tar', ['-C', x, '-xf', file]).status, 0);
  assert.ok(readFileSync(join(x, 'd/sub/big')).equals(readFileSync(join(root, 'd/sub/big'))));
  assert.ok(whole.equals(await collect(treeTar(walkTree(root), { root }))), 'the same tree gives the same bytes');

  const changes = [
    { path: '/d', kind: 'C', opaque: true },
    { path: '/d/a', kind: 'A' },
    { path: '/d/gone', kind: 'D' }, // inside the opaque dir: the marker hides it already
    { path: '/e', kind: 'D' },
  ];
  const layer = join(work, 'layer.tar');
  writeFileSync(layer, await collect(treeTar(changeItems(changes), { root })));
  const names = spawnSync('tar', ['-tf', layer], { encoding: 'utf8' }).stdout.trim().split('\n');
  assert.equal(names, ['d/', 'd/.wh..wh..opq', 'd/a', '.wh.e']);
});

test('entries are resolved inside the root: a symlink on the way is never followed', async () => {
  const outside = join(work, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'canary');
  const root = join(work, 'swapped');
  mkdirSync(join(root, 'real'), { recursive: true });
  writeFileSync(join(root, 'real/file'), 'mine');
  symlinkSync(outside, join(root, 'link'));
  symlinkSync('/', join(root, 'up'));
  const stats = { entries: 0, files: 0, bytes: 0, hardlinks: 0, skipped: [] };
  const tar = await collect(treeTar([{ kind: 'entry', name: 'real/file' }, { kind: 'entry', name: 'link/secret' }, { kind: 'entry', name: 'up' + outside + '/secret' }, { kind: 'entry', name: 'link' }], { root }, stats));
  assert.not.ok(tar.includes(Buffer.from('canary')), 'nothing read through a symlink');
  assert.ok(tar.includes(Buffer.from('mine')));
  assert.equal(stats.skipped, ['link/secret', `up${outside}/secret`]);
  // the walk lists a symlink as an entry and never descends into it
  const names = [...walkTree(root)].map((i) => i.name);
  assert.equal(names, ['link', 'real', 'real/file', 'up']);
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
