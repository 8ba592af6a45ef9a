// `hx cp` as an unprivileged user: both directions, running and stopped containers, docker's
// rules for directories, trailing "/", "/." and "-" (tar streams, checked with GNU tar),
// owners with and without -a, -L; every container path resolved inside the container root
// (a /data symlink to a host path, and a directory swapped for a symlink in a loop while
// cp runs, never make hx read or write the canary beside the store); docker's messages
// and exit codes for bad input, with nothing changed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { hx, hxAsync, hxBin, need, removeTree, run, tempDir } from '../lib/hx.mjs';
import { underPty, quote } from '../lib/pty.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
need(run('tar', ['--version']).stdout.includes('GNU tar'), 'GNU tar is installed');
const work = tempDir('hx-cp-');
const store = join(work, 'store');
const env = { HX_STORAGE_ROOT: store, HX_RUNTIME_DIR: join(work, 'run') };
const H = (args, o = {}) => hx(args, { ...o, env: { ...env, ...(o.env ?? {}) } });
const ok = (r) => (assert.is(r.code, 0, `${r.stderr}${r.stdout}`), r);
const out = (p) => join(work, 'out', p);
mkdirSync(join(work, 'out'));

// The canary: a host file beside the store that no copy may read or replace.
const secret = `CANARY-${randomBytes(8).toString('hex')}`;
const canaryDir = join(work, 'secret');
mkdirSync(canaryDir);
const canary = join(canaryDir, 'canary.txt');
writeFileSync(canary, `${secret}\n`);

