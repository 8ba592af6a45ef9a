// libhxns's statInRoot and copyEntry (native/lib/napi.c, tree.c) on plain directories: a
// path is resolved inside its root whatever symlinks the root holds, an entry is copied
// under a new name, and a directory swapped for a symlink while the copy runs (by another
// process, in a loop) never makes it read or write outside the root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyEntry, statInRoot } from '../../dist/sys/spawn.js';

const work = mkdtempSync(join(tmpdir(), 'hx-copy-entry-'));
const secret = `CANARY-${process.pid}-${Date.now()}`;
const outside = join(work, 'outside');
mkdirSync(outside);
writeFileSync(join(outside, 'canary'), `${secret}\n`);
const root = join(work, 'root');
mkdirSync(join(root, 'etc'), { recursive: true });
writeFileSync(join(root, 'etc', 'passwd'), 'root inside\n');
symlinkSync('/', join(root, 'slash'));
symlinkSync(outside, join(root, 'abs'));
symlinkSync('../../../../../../..', join(root, 'up'));
const REPLACE = 1 | 2 | 4; // XATTRS | HARDLINKS | REPLACE

function allFiles(dir) {
  const out = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(...allFiles(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

test('statInRoot: symlinks resolve inside the root; lstat unless asked to follow', () => {
  assert.is(statInRoot({ root, path: '/slash/etc/passwd' }, false).size, 'root inside\n'.length, '/ is the root');
  assert.is(statInRoot({ root, path: '/up/etc/passwd' }, false).size, 'root inside\n'.length, '.. stops at the root');
  assert.is(statInRoot({ root, path: `/abs/canary` }, false), undefined, 'an absolute link names a path in the root');
  assert.is(statInRoot({ root, path: `/slash${outside}/canary` }, false), undefined);
  const link = statInRoot({ root, path: '/abs' }, false);
  assert.is(link.mode & 0o170000, 0o120000);
  assert.is(link.linkTarget, outside);
  assert.is(statInRoot({ root, path: '/slash' }, true).mode & 0o170000, 0o040000, 'followed: the root itself');
  assert.throws(() => statInRoot({ root, path: '/etc/passwd/' }, true), /ENOTDIR/);
});

test('copyEntry: under a new name, a file or a tree; a link copied as a link; nothing outside', () => {
  const dst = join(work, 'dst');
  mkdirSync(dst);
  copyEntry({ root, path: '/slash/etc/passwd' }, { root: '', path: dst, name: 'pw' }, REPLACE);
  assert.is(readFileSync(join(dst, 'pw'), 'utf8'), 'root inside\n');
  copyEntry({ root, path: '/abs' }, { root: '', path: dst, name: 'abs' }, REPLACE);
  assert.is(readlinkSync(join(dst, 'abs')), outside, 'not followed');
  assert.throws(() => copyEntry({ root, path: '/abs', follow: true }, { root: '', path: dst, name: 'x' }, REPLACE), /ENOENT/, 'followed inside the root: nothing there');
  copyEntry({ root, path: '/up', follow: true }, { root: '', path: dst, name: 'whole' }, REPLACE);
  assert.ok(existsSync(join(dst, 'whole', 'etc', 'passwd')), '-L of a link to the root copies the root');
  assert.not.ok(allFiles(dst).some((f) => readFileSync(f, 'utf8').includes(secret)), 'the canary was not read');
  // into the root: the destination directory is resolved inside it too
  writeFileSync(join(work, 'payload'), 'payload\n');
  copyEntry({ root: '', path: join(work, 'payload') }, { root, path: '/slash/etc', name: 'new' }, REPLACE);
  assert.is(readFileSync(join(root, 'etc', 'new'), 'utf8'), 'payload\n');
  assert.throws(() => copyEntry({ root: '', path: join(work, 'payload') }, { root, path: '/abs', name: 'canary' }, REPLACE), /ENOENT/);
  assert.is(readFileSync(join(outside, 'canary'), 'utf8'), `${secret}\n`);
  for (const bad of ['', '.', '..', 'a/b']) {
    assert.throws(() => copyEntry({ root, path: '/etc' }, { root: '', path: dst, name: bad }, REPLACE), /EINVAL/, `name ${JSON.stringify(bad)}`);
  }
});

test('a directory swapped for a symlink while copies run never leads outside the root', async () => {
  const race = join(work, 'race');
  mkdirSync(join(race, 'd', 'inner'), { recursive: true });
  for (let i = 0; i < 50; i++) writeFileSync(join(race, 'd', 'inner', `f${i}`), 'inside\n');
  // another process swaps d and d/inner for links to the canary's directory, as fast as it can
  const swapper = spawn('sh', ['-c', `cd ${race} && while true; do mv d d2; ln -s ${outside} d; rm d; mv d2 d; mv d/inner d/i2; ln -s ${outside} d/inner; rm d/inner; mv d/i2 d/inner; done`], { stdio: 'ignore' });
  const payload = join(work, 'payload-dir');
  mkdirSync(join(payload, 'inner'), { recursive: true });
  writeFileSync(join(payload, 'inner', 'canary'), 'overwritten\n');
  writeFileSync(join(payload, 'canary'), 'overwritten\n');
  let out = 0;
  let into = 0;
  try {
    for (let i = 0; i < 300; i++) {
      const dst = join(work, `race-out-${i}`);
      mkdirSync(dst);
      try {
        copyEntry({ root: race, path: '/d' }, { root: '', path: dst, name: 'd' }, REPLACE);
        out++;
      } catch {
        /* d was a link or missing at that moment */
      }
      try {
        copyEntry({ root: '', path: join(payload, 'inner') }, { root: race, path: '/d', name: 'inner' }, REPLACE);
        into++;
      } catch {
        /* a clash with the swapped entry */
      }
      try {
        copyEntry({ root: '', path: join(payload, 'canary') }, { root: race, path: '/d/inner', name: 'canary' }, REPLACE);
        into++;
      } catch {
        /* d/inner was a link to a path that does not exist in the root */
      }
    }
  } finally {
    swapper.kill('SIGKILL');
  }
  assert.ok(out > 0 && into > 0, `some copies went through (${out} out, ${into} in)`);
  const leaked = readdirSync(work).filter((n) => n.startsWith('race-out-')).flatMap((n) => allFiles(join(work, n))).filter((f) => readFileSync(f, 'utf8').includes(secret));
  assert.equal(leaked, [], 'no copy holds the canary');
  assert.equal(readdirSync(outside), ['canary'], 'nothing written beside the canary');
  assert.is(readFileSync(join(outside, 'canary'), 'utf8'), `${secret}\n`);
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
