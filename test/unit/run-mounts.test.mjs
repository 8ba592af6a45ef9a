// -v / --mount / --tmpfs parsing and the default mount list.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultMounts, MountKind, MS, parseMountFlag, parseTmpfsFlag, parseVolumeFlag, protectionMounts, requestToOp, sortMountRequests, checkDuplicateTargets, MASKED_PATHS, VOLUME_NAME, volumeNameError } from '../../dist/runtime/mounts.js';

test('-v HOST:CTR[:opts]', () => {
  assert.equal(parseVolumeFlag('/h//x/:/c/d/'), { type: 'bind', source: '/h/x/', target: '/c/d', readonly: false, propagation: 'rprivate', recursive: true });
  assert.is(parseVolumeFlag('/h:/c:ro').readonly, true);
  assert.is(parseVolumeFlag('/h:/c:ro,rslave,z').propagation, 'rslave');
  assert.throws(() => parseVolumeFlag('/h:rel'), /must be absolute/);
  assert.throws(() => parseVolumeFlag('/h:/'), /destination can't be '\/'/);
  assert.throws(() => parseVolumeFlag('/h:/c:bogus'), /^invalid mode: bogus$/);
  assert.throws(() => parseVolumeFlag('/a:/b:ro:x'), /^invalid volume specification: '\/a:\/b:ro:x'$/);
  assert.throws(() => parseVolumeFlag('/h::ro'), /^invalid volume specification/);
});

test('-v NAME:CTR and -v CTR: named and anonymous volumes (moby linux_parser)', () => {
  assert.equal(parseVolumeFlag('data:/srv/data/'), { type: 'volume', name: 'data', target: '/srv/data', readonly: false, nocopy: false, origin: 'bind-flag', mode: '' });
  assert.equal(parseVolumeFlag('my.vol_1-x:/d:ro,nocopy'), { type: 'volume', name: 'my.vol_1-x', target: '/d', readonly: true, nocopy: true, origin: 'bind-flag', mode: 'ro,nocopy' });
  assert.equal(parseVolumeFlag('/only/'), { type: 'volume', name: '', target: '/only', readonly: false, nocopy: false, origin: 'bind-flag', mode: '' });
  // a destination with a mode is not a volume: docker refuses /foo:rw
  assert.throws(() => parseVolumeFlag('/foo:rw'), /^invalid volume specification: '\/foo:rw'$/);
  assert.throws(() => parseVolumeFlag('rel'), /must be absolute/);
  assert.throws(() => parseVolumeFlag('v:rel'), /must be absolute/);
  // docker's daemon message for a name that is a relative path, and for a one-letter name
  assert.throws(
    () => parseVolumeFlag('data/sub:/c'),
    (e) => e.message === 'create data/sub: "data/sub" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path' && e.kind === 'invalid-argument',
  );
  assert.throws(() => parseVolumeFlag('_x:/c'), /includes invalid characters/);
  assert.throws(() => parseVolumeFlag('x:/c'), /^create x: volume name is too short, names should be at least two alphanumeric characters$/);
  // docker's CLI makes a "." path absolute; without a cwd it is a (bad) volume name
  assert.equal(parseVolumeFlag('./d:/c', '/home/u/p'), { type: 'bind', source: '/home/u/p/d', target: '/c', readonly: false, propagation: 'rprivate', recursive: true });
  assert.is(parseVolumeFlag('../d:/c:ro', '/home/u/p').source, '/home/u/d');
  assert.throws(() => parseVolumeFlag('./d:/c'), /includes invalid characters/);
  assert.equal(volumeNameError('ok'), undefined);
  assert.ok(VOLUME_NAME.test('a1') && !VOLUME_NAME.test('a') && !VOLUME_NAME.test('-a') && !VOLUME_NAME.test('a b'));
});

test('--mount type=volume: source, readonly, volume-nocopy, volume-opt, volume-label', () => {
  assert.equal(parseMountFlag('type=volume,src=v1,dst=/d'), { type: 'volume', name: 'v1', target: '/d', readonly: false, nocopy: false, origin: 'mount-flag', mode: '' });
  assert.equal(parseMountFlag('target=/d,readonly'), { type: 'volume', name: '', target: '/d', readonly: true, nocopy: false, origin: 'mount-flag', mode: '' }, 'type defaults to volume; no source: anonymous');
  const m = parseMountFlag('type=volume,source=v2,destination=/d,ro=true,volume-nocopy,volume-opt=type=tmpfs,volume-opt=o=size=1m,volume-label=a=b,volume-label=c,volume-driver=local');
  assert.is(m.readonly, true);
  assert.is(m.nocopy, true);
  assert.equal(m.driverOptions, { type: 'tmpfs', o: 'size=1m' });
  assert.equal(m.labels, { a: 'b', c: '' });
  assert.is(parseMountFlag('type=volume,src=vv,dst=/d,volume-nocopy=false').nocopy, false);
  assert.throws(() => parseMountFlag('type=volume,src=a/b,dst=/d'), /"a\/b" includes invalid characters/);
  assert.throws(() => parseMountFlag('type=volume,src=vv,dst=/d,volume-opt=novalue'), /must be a key=value pair/);
  assert.throws(() => parseMountFlag('type=volume,src=vv,dst=/d,volume-driver=nfs'), /volume driver "nfs" is not available/);
  assert.throws(() => parseMountFlag('type=volume,src=vv,dst=/d,bind-propagation=shared'), /unexpected key "bind-propagation"/);
  assert.throws(() => parseMountFlag('type=volume,src=vv,dst=rel'), /must be absolute/);
  assert.throws(() => requestToOp(parseMountFlag('type=volume,src=vv,dst=/d')), /not resolved/);
});

test('--mount type=bind and type=tmpfs', () => {
  assert.equal(parseMountFlag('type=bind,source=/h,target=/c,readonly'), { type: 'bind', source: '/h', target: '/c', readonly: true, propagation: 'rprivate', recursive: true });
  assert.equal(parseMountFlag('type=bind,src=/h,dst=/c,ro=false,bind-propagation=shared,bind-nonrecursive').propagation, 'shared');
  assert.is(parseMountFlag('type=bind,src=/h,dst=/c,bind-nonrecursive').recursive, false);
  const t = parseMountFlag('type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1777');
  assert.equal(t, { type: 'tmpfs', target: '/t', flags: MS.NOSUID | MS.NODEV, data: 'size=64m,mode=1777' });
  assert.throws(() => parseMountFlag('type=bind,target=/c'), /source is required/);
  assert.throws(() => parseMountFlag('type=bind,source=rel,target=/c'), /must be absolute/);
  assert.throws(() => parseMountFlag('type=tmpfs,source=/x,target=/c'), /source must not be specified/);
  assert.throws(() => parseMountFlag('type=bind,source=/h'), /target is required/);
  assert.throws(() => parseMountFlag('type=nfs,target=/c'), /unknown mount type/);
  assert.throws(() => parseMountFlag('type=bind,source=/h,target=/c,colour=blue'), /unexpected key "colour"/);
  assert.throws(() => parseMountFlag('type=tmpfs,target=/t,tmpfs-mode=999'), /invalid tmpfs-mode/);
});

test('--tmpfs: docker defaults noexec,nosuid,nodev; flags and data options split', () => {
  assert.equal(parseTmpfsFlag('/run'), { type: 'tmpfs', target: '/run', flags: MS.NOEXEC | MS.NOSUID | MS.NODEV, data: '' });
  const t = parseTmpfsFlag('/run:rw,exec,size=1m,mode=0755,ro');
  assert.is(t.flags, MS.NOSUID | MS.NODEV | MS.RDONLY);
  assert.is(t.data, 'size=1m,mode=0755');
  assert.throws(() => parseTmpfsFlag('/run:wat'), /unknown option/);
});

test('bind requests become mount ops with propagation bits', () => {
  const op = requestToOp(parseVolumeFlag('/h:/c:ro'));
  assert.is(op.kind, MountKind.MOUNT);
  assert.is(op.flags, MS.BIND | MS.REC | MS.RDONLY | MS.PRIVATE | MS.REC);
});

test('user mounts are ordered parents first, duplicates refused', () => {
  const sorted = sortMountRequests([parseTmpfsFlag('/a/b/c'), parseTmpfsFlag('/a'), parseTmpfsFlag('/x/y'), parseTmpfsFlag('/b')]);
  assert.equal(sorted.map((m) => m.target), ['/a', '/b', '/x/y', '/a/b/c']);
  assert.throws(() => checkDuplicateTargets([parseTmpfsFlag('/a'), parseVolumeFlag('/h:/a')]), /duplicate mount point: \/a/);
});

test('default mounts: proc, a tmpfs /dev with host devices, devpts, shm, mqueue, read-only sysfs', () => {
  const ops = defaultMounts({ ttyGroup: true, privileged: false });
  const targets = ops.map((o) => o.target);
  for (const t of ['/proc', '/dev', '/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/pts', '/dev/ptmx', '/dev/fd', '/dev/stdin', '/dev/stdout', '/dev/stderr', '/dev/shm', '/dev/mqueue', '/sys']) {
    assert.ok(targets.includes(t), t);
  }
  assert.ok(targets.indexOf('/dev') < targets.indexOf('/dev/null'), '/dev before its devices');
  assert.match(ops.find((o) => o.target === '/dev/pts').data, /newinstance,ptmxmode=0666,mode=0620,gid=5/);
  assert.not.match(defaultMounts({ ttyGroup: false, privileged: false }).find((o) => o.target === '/dev/pts').data, /gid=5/);
  assert.ok(ops.find((o) => o.target === '/sys').flags & MS.RDONLY);
  assert.not.ok(defaultMounts({ ttyGroup: true, privileged: true }).find((o) => o.target === '/sys').flags & MS.RDONLY);
  assert.is(ops.find((o) => o.target === '/dev/ptmx').source, 'pts/ptmx');
  assert.ok(defaultMounts({ ttyGroup: true, privileged: false, initBinary: '/x/init' }).some((o) => o.target === '/dev/init' && o.source === '/x/init'));
});

test('masked and read-only paths, none when privileged', () => {
  const p = protectionMounts(false);
  assert.ok(p.some((o) => o.kind === MountKind.MASK && o.target === '/proc/kcore'));
  assert.ok(p.some((o) => o.kind === MountKind.READONLY && o.target === '/proc/sysrq-trigger'));
  assert.ok(p.some((o) => o.kind === MountKind.READONLY && o.target === '/proc/sys'));
  assert.is(p.filter((o) => o.kind === MountKind.MASK).length, MASKED_PATHS.length);
  assert.equal(protectionMounts(true), []);
});

test.run();
