// A container's filesystem as changes, an image and a tar, rootless, on overlay and on vfs:
// `hx diff` lists exactly what a container added, changed, deleted and replaced; `hx commit`
// makes an image whose run sees exactly that, whose layer GNU tar lists with the right
// whiteouts, the same diff_id twice, a history entry, and which podman loads and runs;
// `hx export` equals the tree the container sees; bad input gets docker's words.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, hxBin, need, removeTree, run, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
const work = tempDir('hx-ctrfs-');
const runtime = join(work, 'run');
const have = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

// The image: busybox, plus files to change, delete and replace, and one owned by 1000:1000
// (made inside hx's namespace, so the tar holds those owners).
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
writeFileSync(join(rootfs, 'etc/keep'), 'keep\n');
writeFileSync(join(rootfs, 'etc/gone'), 'gone\n');
mkdirSync(join(rootfs, 'olddir'));
writeFileSync(join(rootfs, 'olddir/a'), 'a\n');
writeFileSync(join(rootfs, 'olddir/b'), 'b\n');
mkdirSync(join(rootfs, 'data'));
writeFileSync(join(rootfs, 'data/owned'), 'owned\n', { mode: 0o640 });
const tarball = join(work, 'fs.tar');
{
  const r = hx(['unshare', '--', 'sh', '-c', `chown 1000:1000 ${rootfs}/data/owned && tar --numeric-owner -C ${rootfs} -cf ${tarball} .`], { env: { HX_RUNTIME_DIR: runtime } });
  assert.is(r.code, 0, r.stderr);
}

const CHANGES = [
  'echo new > /new.txt',
  'echo more >> /etc/keep',
  'rm /etc/gone',
  'rm -rf /olddir',
  'mkdir /olddir',
  'echo c > /olddir/c',
  'mkdir -p /nd/sub',
  'echo x > /nd/sub/x',
  'ln /nd/sub/x /nd/hard',
  'ln -s ../etc/keep /nd/link',
  'chmod 600 /nd/sub/x',
  'chown 1000:1000 /nd/sub/x',
  'mkfifo /nd/fifo',
].join(' && ');

const EXPECTED_DIFF = [
  'C /etc',
  'D /etc/gone',
  'C /etc/keep',
  'A /nd',
  'A /nd/fifo',
  'A /nd/hard',
  'A /nd/link',
  'A /nd/sub',
  'A /nd/sub/x',
  'A /new.txt',
  'C /olddir',
  'D /olddir/a',
  'D /olddir/b',
  'A /olddir/c',
];

