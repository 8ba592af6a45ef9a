// Applying layer tars (ingestLayer: decompress, digests, worker-thread writer) on a real
// filesystem, as whoever runs the unit tests. Hostile and broken inputs must fail with a
// clear message and must never write outside the layer dir.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { ingestLayer } from '../../dist/layer/ingest.js';
import { remapCapability, isForbiddenXattr } from '../../dist/layer/apply.js';
import { lgetxattr } from '../../dist/sys/libc.js';
import { makeTar } from '../lib/tar-build.mjs';

const me = { uid: process.getuid(), gid: process.getgid() };
const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const base = mkdtempSync(join(tmpdir(), 'hx-apply-'));
let n = 0;

function opts(root, lowers = [], extra = {}) {
  return { root, lowers, opaqueXattr: 'user.overlay.opaque', maxEntries: 1000, createDevices: false, ignoreChownErrors: false, umask: process.umask(), ...extra };
}

async function apply(entries, { gzip = false, lowers = [], extra = {}, raw } = {}) {
  const dir = join(base, `l${++n}`);
  mkdirSync(dir);
  const root = join(dir, 'diff');
  mkdirSync(root);
  const tar = raw ?? makeTar(entries.map((e) => ({ ...me, ...e })));
  const blob = gzip ? gzipSync(tar) : tar;
  const result = await ingestLayer({ source: Readable.from([blob]), apply: opts(root, lowers, extra) });
  return { root, dir, tar, blob, result };
}

