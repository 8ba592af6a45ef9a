// The pure parts of volumes: --volumes-from's syntax, docker's precedence of a new
// container's mounts (user > --volumes-from > image VOLUME), moby's RFC 3339 times, and
// the run flags' translation (-v with the CLI's cwd, --volumes-from into the request).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containerMounts, parseVolumesFrom } from '../../dist/engine/containers/volumes.js';
import { rfc3339Seconds, volumeRecord } from '../../dist/container/volumes.js';
import { parseMountFlag, parseVolumeFlag } from '../../dist/runtime/mounts.js';
import { createSettings, flagsToOptions, parseRunArgs } from '../../dist/cli/run/flags.js';

test('--volumes-from CTR[:ro|rw]', () => {
  assert.equal(parseVolumesFrom('web'), { ref: 'web' });
  assert.equal(parseVolumesFrom('web:ro'), { ref: 'web', readonly: true });
  assert.equal(parseVolumesFrom('web:rw'), { ref: 'web', readonly: false });
  assert.equal(parseVolumesFrom('web:ro,z'), { ref: 'web', readonly: true });
  assert.throws(() => parseVolumesFrom('web:rx'), (e) => e.message === 'invalid mode: rx' && e.kind === 'invalid-argument');
});

test("a new container's mounts: the user's first, then --volumes-from, then the image's VOLUMEs", () => {
  const user = [parseVolumeFlag('mine:/data'), parseVolumeFlag('/h:/h')];
  const others = [
    { ...parseVolumeFlag('theirs:/data'), origin: 'volumes-from' },
    { ...parseVolumeFlag('theirs2:/cache'), origin: 'volumes-from', readonly: true },
  ];
  const out = containerMounts(user, others, ['/cache', '/var/lib/db/', 'logs', '/']);
  assert.equal(out.map((m) => [m.target, m.type === 'volume' ? m.name : m.source, m.origin ?? 'bind']), [
    ['/data', 'mine', 'bind-flag'],
    ['/h', '/h', 'bind'],
    ['/cache', 'theirs2', 'volumes-from'],
    ['/var/lib/db', '', 'image'],
    ['/logs', '', 'image'],
  ]);
  assert.is(out[2].readonly, true);
  // an image VOLUME under a --mount target is still its own mount point
  assert.equal(containerMounts([parseMountFlag('type=volume,dst=/a')], [], ['/a/b']).map((m) => m.target), ['/a', '/a/b']);
});

test("moby's time.RFC3339 of a volume's CreatedAt; docker's record shape", () => {
  const s = rfc3339Seconds(new Date('2026-03-04T05:06:07.890Z'));
  assert.match(s, /^2026-03-0[34]T\d\d:\d\d:07(Z|[+-]\d\d:\d\d)$/);
  assert.is(Date.parse(s), Date.parse('2026-03-04T05:06:07Z'));
  const r = volumeRecord({ name: 'vv', labels: { a: 'b' }, options: {} });
  assert.equal(Object.keys(r), ['Name', 'Driver', 'CreatedAt', 'Labels', 'Options', 'Scope']);
  assert.equal(r.Options, {}, "docker's CLI sends a map");
  assert.is(volumeRecord({ name: 'vv' }).Options, null, 'a volume made for a container has none');
  assert.equal(volumeRecord({ name: 'vv', options: { type: 'tmpfs' } }).Options, { type: 'tmpfs' });
});

test('run flags: -v relative to the CLI cwd, --volumes-from into the request', () => {
  const flags = parseRunArgs(['-v', './d:/d', '-v', 'named:/n:ro', '-v', '/anon', '--volumes-from', 'a', '--volumes-from', 'b:ro', 'img']);
  const src = { env: {}, readFile: () => '', cwd: '/work/p' };
  const o = flagsToOptions(flags, src);
  assert.equal(o.mounts.map((m) => (m.type === 'bind' ? `bind ${m.source}:${m.target}` : `volume ${m.name}:${m.target}:${m.readonly}`)), ['bind /work/p/d:/d', 'volume named:/n:true', 'volume :/anon:false']);
  assert.equal(createSettings(flags, src).volumesFrom, ['a', 'b:ro']);
  assert.is(createSettings(parseRunArgs(['img']), src).volumesFrom, undefined);
});

test.run();