const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
const tarball = join(work, 'bb.tar');
ok(run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', tarball, '.']));
ok(H(['import', tarball, 'bb']));

// The uid a container id has on the host (the namespace maps 0 to us, 1.. to the subuid range).
const subuidStart = Number(readFileSync('/etc/subuid', 'utf8').split('\n').find((l) => l.startsWith(`${process.env.USER}:`) || l.startsWith(`${process.getuid()}:`)).split(':')[1]);
const hostUid = (id) => (id === 0 ? process.getuid() : subuidStart + id - 1);
const tarList = (buf) => execFileSync('tar', ['-tvf', '-', '--numeric-owner'], { input: buf, encoding: 'utf8' }).trim().split('\n');
/** `hx cp SRC -`: the tar stream, as bytes. */
const tarOut = (src) => execFileSync(hxBin, ['cp', src, '-'], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
const execOut = (ctr, cmd) => ok(H(['exec', ctr, 'sh', '-c', cmd])).stdout;
/** Every file under DIR whose content has the canary's secret (read inside the namespace). */
const withSecret = (dir) => {
  const r = H(['unshare', '--', 'grep', '-rlF', secret, dir]);
  return r.stdout.trim() ? r.stdout.trim().split('\n') : [];
};

// An exited container with a tree: files, a subdirectory, a symlink, an owner of its own.
ok(H(['run', '--name', 'made', 'bb', 'sh', '-c',
  'mkdir -p /data/sub && echo hello > /data/a.txt && echo deep > /data/sub/b.txt && chown 1000:1000 /data/a.txt && chmod 0640 /data/a.txt && ln -s a.txt /data/link']));
// A running one.
ok(H(['run', '-d', '--name', 'live', 'bb', 'sleep', '1000']));

test('out of a stopped container: file, into a directory, a directory new or existing, /. and -L', () => {
  ok(H(['cp', 'made:/data/a.txt', out('one.txt')]));
  assert.is(readFileSync(out('one.txt'), 'utf8'), 'hello\n');
  const st = statSync(out('one.txt'));
  assert.is(st.uid, process.getuid(), 'copied out: the user\'s own');
  assert.is(st.mode & 0o7777, 0o640, 'mode kept');

  mkdirSync(out('dir'));
  ok(H(['cp', 'made:data/a.txt', `${out('dir')}/`]));
  assert.is(readFileSync(join(out('dir'), 'a.txt'), 'utf8'), 'hello\n', 'relative container path, into an existing dir');

  ok(H(['cp', 'made:/data', out('newdata')]));
  assert.equal(readdirSync(out('newdata')).sort(), ['a.txt', 'link', 'sub']);
  assert.is(readFileSync(out('newdata/sub/b.txt'), 'utf8'), 'deep\n');
  assert.is(readlinkSync(out('newdata/link')), 'a.txt', 'a symlink stays a symlink');

  mkdirSync(out('exists'));
  ok(H(['cp', 'made:/data', out('exists')]));
  assert.equal(readdirSync(out('exists')), ['data'], 'a directory into an existing one: DEST/data');

  mkdirSync(out('contents'));
  ok(H(['cp', 'made:/data/.', out('contents')]));
  assert.equal(readdirSync(out('contents')).sort(), ['a.txt', 'link', 'sub'], 'SRC/. copies what is in it');

  ok(H(['cp', 'made:/data/link', out('nofollow')]));
  assert.ok(lstatSync(out('nofollow')).isSymbolicLink());
  ok(H(['cp', '-L', 'made:/data/link', out('followed')]));
  assert.ok(lstatSync(out('followed')).isFile(), '-L copies what the link names');
  assert.is(readFileSync(out('followed'), 'utf8'), 'hello\n');

  // an existing file is replaced; a file cannot replace a directory
  ok(H(['cp', 'made:/data/sub/b.txt', out('one.txt')]));
  assert.is(readFileSync(out('one.txt'), 'utf8'), 'deep\n');
  const r = H(['cp', 'made:/data', out('one.txt')]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /cannot copy directory/);
  // below the top too, neither replaces the other (docker's NoOverwriteDirNonDir)
  mkdirSync(out('clash/data/a.txt'), { recursive: true });
  const c1 = H(['cp', 'made:/data', out('clash')]);
  assert.is(c1.code, 1);
  assert.match(c1.stderr, /cannot overwrite directory "data\/a.txt" with non-directory/);
  mkdirSync(out('clash2'));
  writeFileSync(out('clash2/data'), 'a file\n');
  const c2 = H(['cp', 'made:/data', out('clash2')]);
  assert.is(c2.code, 1);
  assert.match(c2.stderr, /cannot overwrite non-directory "data" with directory/);
  assert.is(readFileSync(out('clash2/data'), 'utf8'), 'a file\n');
});

test('out with -a keeps the container owners; - is a tar of the entry with container owners', () => {
  ok(H(['cp', '-a', 'made:/data/a.txt', out('owned.txt')]));
  assert.is(lstatSync(out('owned.txt')).uid, hostUid(1000), '-a: uid 1000 of the container');

  const buf = tarOut('made:/data');
  const list = tarList(buf);
  const names = list.map((l) => l.split(/\s+/).slice(5).join(' ')).sort();
  assert.equal(names, ['data/', 'data/a.txt', 'data/link -> a.txt', 'data/sub/', 'data/sub/b.txt']);
  assert.match(list.find((l) => l.endsWith(' data/a.txt')), /^-rw-r----- 1000\/1000 +6 /, 'owner and mode as in the container');
  const x = join(work, 'x-tar');
  mkdirSync(x);
  execFileSync('tar', ['-xf', '-', '-C', x], { input: buf });
  assert.is(readFileSync(join(x, 'data/sub/b.txt'), 'utf8'), 'deep\n');

  const dot = tarList(tarOut('made:/data/.'));
  assert.ok(dot.some((l) => / \.\/a\.txt$/.test(l)), `SRC/. as ./NAME entries: ${dot.join('|')}`);

  const file = tarList(tarOut('made:/data/sub/b.txt'));
  assert.is(file.length, 1);
  assert.match(file[0], / b\.txt$/);
});

test('into a stopped and a running container: owners 0 without -a, kept with -a; - unpacks a tar', () => {
  const src = join(work, 'src');
  mkdirSync(join(src, 'tree/sub'), { recursive: true });
  writeFileSync(join(src, 'tree/f'), 'tree file\n');
  writeFileSync(join(src, 'tree/sub/g'), 'g\n', { mode: 0o600 });
  writeFileSync(join(src, 'single'), 'single\n');
  ok(H(['unshare', '--', 'chown', '1234:2345', join(src, 'single')]));

  // stopped (created, never started): the copy is there when it starts
  ok(H(['create', '--name', 'fresh', 'bb', 'sh', '-c', 'cat /tmp/single; cat /tmp/tree/sub/g; stat -c %u:%g /tmp/single /tmp/tree/f; ls /tmp/newname']));
  ok(H(['cp', join(src, 'single'), 'fresh:/tmp/']));
  ok(H(['container', 'cp', join(src, 'tree'), 'fresh:/tmp']));
  ok(H(['cp', join(src, 'tree'), 'fresh:/tmp/newname']));
  const s = H(['start', '-a', 'fresh']);
  assert.is(s.code, 0, s.stderr);
  assert.is(s.stdout, 'single\ng\n0:0\n0:0\nf\nsub\n');

  // running
  ok(H(['cp', join(src, 'single'), 'live:/tmp/plain']));
  ok(H(['cp', '-a', join(src, 'single'), 'live:/tmp/archived']));
  assert.is(execOut('live', 'stat -c %u:%g /tmp/plain /tmp/archived'), '0:0\n1234:2345\n');
  ok(H(['cp', `${src}/tree/.`, 'live:/root']));
  assert.is(execOut('live', 'cat /root/f /root/sub/g; stat -c %a /root/sub/g'), 'tree file\ng\n600\n');

  // a file the container writes comes out
  execOut('live', 'echo from inside > /tmp/made-inside');
  ok(H(['cp', 'live:/tmp/made-inside', out('inside.txt')]));
  assert.is(readFileSync(out('inside.txt'), 'utf8'), 'from inside\n');
  assert.match(tarList(tarOut('live:/tmp/made-inside'))[0], /^-rw-r--r-- 0\/0 +12 .* made-inside$/, 'a tar of a running one');

  // - : a tar from stdin, extracted at a directory; owners 0 unless -a
  const t = join(work, 'in.tar');
  ok(run('tar', ['--numeric-owner', '--owner=1234', '--group=2345', '-C', src, '-cf', t, 'tree']));
  execOut('live', 'mkdir /tmp/untar /tmp/untar-a');
  ok(H(['cp', '-', 'live:/tmp/untar'], { input: readFileSync(t) }));
  ok(H(['cp', '-a', '-', 'live:/tmp/untar-a'], { input: readFileSync(t) }));
  assert.is(execOut('live', 'cat /tmp/untar/tree/f; stat -c %u:%g /tmp/untar/tree/f /tmp/untar-a/tree/f'), 'tree file\n0:0\n1234:2345\n');

  // a tar into something that is not a directory
  const r = H(['cp', '-', 'live:/etc/passwd'], { input: readFileSync(t) });
  assert.is(r.code, 1);
  assert.match(r.stderr, /destination "live:\/etc\/passwd" must be a directory/);
  const m = H(['cp', '-', 'live:/tmp/not-there'], { input: readFileSync(t) });
  assert.is(m.code, 1);
  assert.match(m.stderr, /destination "live:\/tmp\/not-there" must be a directory/);
});

test('a running container is copied as it sees itself: its bind mounts and tmpfs mounts too', () => {
  const vol = join(work, 'bound');
  mkdirSync(vol);
  writeFileSync(join(vol, 'on-host'), 'from the host\n');
  ok(H(['run', '-d', '--name', 'mounts', '-v', `${vol}:/vol`, '--tmpfs', '/scratch', 'bb', 'sleep', '1000']));
  ok(H(['cp', 'mounts:/vol/on-host', out('via-bind')]));
  assert.is(readFileSync(out('via-bind'), 'utf8'), 'from the host\n');
  ok(H(['cp', join(work, 'src', 'single'), 'mounts:/vol/']));
  assert.is(readFileSync(join(vol, 'single'), 'utf8'), 'single\n', 'written through the bind mount');
  ok(H(['cp', join(work, 'src', 'single'), 'mounts:/scratch/in-tmpfs']));
  assert.is(execOut('mounts', 'cat /scratch/in-tmpfs; grep -c " /scratch " /proc/mounts'), 'single\n1\n');
  ok(H(['rm', '-f', 'mounts']));
});

test('copies into a stopped container at the same time all land in it, one after the other', async () => {
  ok(H(['create', '--name', 'busy', 'bb', 'sh', '-c', 'cat /tmp/p0 /tmp/p1 /tmp/p2 /tmp/p3 /tmp/p4 /tmp/p5']));
  const files = [0, 1, 2, 3, 4, 5].map((i) => {
    const f = join(work, `p${i}`);
    writeFileSync(f, `p${i}\n`);
    return f;
  });
  // each owns the container in turn (docker serializes on the container's lock too): none
  // writes through a mount another one has just taken away
  const rs = await Promise.all(files.map((f) => hxAsync(['cp', f, 'busy:/tmp/'], { env })));
  for (const r of rs) assert.is(r.code, 0, r.stderr);
  const s = H(['start', '-a', 'busy']);
  assert.is(s.code, 0, s.stderr);
  assert.is(s.stdout, 'p0\np1\np2\np3\np4\np5\n');
});

test('bad input: docker\'s messages, exit 1, nothing changed', () => {
  const f = join(work, 'src', 'single');
  const cases = [
    [['cp', 'nope:/x', out('never1')], /No such container: nope/],
    [['cp', 'made:/no/such', out('never2')], /Could not find the file \/no\/such in container made/],
    [['cp', join(work, 'no-such-file'), 'live:/tmp/'], /lstat .*no-such-file: no such file or directory/],
    [['cp', 'made:/data/a.txt', out('missing-parent/x')], /invalid output path: directory ".*missing-parent" does not exist/],
    [['cp', f, 'live:/no/such/dir'], /Could not find the file \/no\/such in container live/],
    [['cp', 'made:/data/a.txt', `${out('never3')}/`], /no such directory/],
    [['cp', f, 'live:/tmp/never4/'], /no such directory/],
    [['cp', 'made:/x', 'live:/y'], /copying between containers is not supported/],
    // the texts below were checked against the docker 28.2 client (its checks before any daemon call)
    [['cp', 'made:/data/a.txt', `${join(work, 'src', 'single')}/`], /hx: stat .*single\/: not a directory\n/],
    [['cp', `${f}/`, 'live:/tmp/'], /hx: not a directory\n/],
    [['cp', '', 'live:/tmp/'], /hx: source can not be empty\n/],
    [['cp', f, out('never5')], /must specify at least one container source/],
  ];
  for (const [args, message] of cases) {
    const r = H(args);
    assert.is(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  for (const n of ['never1', 'never2', 'missing-parent', 'never3']) assert.not.ok(existsSync(out(n)), `${n} not created`);
  assert.is(execOut('live', 'ls /tmp/never4 /no 2>&1 || true').includes('No such file'), true, 'nothing made in the container');
  const wrong = H(['cp', 'made:/data', out('one.txt'), 'extra']);
  assert.is(wrong.code, 1);
});

test("on a terminal: docker's summary line on stderr, none with -q; a --read-only container takes no copy", async () => {
  const fullEnv = { ...process.env, ...env };
  const t = await underPty(`${hxBin} cp made:/data/a.txt ${quote(out('tty.txt'))}`, [], { env: fullEnv });
  assert.is(t.code, 0, t.output);
  assert.match(t.output, new RegExp(`Successfully copied 6B to ${out('tty.txt')}`));
  const tin = await underPty(`${hxBin} cp ${quote(out('tty.txt'))} live:tmp`, [], { env: fullEnv });
  assert.match(tin.output, /Successfully copied 6B to live:tmp\r?\n/, 'the container side as given');
  const q = await underPty(`${hxBin} cp -q made:/data/a.txt ${quote(out('tty-q.txt'))}`, [], { env: fullEnv });
  assert.is(q.code, 0, q.output);
  assert.not.match(q.output, /Successfully/);
  assert.is(readFileSync(out('tty-q.txt'), 'utf8'), 'hello\n');
  // piped (the other tests): no summary
  assert.is(H(['cp', 'made:/data/a.txt', out('piped.txt')]).stderr, '');

  ok(H(['create', '--read-only', '--name', 'ro', 'bb', 'true']));
  const r = H(['cp', join(work, 'src', 'single'), 'ro:/tmp/']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /container rootfs is marked read-only/);
  ok(H(['cp', 'ro:/etc/passwd', out('ro-passwd')]));
  // running, the kernel decides: its volumes take copies, its root does not
  const vol = join(work, 'ro-vol');
  mkdirSync(vol);
  ok(H(['run', '-d', '--read-only', '--name', 'ro-live', '-v', `${vol}:/vol`, 'bb', 'sleep', '1000']));
  ok(H(['cp', join(work, 'src', 'single'), 'ro-live:/vol/']));
  assert.is(readFileSync(join(vol, 'single'), 'utf8'), 'single\n');
  const live = H(['cp', join(work, 'src', 'single'), 'ro-live:/tmp/']);
  assert.is(live.code, 1);
  assert.match(live.stderr, /container rootfs is marked read-only/);
  ok(H(['rm', '-f', 'ro-live']));
});

test('a /data symlink to a host path is resolved inside the container: the canary is neither read nor written', () => {
  ok(H(['run', '--name', 'evil', 'bb', 'sh', '-c', `rm -rf /data; ln -s ${canaryDir} /data; ln -s / /root-link; ln -s ../../../../../.. /up`]));
  // reading through it: the container has no such path
  for (const src of ['/data/canary.txt', `/root-link${canary}`, `/up${canary}`]) {
    const r = H(['cp', `evil:${src}`, out('stolen')]);
    assert.is(r.code, 1, `${src}: ${r.stdout}`);
    assert.match(r.stderr, /Could not find the file/);
  }
  const r = H(['cp', '-L', 'evil:/data', out('stolen-dir')]);
  assert.is(r.code, 1, 'the link names nothing inside the container');
  // the link itself is copied as a link, never followed on the host
  ok(H(['cp', 'evil:/data', out('the-link')]));
  assert.is(readlinkSync(out('the-link')), canaryDir);
  // -L of a link to the container's / gives the container's files, not the host's
  ok(H(['cp', '-L', 'evil:/root-link/etc/passwd', out('passwd')]));
  assert.not.match(readFileSync(out('passwd'), 'utf8'), new RegExp(process.env.USER), 'the container\'s /etc/passwd');

  // writing through it
  const payload = join(work, 'payload');
  mkdirSync(payload);
  writeFileSync(join(payload, 'canary.txt'), 'overwritten\n');
  const w1 = H(['cp', join(payload, 'canary.txt'), 'evil:/data/canary.txt']);
  assert.is(w1.code, 1);
  assert.match(w1.stderr, /Could not find the file \/data in container evil/);
  ok(H(['cp', join(payload, 'canary.txt'), 'evil:/up/']));
  ok(H(['cp', `${payload}/.`, `evil:/root-link${canaryDir}/..`]));
  assert.is(readFileSync(canary, 'utf8'), `${secret}\n`, 'the canary is untouched');
  assert.equal(readdirSync(canaryDir), ['canary.txt'], 'nothing new beside it');
  assert.equal(withSecret(join(work, 'out')), [], 'no copy holds the secret');
});

test('a directory swapped for a symlink while cp runs never leads outside the container', async () => {
  ok(H(['run', '-d', '--name', 'swapper', 'bb', 'sh', '-c',
    `mkdir -p /d/inner; echo inside > /d/inner/f; while true; do mv /d /d2; ln -s ${canaryDir} /d; rm /d; mv /d2 /d; mv /d/inner /d/i2; ln -s ${canaryDir} /d/inner; rm /d/inner; mv /d/i2 /d/inner; done`]));
  const payload = join(work, 'payload2');
  mkdirSync(join(payload, 'inner'), { recursive: true });
  writeFileSync(join(payload, 'canary.txt'), 'overwritten\n');
  writeFileSync(join(payload, 'inner', 'canary.txt'), 'overwritten\n');
  let copiedOut = 0;
  let copiedIn = 0;
  for (let i = 0; i < 25; i++) {
    const [a, b, c] = await Promise.all([
      hxAsync(['cp', 'swapper:/d', out(`race-${i}`)], { env }),
      hxAsync(['cp', `${payload}/.`, 'swapper:/d'], { env }),
      hxAsync(['cp', join(payload, 'inner', 'canary.txt'), 'swapper:/d/inner/canary.txt'], { env }),
    ]);
    if (a.code === 0) copiedOut++;
    if (b.code === 0 || c.code === 0) copiedIn++;
    for (const r of [a, b, c]) assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  }
  assert.ok(copiedOut > 0 && copiedIn > 0, `some copies went through (${copiedOut} out, ${copiedIn} in)`);
  assert.equal(withSecret(join(work, 'out')), [], 'no copy out holds the secret');
  assert.is(readFileSync(canary, 'utf8'), `${secret}\n`, 'the canary is untouched');
  assert.equal(readdirSync(canaryDir), ['canary.txt'], 'nothing was written beside it');
  ok(H(['rm', '-f', 'swapper']));
});

test.after(async () => {
  // every container of this file's store, also those a failed test left running
  const ids = H(['ps', '-aq']).stdout.split('\n').filter(Boolean);
  if (ids.length) H(['rm', '-f', ...ids]);
  // once their monitors and cleanups are gone (a cleanup would start a holder again), stop
  // this file's namespace holder: its runtime dir goes next
  for (let i = 0; i < 100 && run('ps', ['-eo', 'args']).stdout.includes(store); i++) await new Promise((r) => setTimeout(r, 100));
  H(['system', 'migrate']);
  removeTree(work);
});

test.run();
