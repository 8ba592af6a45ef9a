// Volumes, rootless: named volumes that outlive containers and start with the image's
// files (owners and modes kept), anonymous ones (`-v /path`, --mount without a source, the
// image's VOLUMEs) that go with `rm -v` and `--rm`, --volumes-from, the in-use rule,
// `volume ls` filters and formats, prune, inspect's Mounts, system df -v, and docker's
// messages and exit codes for bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, hxAsync, need, removeTree, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');

const work = tempDir('hx-volumes-');
const store = join(work, 'store');
const H = (args, o = {}) => hx(args, { ...o, env: { HX_STORAGE_ROOT: store, ...(o.env ?? {}) } });
const ok = (args, o) => {
  const r = H(args, o);
  assert.is(r.code, 0, `hx ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

// An image whose /data holds a file owned by 1000:1000 mode 0640 in a dir 0750 owned by
// 1000:1000, and whose VOLUME /cache holds a file: GNU tar writes the owners.
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
const base = join(work, 'rootfs.tar');
execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', base, '.']);
const extra = join(work, 'extra');
mkdirSync(join(extra, 'data'), { recursive: true });
mkdirSync(join(extra, 'cache'), { recursive: true });
writeFileSync(join(extra, 'data/owned'), 'from the image\n', { mode: 0o640 });
writeFileSync(join(extra, 'cache/c'), 'cached\n');
execFileSync('chmod', ['0750', join(extra, 'data')]);
execFileSync('chmod', ['0640', join(extra, 'data/owned')]);
execFileSync('tar', ['--numeric-owner', '--owner=1000', '--group=1000', '--no-recursion', '-C', extra, '-rf', base, './data', './data/owned']);
execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '--no-recursion', '-C', extra, '-rf', base, './cache', './cache/c']);
const IMAGE = 'localhost/voltest:1';
ok(['import', '--change', 'CMD ["sh"]', base, IMAGE]);
const IMAGE_VOL = 'localhost/voltest:vol';
ok(['import', '--change', 'VOLUME ["/cache"]', '--change', 'CMD ["sh"]', base, IMAGE_VOL]);

const lines = (s) => s.split('\n').filter(Boolean);
const names = () => lines(ok(['volume', 'ls', '-q']));
const inspectJson = (args) => JSON.parse(ok(['inspect', ...args]));

test('a named volume starts with the image files at its path, owners and modes kept, and keeps data across containers', () => {
  const out = ok(['run', '--rm', '-v', 'keep:/data', IMAGE, 'sh', '-c', 'stat -c "%u:%g %a %n" /data /data/owned; cat /data/owned; echo second > /data/new']);
  assert.match(out, /^1000:1000 750 \/data$/m);
  assert.match(out, /^1000:1000 640 \/data\/owned$/m);
  assert.match(out, /from the image/);
  assert.ok(names().includes('keep'), 'created on first use');
  // --rm removed the container, not the named volume; the next one sees both files
  const again = ok(['run', '--rm', '-v', 'keep:/data:ro', IMAGE, 'sh', '-c', 'cat /data/new /data/owned; touch /data/x 2>&1; echo rc=$?']);
  assert.match(again, /second\nfrom the image/);
  assert.match(again, /Read-only file system/);
  const v = JSON.parse(ok(['volume', 'inspect', 'keep']))[0];
  assert.equal(Object.keys(v), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
  assert.is(v.Name, 'keep');
  assert.is(v.Driver, 'local');
  assert.is(v.Scope, 'local');
  assert.is(v.Mountpoint, join(store, 'volumes', 'keep', '_data'));
  assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
  assert.equal([v.Labels, v.Options], [{}, null], 'made by a container: no options');
  ok(['volume', 'create', 'by-create']);
  const c = JSON.parse(ok(['volume', 'inspect', 'by-create']))[0];
  assert.equal([c.Labels, c.Options], [{}, {}], "docker's CLI sends empty maps");
});

test('copy-up from a vfs root filesystem too (--storage-driver vfs)', () => {
  const out = ok(['--storage-driver', 'vfs', 'run', '--rm', '-v', 'vfsvol:/data', IMAGE, 'sh', '-c', 'stat -c "%u:%g %a %n" /data /data/owned; echo vfs > /data/v']);
  assert.match(out, /^1000:1000 750 \/data$/m);
  assert.match(out, /^1000:1000 640 \/data\/owned$/m);
  assert.is(ok(['run', '--rm', '-v', 'vfsvol:/d', IMAGE, 'cat', '/d/v']), 'vfs\n', "the same volume from a container of the store's own driver");
});

test('a volume that is not empty gets no copy-up; nocopy skips it for an empty one', () => {
  ok(['volume', 'create', 'filled']);
  ok(['run', '--rm', '-v', 'filled:/v', IMAGE, 'sh', '-c', 'echo mine > /v/mine']);
  assert.is(ok(['run', '--rm', '-v', 'filled:/data', IMAGE, 'ls', '/data']).trim(), 'mine');
  assert.is(ok(['run', '--rm', '-v', 'empty1:/data:nocopy', IMAGE, 'ls', '-A', '/data']).trim(), '');
  assert.is(ok(['run', '--rm', '--mount', 'type=volume,src=empty2,dst=/data,volume-nocopy', IMAGE, 'ls', '-A', '/data']).trim(), '');
  assert.is(ok(['run', '--rm', '--mount', 'type=volume,source=m1,target=/data,readonly', IMAGE, 'cat', '/data/owned']).trim(), 'from the image');
});

test('--volumes-from sees the same data, named and anonymous, with :ro', () => {
  const src = ok(['create', '--name', 'src', '-v', 'shared:/data', '-v', '/anon', IMAGE, 'true']).trim();
  ok(['start', '-a', 'src']);
  ok(['run', '--rm', '-v', 'shared:/w', IMAGE, 'sh', '-c', 'echo via-shared > /w/f']);
  const out = ok(['run', '--rm', '--volumes-from', 'src', IMAGE, 'sh', '-c', 'cat /data/f; echo a > /anon/a && cat /anon/a']);
  assert.match(out, /via-shared\na/);
  const ro = H(['run', '--rm', '--volumes-from', 'src:ro', IMAGE, 'sh', '-c', 'cat /anon/a; touch /data/g']);
  assert.is.not(ro.code, 0);
  assert.match(ro.stdout, /^a$/m, 'the anonymous volume is shared too');
  assert.match(ro.stderr + ro.stdout, /Read-only file system/);
  const mounts = inspectJson([src])[0].Mounts;
  const named = mounts.find((m) => m.Destination === '/data');
  assert.equal(named, { Type: 'volume', Name: 'shared', Source: join(store, 'volumes', 'shared', '_data'), Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' });
  const anon = mounts.find((m) => m.Destination === '/anon');
  assert.match(anon.Name, /^[a-f0-9]{64}$/);
  assert.is(anon.Type, 'volume');
  assert.is(anon.Mode, '');
  const user = ok(['create', '--volumes-from', 'src:ro', '--mount', 'type=volume,src=mnt1,dst=/m', IMAGE, 'true']).trim();
  const got = Object.fromEntries(inspectJson([user])[0].Mounts.map((m) => [m.Destination, [m.Name, m.Mode, m.RW]]));
  assert.equal(got, { '/data': ['shared', 'z', false], '/anon': [anon.Name, '', false], '/m': ['mnt1', '', true] });
  assert.equal(lines(ok(['ps', '-aq', '--no-trunc', '--filter', `volume=${anon.Name}`])).sort(), [src, user].sort());
  // rm -v of a container that shares another's anonymous volume: still in use, kept
  ok(['rm', '-v', user]);
  assert.ok(names().includes(anon.Name));
  ok(['rm', 'src']);
});

test('rm -v removes anonymous volumes and never named ones; rm without -v leaves them', () => {
  const before = new Set(names());
  const id = ok(['create', '-v', 'named-kept:/data', '-v', '/anon1', '--mount', 'type=volume,dst=/anon2', IMAGE_VOL, 'true']).trim();
  const mounts = inspectJson([id])[0].Mounts;
  const anonymous = mounts.filter((m) => m.Type === 'volume' && m.Name !== 'named-kept').map((m) => m.Name);
  assert.is(anonymous.length, 3, 'two from flags, one for the image VOLUME /cache');
  for (const n of anonymous) {
    const v = JSON.parse(ok(['volume', 'inspect', n]))[0];
    assert.equal(v.Labels, { 'com.docker.volume.anonymous': '' });
  }
  // the image's VOLUME got its content
  ok(['start', '-a', id]);
  const cacheVol = mounts.find((m) => m.Destination === '/cache').Name;
  assert.is(ok(['run', '--rm', '-v', `${cacheVol}:/x`, IMAGE, 'cat', '/x/c']).trim(), 'cached');
  ok(['rm', '-v', id]);
  const after = new Set(names());
  for (const n of anonymous) assert.not.ok(after.has(n), `anonymous ${n} removed`);
  assert.ok(after.has('named-kept'), 'the named volume stays');
  // without -v they stay, dangling
  const id2 = ok(['create', '-v', '/anon3', IMAGE, 'true']).trim();
  const anon3 = inspectJson([id2])[0].Mounts[0].Name;
  ok(['rm', id2]);
  assert.ok(names().includes(anon3));
  assert.ok(lines(ok(['volume', 'ls', '-q', '--filter', 'dangling=true'])).includes(anon3));
  for (const n of before) assert.ok(after.has(n));
});

test('--rm removes the anonymous volumes of the run, not the named ones', () => {
  const before = new Set(names());
  ok(['run', '--rm', '-v', '/scratch', '-v', 'rm-named:/data', IMAGE_VOL, 'true']);
  const added = names().filter((n) => !before.has(n));
  assert.equal(added, ['rm-named']);
});

test('run -d --rm: the monitor\'s cleanup removes the anonymous volumes too', async () => {
  const before = new Set(names());
  const id = ok(['run', '-d', '--rm', '-v', '/danon', '-v', 'd-named:/n', IMAGE, 'sh', '-c', 'echo x > /danon/x']).trim();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && lines(ok(['ps', '-aq', '--no-trunc'])).includes(id)) await new Promise((r) => setTimeout(r, 100));
  assert.not.ok(lines(ok(['ps', '-aq', '--no-trunc'])).includes(id), 'the container went');
  assert.equal(names().filter((n) => !before.has(n)), ['d-named']);
});

test('a volume in use cannot be removed, with or without -f; a missing one is exit 1 (0 with -f)', () => {
  const id = ok(['create', '-v', 'busy:/data', IMAGE, 'true']).trim();
  for (const args of [['volume', 'rm', 'busy'], ['volume', 'rm', '-f', 'busy']]) {
    const r = H(args);
    assert.is(r.code, 1);
    assert.is(r.stderr, `Error response from daemon: remove busy: volume is in use - [${id}]\n`);
  }
  assert.ok(names().includes('busy'));
  let r = H(['volume', 'rm', 'nope']);
  assert.is(r.code, 1);
  assert.is(r.stderr, 'Error response from daemon: get nope: no such volume\n');
  r = H(['volume', 'rm', '-f', 'nope']);
  assert.is(r.code, 0, r.stderr);
  r = H(['volume', 'inspect', 'busy', 'nope']);
  assert.is(r.code, 1);
  assert.is(JSON.parse(r.stdout).length, 1);
  assert.is(r.stderr, 'Error response from daemon: get nope: no such volume\n');
  ok(['rm', id]);
  assert.is(ok(['volume', 'rm', 'busy']), 'busy\n');
});

test('volume create: names, labels, options; ls filters and formats', () => {
  assert.is(ok(['volume', 'create', '--label', 'team=a', '--label', 'tier=db', 'lbl-a']), 'lbl-a\n');
  assert.is(ok(['volume', 'create', '--name', 'lbl-b', '--label', 'team=b']), 'lbl-b\n');
  assert.is(ok(['volume', 'create', 'lbl-b']), 'lbl-b\n', 'create of an existing name returns it');
  const gen = ok(['volume', 'create']).trim();
  assert.match(gen, /^[a-f0-9]{64}$/);
  assert.equal(JSON.parse(ok(['volume', 'inspect', gen]))[0].Labels, { 'com.docker.volume.anonymous': '' });
  assert.equal(lines(ok(['volume', 'ls', '-q', '--filter', 'label=team'])), ['lbl-a', 'lbl-b']);
  assert.equal(lines(ok(['volume', 'ls', '-q', '--filter', 'label=team=a'])), ['lbl-a']);
  assert.equal(lines(ok(['volume', 'ls', '-q', '--filter', 'label=team', '--filter', 'label=tier'])), ['lbl-a']);
  assert.equal(lines(ok(['volume', 'ls', '-q', '--filter', 'name=^lbl-'])), ['lbl-a', 'lbl-b']);
  assert.equal(lines(ok(['volume', 'ls', '-q', '--filter', 'name=bl-b'])), ['lbl-b']);
  assert.ok(lines(ok(['volume', 'ls', '-q', '--filter', 'driver=local'])).includes('lbl-a'));
  assert.equal(lines(ok(['volume', 'ls', '-q', '--filter', 'driver=nfs'])), []);
  const id = ok(['create', '-v', 'lbl-a:/data', IMAGE, 'true']).trim();
  assert.not.ok(lines(ok(['volume', 'ls', '-q', '--filter', 'dangling=true'])).includes('lbl-a'));
  assert.ok(lines(ok(['volume', 'ls', '-q', '--filter', 'dangling=false'])).includes('lbl-a'));
  ok(['rm', id]);
  const table = ok(['volume', 'ls', '--filter', 'name=^lbl-']);
  assert.equal(lines(table).map((l) => l.split(/\s+/)), [['DRIVER', 'VOLUME', 'NAME'], ['local', 'lbl-a'], ['local', 'lbl-b']]);
  assert.is(ok(['volume', 'ls', '--filter', 'name=^lbl-a$', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels}} {{.Mountpoint}}']), `lbl-a local local team=a,tier=db ${join(store, 'volumes/lbl-a/_data')}\n`);
  assert.is(ok(['volume', 'ls', '--filter', 'name=^lbl-', '--format', '{{.Name}}={{.Label "tier"}}']), 'lbl-a=db\nlbl-b=\n');
  const json = JSON.parse(ok(['volume', 'ls', '--filter', 'name=^lbl-b$', '--format', 'json']));
  assert.is(json.Name, 'lbl-b');
  assert.is(json.Labels, 'team=b');
  assert.equal(Object.keys(json), ['Availability', 'Driver', 'Group', 'Labels', 'Links', 'Mountpoint', 'Name', 'Scope', 'Size', 'Status']);
  assert.is(ok(['volume', 'inspect', '-f', '{{.Name}} {{.Labels.team}} {{.Labels.nothere}}', 'lbl-a']), 'lbl-a a <no value>\n');
  let r = H(['volume', 'ls', '--filter', 'colour=red']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /invalid filter 'colour'/);
  r = H(['volume', 'create', '--opt', 'bogus=1', 'optbad']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^Error response from daemon: create optbad: invalid option: "bogus"$/m);
  r = H(['volume', 'create', '-d', 'nfsplugin', 'drv']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /plugin "nfsplugin" not found/);
  assert.not.ok(names().includes('optbad'));
});

test('--opt type=tmpfs and a bind of device=: the container mounts them', () => {
  ok(['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m', 'tmpvol']);
  assert.equal(JSON.parse(ok(['volume', 'inspect', 'tmpvol']))[0].Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
  assert.match(ok(['run', '--rm', '-v', 'tmpvol:/t', IMAGE, 'sh', '-c', 'grep " /t " /proc/mounts']), /^tmpfs \/t tmpfs rw.*size=1024k/m);
  const dir = join(work, 'bound');
  mkdirSync(dir);
  writeFileSync(join(dir, 'hostfile'), 'host\n');
  ok(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${dir}`, 'bindvol']);
  assert.is(ok(['run', '--rm', '-v', 'bindvol:/b', IMAGE, 'cat', '/b/hostfile']), 'host\n');
});

