// Issue 9, finding 1: image data never names a host path. An image's VOLUME keys and
// its symlinks are resolved inside the container's root; the copy-up of a new anonymous
// volume never reads the user's files (canaries in the test user's ~/.ssh and
// ~/.config/hx), while a legitimate VOLUME still gets the image's content with owners,
// modes, symlinks and hardlinks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, symlinkSync, linkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { hx, need, removeTree, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
const HOME = process.env.HOME;
const USER = process.env.USER || execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
need(HOME && HOME !== '/', 'the test user has a home directory');

const work = tempDir('hx-secvol-');
const store = join(work, 'store');
const H = (args, o = {}) => hx(args, { ...o, env: { HX_STORAGE_ROOT: store, ...(o.env ?? {}) } });

// Canaries where the published exploits pointed: the user's SSH keys and hx's credentials.
const secret = `CANARY-${randomBytes(8).toString('hex')}`;
const canaries = [join(HOME, '.ssh'), join(HOME, '.config', 'hx')].map((dir) => {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `hx-canary-${randomBytes(4).toString('hex')}`);
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return file;
});

// A busybox rootfs with the symlinks an attacker would plant, and a legitimate volume dir.
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
symlinkSync('/home', join(rootfs, 'data'));
symlinkSync(join(HOME, '.ssh'), join(rootfs, 'data2'));
symlinkSync('../../../../../../../../..', join(rootfs, 'up'));
mkdirSync(join(rootfs, 'srv/vol/sub'), { recursive: true });
writeFileSync(join(rootfs, 'srv/vol/a'), 'content of a\n');
symlinkSync('a', join(rootfs, 'srv/vol/lnk'));
linkSync(join(rootfs, 'srv/vol/a'), join(rootfs, 'srv/vol/hard'));
writeFileSync(join(rootfs, 'srv/vol/sub/b'), 'content of b\n');
const base = join(work, 'rootfs.tar');
execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', base, '.']);
// owners and modes the copy-up must keep: appended with GNU tar's own owner options
const extra = join(work, 'extra');
mkdirSync(join(extra, 'srv/owned'), { recursive: true });
writeFileSync(join(extra, 'srv/owned/f'), 'owned\n', { mode: 0o640 });
execFileSync('chmod', ['0750', join(extra, 'srv/owned')]);
execFileSync('tar', ['--numeric-owner', '--owner=1234', '--group=5678', '--no-recursion', '-C', extra, '-rf', base, './srv/owned', './srv/owned/f']);

function importWithVolume(name, volume) {
  const r = H(['import', '--change', `VOLUME ${JSON.stringify([volume])}`, '--change', 'CMD ["sh"]', base, name]);
  assert.is(r.code, 0, r.stderr);
}

/** Every file under the store that contains the canary text (read inside the namespace). */
function storeFilesWithSecret() {
  const r = hx(['unshare', '--', 'grep', '-rlF', secret, store], { env: { HX_STORAGE_ROOT: store } });
  return r.stdout.trim() ? r.stdout.trim().split('\n') : [];
}

const attacks = [
  ['dotdot-ssh', `/${'../'.repeat(24)}${HOME.slice(1)}/.ssh`],
  ['dotdot-config', `/${'../'.repeat(24)}${HOME.slice(1)}/.config/hx`],
  ['issue-ssh', '/../../../../../../.ssh'],
  ['issue-config', '/../../../../../../.config/hx'],
  ['symlink-home', `/data/${USER}/.ssh`],
  ['symlink-slash', '/data2/'],
  ['symlink-up', `/up${HOME}/.ssh`],
];

for (const [name, volume] of attacks) {
  test(`VOLUME ${JSON.stringify(volume)}: the container's volume holds nothing of the host`, () => {
    importWithVolume(`localhost/evil-${name}:1`, volume);
    // Search the container's whole filesystem (volumes included) for a canary or its text.
    const r = H(['run', '--rm', `localhost/evil-${name}:1`, 'sh', '-c',
      `find / \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o -name 'hx-canary-*' -print | sed 's/^/FOUND /'; grep -rlF ${secret} / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null; exit 0`]);
    assert.is(r.code, 0, r.stderr);
    assert.not.match(r.stdout, /FOUND|CANARY-/, `no canary visible inside:\n${r.stdout}`);
    assert.not.match(r.stdout, new RegExp(secret));
    assert.equal(storeFilesWithSecret(), [], 'the canary text was copied nowhere in the store');
  });
}

test('the volume of an attack key is a real, empty mount at the cleaned path', () => {
  const r = H(['run', '--rm', 'localhost/evil-issue-ssh:1', 'sh', '-c', 'grep -c " /.ssh " /proc/self/mountinfo; ls -A /.ssh | wc -l']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n'), ['1', '0']);
});

test('a legitimate VOLUME gets the image content with owners, modes, symlinks and hardlinks', () => {
  importWithVolume('localhost/good-vol:1', '/srv/vol');
  const r = H(['run', '--rm', 'localhost/good-vol:1', 'sh', '-c',
    'grep -c " /srv/vol " /proc/self/mountinfo; cd /srv/vol; cat a sub/b; readlink lnk; stat -c "%i" a hard | uniq | wc -l; echo more >> a; cat hard']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n'), ['1', 'content of a', 'content of b', 'a', '1', 'content of a', 'more']);
  importWithVolume('localhost/good-owned:1', '/srv/owned');
  const o = H(['run', '--rm', 'localhost/good-owned:1', 'sh', '-c', 'grep -c " /srv/owned " /proc/self/mountinfo; stat -c "%a %u %g" /srv/owned /srv/owned/f; cat /srv/owned/f']);
  assert.is(o.code, 0, o.stderr);
  assert.equal(o.stdout.trim().split('\n'), ['1', '750 1234 5678', '640 1234 5678', 'owned']);
});

test('a VOLUME path that is a file or missing in the image starts empty', () => {
  importWithVolume('localhost/vol-missing:1', '/nothing/here');
  const r = H(['run', '--rm', 'localhost/vol-missing:1', 'sh', '-c', 'ls -A /nothing/here | wc -l; touch /nothing/here/x && echo writable']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n'), ['0', 'writable']);
});

test.after(() => {
  for (const c of canaries) rmSync(c, { force: true });
  removeTree(work);
});
test.run();