/** name -> { kind, mode, owner, size, sha } for every entry of the tar FILE, read by GNU tar. */
function tarManifest(file) {
  const list = run('tar', ['--numeric-owner', '-tvf', file]);
  assert.is(list.code, 0, list.stderr);
  const sums = run('tar', ['-xf', file, '--to-command', 'printf "%s %s\\n" "$TAR_FILENAME" "$(sha256sum | cut -c1-64)"']);
  assert.is(sums.code, 0, sums.stderr);
  const clean = (n) => n.replace(/^\.\//, '').replace(/\/$/, '');
  const hash = new Map(sums.stdout.trim().split('\n').filter(Boolean).map((l) => [clean(l.slice(0, l.lastIndexOf(' '))), l.slice(l.lastIndexOf(' ') + 1)]));
  const out = new Map();
  for (const l of list.stdout.trim().split('\n')) {
    const f = l.split(/\s+/);
    const name = clean(f.slice(5).join(' ').replace(/ -> .*$/, '').replace(/ link to .*$/, ''));
    if (name === '' || name === '.') continue;
    out.set(name, { kind: f[0][0] === 'h' ? '-' : f[0][0], link: f[0][0] === 'h', mode: f[0].slice(1), owner: f[1], size: f[0][0] === '-' ? f[2] : '', sha: hash.get(name) });
  }
  return out;
}

/** The entries of two manifests as comparable lines (a hardlink's content is its target's). */
function sameTrees(a, b) {
  const lines = (m, other) =>
    [...m.entries()]
      // the kernel's trees, and the network files bind-mounted over empty targets
      .filter(([n]) => !/^(proc|sys|dev)(\/|$)/.test(n) && !/^etc\/(hosts|hostname|resolv\.conf)$/.test(n))
      .map(([n, e]) => {
        const o = other.get(n);
        const content = e.link || o?.link ? '' : `${e.size} ${e.sha ?? ''}`;
        return `${n} ${e.kind}${e.mode} ${e.owner} ${content}`;
      })
      .sort();
  assert.equal(lines(a, b), lines(b, a));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (const driver of ['overlay', 'vfs']) {
  const store = join(work, `store-${driver}`);
  const env = { HX_STORAGE_ROOT: store, HX_RUNTIME_DIR: runtime };
  const H = (args, o = {}) => hx(['--storage-driver', driver, ...args], { ...o, env: { ...env, ...(o.env ?? {}) } });

  test(`${driver}: diff lists what the container added, changed, deleted and replaced`, () => {
    assert.is(H(['import', tarball, 'fsimg']).code, 0);
    const r = H(['run', '--name', 'mod', 'fsimg', 'sh', '-c', CHANGES]);
    assert.is(r.code, 0, r.stderr);
    const d = H(['diff', 'mod']);
    assert.is(d.code, 0, d.stderr);
    assert.equal(d.stdout.trim().split('\n'), EXPECTED_DIFF);
    // a container that changed nothing: no lines (the runtime's mount targets are not changes)
    assert.is(H(['run', '--name', 'same', 'fsimg', 'true']).code, 0);
    assert.is(H(['diff', 'same']).stdout, '');
    // a created container never started
    assert.is(H(['create', '--name', 'fresh', 'fsimg', 'sh']).code, 0);
    assert.is(H(['diff', 'fresh']).stdout, '');
  });

  test(`${driver}: commit makes an image that runs with exactly those changes`, () => {
    const c = H(['commit', '-a', 'Ada <ada@example.org>', '-m', 'the changes', '-c', 'CMD ["cat", "/new.txt"]', '-c', 'ENV STAGE=one', 'mod', 'fsimg:committed']);
    assert.is(c.code, 0, c.stderr);
    assert.match(c.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.is(H(['run', '--rm', 'fsimg:committed']).stdout, 'new\n', 'CMD from --change');
    const check = [
      'cat /etc/keep',
      'test ! -e /etc/gone && echo gone-deleted',
      'ls /olddir',
      'stat -c "%u:%g %a" /nd/sub/x',
      '[ /nd/hard -ef /nd/sub/x ] && echo hardlinked',
      'readlink /nd/link',
      'test -p /nd/fifo && echo fifo',
      'stat -c "%u:%g %a" /data/owned',
      'echo $STAGE',
    ].join('; ');
    const r = H(['run', '--rm', 'fsimg:committed', 'sh', '-c', check]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, 'keep\nmore\ngone-deleted\nc\n1000:1000 600\nhardlinked\n../etc/keep\nfifo\n1000:1000 640\none\n');
    // history: the commit's entry, with the message
    const h = H(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', 'fsimg:committed']);
    assert.is(h.code, 0, h.stderr);
    assert.is(h.stdout.split('\n')[0], `sh -c ${CHANGES}|the changes`);
    assert.is(H(['image', 'inspect', '-f', '{{.Author}}', 'fsimg:committed']).stdout.trim(), 'Ada <ada@example.org>');
    // committing the same container again: the same layer
    assert.is(H(['commit', 'mod', 'fsimg:again']).code, 0);
    const layers = (ref) => JSON.parse(H(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', ref]).stdout);
    const a = layers('fsimg:committed');
    const b = layers('fsimg:again');
    assert.is(a.length, 2);
    assert.equal(a, b);
    // nothing changed: no new layer, an empty_layer history entry
    assert.is(H(['commit', 'same', 'fsimg:same']).code, 0);
    assert.is(layers('fsimg:same').length, 1);
  });

  test(`${driver}: the committed layer, read by GNU tar, holds the whiteouts and an opaque marker`, () => {
    const out = join(work, `saved-${driver}`);
    mkdirSync(out);
    assert.is(H(['save', '-o', join(out, 'img.tar'), 'fsimg:committed']).code, 0);
    assert.is(run('tar', ['-C', out, '-xf', join(out, 'img.tar')]).code, 0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    const top = join(out, manifest[0].Layers.at(-1));
    const list = run('tar', ['--numeric-owner', '-tvf', top]);
    assert.is(list.code, 0, list.stderr);
    const names = list.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(5).join(' '));
    const plain = names.map((n) => n.replace(/ link to .*$/, '').replace(/ -> .*$/, ''));
    // overlay knows the directory was made again (opaque); vfs sees the two files gone
    const replaced = driver === 'overlay' ? ['olddir/.wh..wh..opq'] : ['olddir/.wh.a', 'olddir/.wh.b'];
    assert.equal(plain, ['etc/', 'etc/.wh.gone', 'etc/keep', 'nd/', 'nd/fifo', 'nd/hard', 'nd/link', 'nd/sub/', 'nd/sub/x', 'new.txt', 'olddir/', ...replaced, 'olddir/c']);
    assert.ok(names.includes('nd/sub/x link to nd/hard'), names.join('\n'));
    assert.ok(names.includes('nd/link -> ../etc/keep'));
    assert.match(list.stdout, /^-rw------- 1000\/1000 .* nd\/hard$/m);
    assert.match(list.stdout, /^p.* nd\/fifo$/m);

    if (driver === 'overlay' && have('podman') && have('runc')) {
      // an outside verdict: podman loads the saved image and runs it
      const pm = join(work, 'podman');
      const args = ['--root', join(pm, 'root'), '--runroot', join(pm, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
      const load = run('podman', [...args, 'load', '-i', join(out, 'img.tar')]);
      assert.is(load.code, 0, load.stderr);
      const r = run('podman', [...args, 'run', '--rm', '--runtime', 'runc', '--network', 'none', 'localhost/fsimg:committed', 'sh', '-c', 'cat /new.txt /olddir/c; ls /olddir; test ! -e /etc/gone && echo gone']);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout, 'new\nc\nc\ngone\n');
      run('podman', [...args, 'unshare', 'rm', '-rf', pm]);
    }
  });

  test(`${driver}: export of a running container is the tree it sees; import of it runs`, async () => {
    const live = H(['run', '-d', '--name', 'live', 'fsimg', 'sh', '-c', `${CHANGES} && touch /ready && sleep 600`]);
    assert.is(live.code, 0, live.stderr);
    for (let i = 0; H(['exec', 'live', 'test', '-e', '/ready']).code !== 0; i++) {
      assert.ok(i < 100, 'the container made its changes');
      await sleep(100);
    }
    const file = join(work, `export-${driver}.tar`);
    const e = H(['export', '-o', file, 'live']);
    assert.is(e.code, 0, e.stderr);
    // the outside verdict: busybox tar inside the container archives what it sees (the top
    // level named one by one, to leave the kernel's /proc, /sys and /dev out)
    const t = spawnSync(hxBin, ['--storage-driver', driver, 'exec', 'live', 'sh', '-c', 'cd / && tar -cf - $(ls -A | grep -v -x -e proc -e sys -e dev)'], { env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
    assert.is(t.status, 0, String(t.stderr));
    const inside = join(work, `inside-${driver}.tar`);
    writeFileSync(inside, t.stdout);
    const mine = tarManifest(file);
    sameTrees(mine, tarManifest(inside));
    assert.ok(mine.has('new.txt') && mine.has('nd/sub/x') && !mine.has('etc/gone') && mine.has('olddir/c') && !mine.has('olddir/a'));
    // import of the export runs
    assert.is(H(['import', file, 'fsimg:imported']).code, 0);
    assert.is(H(['run', '--rm', 'fsimg:imported', 'cat', '/new.txt', '/olddir/c']).stdout, 'new\nc\n');
    // to stdout, of the stopped container: the same entries
    assert.is(H(['rm', '-f', 'live']).code, 0);
    const s = spawnSync(hxBin, ['--storage-driver', driver, 'export', 'mod'], { env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
    assert.is(s.status, 0, String(s.stderr));
    const stdoutTar = join(work, `stdout-${driver}.tar`);
    writeFileSync(stdoutTar, s.stdout);
    const names = [...tarManifest(stdoutTar).keys()].filter((n) => n !== 'ready').sort();
    assert.equal(names, [...mine.keys()].filter((n) => n !== 'ready').sort());
  });

  test(`${driver}: bad input: unknown containers and references, docker's words, nothing made`, () => {
    for (const cmd of [['diff', 'nosuch'], ['commit', 'nosuch'], ['export', '-o', join(work, 'never.tar'), 'nosuch']]) {
      const r = H(cmd);
      assert.is(r.code, 1, `${cmd[0]}: ${r.stderr}`);
      assert.match(r.stderr, /No such container: nosuch/);
    }
    assert.not.ok(existsSync(join(work, 'never.tar')));
    const bad = H(['commit', 'mod', 'Bad:Name']);
    assert.is(bad.code, 1);
    assert.match(bad.stderr, /invalid reference format/);
    const change = H(['commit', '-c', 'RUN echo hi', 'mod', 'fsimg:x']);
    assert.is(change.code, 1);
    assert.match(change.stderr, /run is not a valid change command/);
    assert.is(H(['images', '-q', 'fsimg:x']).stdout, '');
  });
}

test.after(() => removeTree(work));
test.run();