test('concurrent creates of one name make one volume, and every command gets it', async () => {
  const env = { HX_STORAGE_ROOT: store };
  const runs = await Promise.all([
    ...[0, 1, 2, 3].map((i) => hxAsync(['volume', 'create', '--label', `n=${i}`, 'raced'], { env })),
    ...[0, 1].map(() => hxAsync(['run', '--rm', '-v', 'raced:/data', IMAGE, 'true'], { env })),
  ]);
  for (const r of runs) assert.is(r.code, 0, r.stderr);
  for (const r of runs.slice(0, 4)) assert.is(r.stdout, 'raced\n');
  assert.is(names().filter((n) => n === 'raced').length, 1);
  const v = JSON.parse(ok(['volume', 'inspect', 'raced']))[0];
  assert.ok(v.Labels.n === undefined || /^[0-3]$/.test(v.Labels.n), 'one creator\'s labels');
  ok(['volume', 'rm', 'raced']);
});

test('prune removes unused anonymous volumes; -a all unused ones; label filters', () => {
  ok(['volume', 'create', '--label', 'keep=yes', 'prune-named']);
  const anon = ok(['volume', 'create', '--label', 'keep=no']).trim();
  const id = ok(['create', '-v', '/used-anon', IMAGE, 'true']).trim();
  const used = inspectJson([id])[0].Mounts[0].Name;
  let out = ok(['volume', 'prune', '-f', '--filter', 'label=keep=no']);
  assert.is(out, `Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 0B\n`);
  out = ok(['volume', 'prune', '-f']);
  assert.not.match(out, /prune-named/);
  assert.ok(names().includes('prune-named'));
  assert.ok(names().includes(used), 'in use: kept');
  assert.not.ok(names().some((n) => /^[a-f0-9]{64}$/.test(n) && n !== used), 'every unused anonymous volume is gone');
  ok(['run', '--rm', '-v', 'prune-named:/d', IMAGE, 'sh', '-c', 'head -c 5000 /dev/zero > /d/z']);
  out = ok(['volume', 'prune', '-a', '-f', '--filter', 'label!=keep=no']);
  assert.match(out, /^Deleted Volumes:\n(.+\n)*prune-named\n/);
  const reclaimed = /Total reclaimed space: ([\d.]+)kB\n$/.exec(out);
  assert.ok(reclaimed && Number(reclaimed[1]) >= 5, out);
  assert.ok(names().includes(used));
  ok(['rm', '-v', id]);
  assert.not.ok(names().includes(used));
});