async function rejects(entries, pattern, o = {}) {
  try {
    await apply(entries, o);
  } catch (e) {
    assert.match(e.message, pattern);
    return e;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

test('files, dirs, symlinks, hardlinks, fifos with modes and mtimes; both digests', async () => {
  const { root, tar, blob, result } = await apply([
    { name: './', type: 'dir', mode: 0o755 },
    { name: 'bin/', type: 'dir', mode: 0o755, mtime: 1600000000 },
    { name: 'bin/tool', data: 'hello\n', mode: 0o4755, mtime: 1600000001 },
    { name: 'bin/link', type: 'hardlink', linkname: 'bin/tool' },
    { name: 'bin/sym', type: 'symlink', linkname: '../etc/passwd', mtime: 1600000002 },
    { name: 'tmp/', type: 'dir', mode: 0o1777 },
    { name: 'run/fifo', type: 'fifo', mode: 0o600 },
  ], { gzip: true });
  assert.is(result.digest, sha(blob));
  assert.is(result.diffId, sha(tar));
  assert.is(result.compression, 'gzip');
  const tool = lstatSync(join(root, 'bin/tool'));
  assert.is(tool.mode & 0o7777, 0o4755);
  assert.is(tool.mtimeMs / 1000, 1600000001);
  assert.is(readFileSync(join(root, 'bin/tool'), 'utf8'), 'hello\n');
  assert.is(lstatSync(join(root, 'bin/link')).ino, tool.ino);
  assert.is(readlinkSync(join(root, 'bin/sym')), '../etc/passwd');
  assert.is(lstatSync(join(root, 'bin/sym')).mtimeMs / 1000, 1600000002);
  assert.is(lstatSync(join(root, 'bin')).mtimeMs / 1000, 1600000000, 'dir mtime set after its children');
  assert.is(lstatSync(join(root, 'tmp')).mode & 0o7777, 0o1777);
  assert.ok(lstatSync(join(root, 'run/fifo')).isFIFO());
  assert.is(lstatSync(join(root, 'run')).mode & 0o777, 0o755, 'missing parents are made 0755');
});

test('whiteouts become 0/0 char devices and opaque dirs get the xattr, wherever the marker is', async () => {
  const { root, result } = await apply([
    { name: 'a/', type: 'dir' },
    { name: 'a/keep', data: 'x' },
    { name: 'a/.wh..wh..opq', data: '' }, // after a sibling, as in the spec's example
    { name: '.wh.gone', data: '' },
    { name: 'b/.wh.old', data: '' },
  ]);
  const st = lstatSync(join(root, 'gone'));
  assert.ok(st.isCharacterDevice() && st.rdev === 0);
  assert.ok(lstatSync(join(root, 'b/old')).isCharacterDevice());
  assert.is(lgetxattr(join(root, 'a'), 'user.overlay.opaque')?.toString(), 'y');
  assert.ok(existsSync(join(root, 'a/keep')), 'the opaque marker hides lower layers only');
  assert.not.ok(existsSync(join(root, '.wh.gone')));
  assert.is(result.stats.whiteouts, 2);
  assert.is(result.stats.opaques, 1);
});

test('a whiteout never removes an entry of its own layer; a recreated dir is opaque', async () => {
  const { root } = await apply([
    { name: 'f', data: 'mine' },
    { name: '.wh.f', data: '' },
    { name: '.wh.d', data: '' },
    { name: 'd/', type: 'dir' },
    { name: 'd/x', data: '1' },
  ]);
  assert.is(readFileSync(join(root, 'f'), 'utf8'), 'mine');
  assert.ok(lstatSync(join(root, 'd')).isDirectory());
  assert.is(lgetxattr(join(root, 'd'), 'user.overlay.opaque')?.toString(), 'y');
});

test('an entry over a hardlinked file replaces it without touching the other link', async () => {
  const { root } = await apply([
    { name: 'a', data: 'original' },
    { name: 'b', type: 'hardlink', linkname: 'a' },
    { name: 'b', data: 'replaced' },
    { name: 'dir/', type: 'dir' },
    { name: 'dir', data: 'now a file' },
  ]);
  assert.is(readFileSync(join(root, 'a'), 'utf8'), 'original');
  assert.is(readFileSync(join(root, 'b'), 'utf8'), 'replaced');
  assert.is(readFileSync(join(root, 'dir'), 'utf8'), 'now a file');
});

test('overlay xattrs from the tar are dropped; others are kept; v3 capabilities become v2', async () => {
  const { root } = await apply([
    { name: 'f', data: 'x', pax: { 'SCHILY.xattr.user.overlay.opaque': 'y', 'SCHILY.xattr.user.note': 'kept' } },
  ]);
  assert.is(lgetxattr(join(root, 'f'), 'user.overlay.opaque'), null);
  assert.is(lgetxattr(join(root, 'f'), 'user.note')?.toString(), 'kept');
  assert.ok(isForbiddenXattr('trusted.overlay.opaque'));
  assert.ok(isForbiddenXattr('user.overlay.redirect'));
  assert.not.ok(isForbiddenXattr('security.capability'));
  const v3 = Buffer.alloc(24);
  v3.writeUInt32LE(0x03000001, 0);
  v3.writeUInt32LE(0x2000, 4); // cap_net_bind_service... any bits
  v3.writeUInt32LE(100000, 20); // rootid of some other namespace
  const v2 = remapCapability(v3);
  assert.is(v2.length, 20);
  assert.is(v2.readUInt32LE(0), 0x02000001);
  assert.is(v2.readUInt32LE(4), 0x2000);
});

test('hostile names are refused before anything is written outside', async () => {
  const outside = join(base, 'outside');
  mkdirSync(outside, { recursive: true });
  await rejects([{ name: '../../x', data: 'x' }], /climbs|escapes|outside|above/i);
  await rejects([{ name: '/abs', data: 'x' }], /absolute/);
  await rejects([{ name: 'up', type: 'symlink', linkname: '..' }, { name: 'up/escaped', data: 'x' }], /symlink "up"/);
  await rejects([{ name: 'root', type: 'symlink', linkname: '/' }, { name: 'root/tmp/escaped', data: 'x' }], /symlink "root"/);
  await rejects([{ name: 'l', type: 'symlink', linkname: outside }, { name: 'l/f', data: 'x' }], /symlink/);
  await rejects([{ name: 'h', type: 'hardlink', linkname: '../../../etc/passwd' }], /outside the layer/);
  await rejects([{ name: 'h', type: 'hardlink', linkname: '/etc/passwd' }], /absolute/);
  await rejects([{ name: 's', type: 'symlink', linkname: '/etc' }, { name: 'h', type: 'hardlink', linkname: 's/passwd' }], /through the symlink "s"/);
  await rejects([{ name: 'h', type: 'hardlink', linkname: 'nothere' }], /neither in this layer nor below/);
  await rejects([{ name: 'a/.wh.', data: '' }], /bare|\.wh\./);
  assert.not.ok(existsSync(join(outside, 'f')));
  assert.not.ok(existsSync(join(base, 'x')));
  assert.not.ok(existsSync('/tmp/escaped'));
});

test('a hardlink to a file of a lower layer becomes a copy; a whited-out one is not found', async () => {
  const lower = join(base, 'lower');
  mkdirSync(join(lower, 'usr'), { recursive: true });
  writeFileSync(join(lower, 'usr/data'), 'from below');
  const { root } = await apply([{ name: 'usr/again', type: 'hardlink', linkname: 'usr/data' }], { lowers: [lower] });
  assert.is(readFileSync(join(root, 'usr/again'), 'utf8'), 'from below');
  const top = join(base, 'top');
  mkdirSync(top);
  spawnSync('mknod', [join(top, 'usr'), 'c', '0', '0']);
  if (existsSync(join(top, 'usr'))) {
    await rejects([{ name: 'x', type: 'hardlink', linkname: 'usr/data' }], /neither/, { lowers: [top, lower] });
  }
});

test('broken archives: bad checksum, truncated data, corrupt gzip, bad pax size, too many entries', async () => {
  await rejects([], /checksum/i, { raw: makeTar([{ name: 'f', data: 'x', badChecksum: true, ...me }]) });
  const good = makeTar([{ name: 'f', data: 'x'.repeat(4000), ...me }]);
  await rejects([], /truncat|end/i, { raw: good.subarray(0, 2048) });
  const gz = gzipSync(good);
  gz[gz.length - 10] ^= 0xff; // break the deflate stream / crc
  const dir = join(base, 'gzbad');
  mkdirSync(dir);
  try {
    await ingestLayer({ source: Readable.from([gz]), apply: opts(dir) });
    assert.unreachable('corrupt gzip accepted');
  } catch (e) {
    assert.match(e.message, /gzip/);
  }
  await rejects([], /size/i, { raw: makeTar([{ name: 'f', data: 'x', pax: { size: '99999999999999999999999' }, ...me }]) });
  const many = Array.from({ length: 1001 }, (_, i) => ({ name: `f${i}`, data: '' }));
  await rejects(many, /more than 1000 entries/);
});

test('zstd layers are decoded (by the zstd program)', async () => {
  const which = spawnSync('sh', ['-c', 'command -v zstd']);
  if (which.status !== 0) return;
  const tar = makeTar([{ name: 'z', data: 'zstd!', ...me }]);
  const z = spawnSync('zstd', ['-c', '-q'], { input: tar }).stdout;
  const dir = join(base, 'zst');
  mkdirSync(dir);
  const r = await ingestLayer({ source: Readable.from([z]), apply: opts(dir) });
  assert.is(r.compression, 'zstd');
  assert.is(r.diffId, sha(tar));
  assert.is(readFileSync(join(dir, 'z'), 'utf8'), 'zstd!');
});

test.after(() => rmSync(base, { recursive: true, force: true }));
test.run();