test('inspect lists volume Mounts; system df -v shows volume sizes', () => {
  const id = ok(['create', '-v', 'dfvol:/data:ro', IMAGE, 'true']).trim();
  const doc = inspectJson([id])[0];
  assert.equal(doc.Mounts, [{ Type: 'volume', Name: 'dfvol', Source: join(store, 'volumes/dfvol/_data'), Destination: '/data', Driver: 'local', Mode: 'ro', RW: false, Propagation: '' }]);
  assert.equal(doc.HostConfig.Binds, ['dfvol:/data:ro']);
  ok(['start', '-a', id]);
  const df = ok(['system', 'df', '-v']);
  assert.match(df, /^Local Volumes\s+\d+\s+\d+\s+\S+/m);
  assert.match(df, /Local Volumes space usage:\n\nVOLUME NAME\s+LINKS\s+SIZE\n/);
  // copy-up put the image's 15-byte file in it
  assert.match(df, /^dfvol\s+1\s+15B$/m);
  ok(['rm', id]);
});

test('bad input: docker messages and exit codes, nothing created', () => {
  const before = names();
  let r = H(['run', '--rm', '-v', 'rel/dir:/data', IMAGE, 'true']);
  assert.is(r.code, 125);
  assert.match(r.stderr, /create rel\/dir: "rel\/dir" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed. If you intended to pass a host directory, use absolute path/);
  r = H(['volume', 'create', 'a/b']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^Error response from daemon: create a\/b: "a\/b" includes invalid characters for a local volume name/m);
  r = H(['volume', 'create', 'x']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /volume name is too short, names should be at least two alphanumeric characters/);
  r = H(['run', '--rm', '--mount', 'type=volume,src=a/b,dst=/d', IMAGE, 'true']);
  assert.is(r.code, 125);
  assert.match(r.stderr, /includes invalid characters/);
  r = H(['run', '--rm', '-v', '/data:rw', IMAGE, 'true']);
  assert.is(r.code, 125);
  assert.match(r.stderr, /invalid volume specification: '\/data:rw'/);
  r = H(['run', '--rm', '-v', 'rel', IMAGE, 'true']);
  assert.is(r.code, 125);
  assert.match(r.stderr, /must be absolute/);
  r = H(['run', '--rm', '--volumes-from', 'no-such-ctr', IMAGE, 'true']);
  assert.is(r.code, 125);
  assert.match(r.stderr, /No such container: no-such-ctr/);
  r = H(['run', '--rm', '--rootfs', rootfs, '-v', 'rootfsvol:/data', 'true']);
  assert.is(r.code, 125);
  assert.match(r.stderr, /--rootfs: the volume at \/data needs a container/);
  r = H(['volume', 'inspect', 'nope']);
  assert.is(r.code, 1);
  assert.is(r.stdout, '[]\n');
  assert.is(r.stderr, 'Error response from daemon: get nope: no such volume\n');
  // a create that fails after its volumes were made takes back the ones it made (docker
  // reserves the name before it makes volumes, so there a conflict makes none)
  const first = ok(['create', '--name', 'taken-name', '-v', '/a1', IMAGE, 'true']).trim();
  const withFirst = names();
  r = H(['create', '--name', 'taken-name', '-v', '/a2', '-v', 'named-on-fail:/n', IMAGE, 'true']);
  assert.is(r.code, 125);
  assert.match(r.stderr, /Conflict. The container name "\/taken-name" is already in use/);
  assert.equal(names(), withFirst);
  ok(['rm', '-v', first]);
  assert.equal(names(), before);
  // a relative path starting with "." is made absolute, as docker's CLI does
  const dir = join(work, 'rel-base');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'sub/f'), 'relative\n');
  assert.is(ok(['run', '--rm', '-v', './sub:/s', IMAGE, 'cat', '/s/f'], { cwd: dir }), 'relative\n');
});

test('system reset deletes the volumes with the rest', () => {
  assert.ok(names().length > 0);
  ok(['system', 'reset', '-f']);
  assert.equal(names(), []);
  assert.is(ok(['volume', 'create', 'after-reset']), 'after-reset\n');
});

test.after(() => removeTree(work));
test.run();
