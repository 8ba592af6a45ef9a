// `hx build`'s contexts as docker takes them, as the unprivileged user: a directory whose
// .dockerignore (with a "!" exception under an excluded directory) shapes what COPY copies
// and what the cache key hashes, without a private copy of the context; a tar on stdin
// (plain and gzip), a .tar.zst file as CONTEXT, the Dockerfile alone on stdin (no context),
// -f - with a directory; and docker's errors for a URL, a file that is neither, a tar with a
// device node or a name leaving the context, and COPY with no context.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { hx, need, removeTree, run, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
const work = tempDir('hx-build-ctx-');
const env = { HX_STORAGE_ROOT: join(work, 'store'), HX_RUNTIME_DIR: join(work, 'run') };
const H = (args, input) => hx(args, { env, ...(input !== undefined ? { input } : {}) });
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
assert.is(run('tar', ['-C', rootfs, '-cf', join(work, 'bb.tar'), '.']).code, 0);
assert.is(H(['import', join(work, 'bb.tar'), 'bb']).code, 0);
const build = (args, input) => H(['build', '--network', 'none', ...args], input);
const idOf = (r) => r.stdout.trim().split('\n').pop();
const show = (image, cmd) => H(['run', '--rm', '--network', 'none', image, 'sh', '-c', cmd]);

const ctxDir = join(work, 'context');
mkdirSync(join(ctxDir, 'logs/keep'), { recursive: true });
writeFileSync(join(ctxDir, 'app.txt'), 'app\n');
writeFileSync(join(ctxDir, 'logs/a.log'), 'noise\n');
writeFileSync(join(ctxDir, 'logs/keep/wanted.log'), 'wanted\n');
writeFileSync(join(ctxDir, 'secret.key'), 'canary\n');
writeFileSync(join(ctxDir, '.dockerignore'), 'logs\n!logs/keep\n*.key\n');
writeFileSync(join(ctxDir, 'Dockerfile'), 'FROM bb\nCOPY . /ctx/\nCMD ["true"]\n');

test('a directory: COPY . leaves out what .dockerignore excludes, keeps its exception, and the store holds no copy of the context', () => {
  const r = build(['-t', 'dir:1', ctxDir]);
  assert.is(r.code, 0, r.stderr);
  const out = show('dir:1', 'cd /ctx && find . | sort; cat logs/keep/wanted.log');
  assert.is(out.stdout, '.\n./.dockerignore\n./Dockerfile\n./app.txt\n./logs\n./logs/keep\n./logs/keep/wanted.log\nwanted\n');
  assert.is(readdirSync(join(env.HX_STORAGE_ROOT, 'tmp')).length, 0, 'no temp dir (no private copy) stays');
  // an excluded file changed: still all CACHED; a kept one changed: the COPY runs again
  writeFileSync(join(ctxDir, 'logs/a.log'), 'more noise\n');
  writeFileSync(join(ctxDir, 'secret.key'), 'other\n');
  const again = build(['-t', 'dir:2', ctxDir]);
  assert.is(again.code, 0, again.stderr);
  assert.is(idOf(again), idOf(r), 'what .dockerignore excludes is not in the cache key');
  writeFileSync(join(ctxDir, 'logs/keep/wanted.log'), 'changed\n');
  const edited = build(['-t', 'dir:3', ctxDir]);
  assert.is(edited.code, 0, edited.stderr);
  assert.is.not(idOf(edited), idOf(r), 'an exception under an excluded directory is in the key');
  assert.is(show('dir:3', 'cat /ctx/logs/keep/wanted.log').stdout, 'changed\n');
  const missing = build(['-f', join(work, 'Dockerfile.secret'), ctxDir]);
  assert.is(missing.code, 1);
  writeFileSync(join(work, 'Dockerfile.secret'), 'FROM bb\nCOPY secret.key /\n');
  const excluded = build(['-f', join(work, 'Dockerfile.secret'), ctxDir]);
  assert.is(excluded.code, 1);
  assert.match(excluded.stderr, /"secret.key": not found/, 'an excluded file is not in the context');
});

test('a tar on stdin (plain and gzip), its own Dockerfile and .dockerignore; a .tar.zst file as CONTEXT', () => {
  const src = join(work, 'tarsrc');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'Dockerfile'), 'FROM bb\nCOPY sub /in/\nCOPY top.txt /\nCMD ["cat", "/top.txt", "/in/f"]\n');
  writeFileSync(join(src, 'top.txt'), 'top\n');
  writeFileSync(join(src, 'sub/f'), 'from the tar\n');
  writeFileSync(join(src, 'sub/skip.tmp'), 'x\n');
  writeFileSync(join(src, '.dockerignore'), '**/*.tmp\n');
  assert.is(run('tar', ['-C', src, '-cf', join(work, 'ctx.tar'), '.']).code, 0);
  const tar = readFileSync(join(work, 'ctx.tar'));
  const plain = build(['-t', 'tar:plain', '-'], tar);
  assert.is(plain.code, 0, plain.stderr);
  assert.is(H(['run', '--rm', '--network', 'none', 'tar:plain']).stdout, 'top\nfrom the tar\n');
  assert.is(show('tar:plain', 'ls /in').stdout, 'f\n', '.dockerignore of the tar applies');
  const gz = build(['-t', 'tar:gz', '-'], gzipSync(tar));
  assert.is(gz.code, 0, gz.stderr);
  assert.is(idOf(gz), idOf(plain), 'the same files give the same image (the cache key is the content)');
  assert.is(run('zstd', ['-q', '-f', join(work, 'ctx.tar'), '-o', join(work, 'ctx.tar.zst')]).code, 0);
  const zst = build(['-t', 'tar:zst', join(work, 'ctx.tar.zst')]);
  assert.is(zst.code, 0, zst.stderr);
  assert.is(idOf(zst), idOf(plain));
  assert.is(readdirSync(join(env.HX_STORAGE_ROOT, 'tmp')).length, 0, 'the unpacked context is removed');
});

test('the Dockerfile alone on stdin (no context), and -f - with a context directory', () => {
  const alone = build(['-t', 'stdin:1', '-'], 'FROM bb\nRUN echo made > /m\nCMD ["cat", "/m"]\n');
  assert.is(alone.code, 0, alone.stderr);
  assert.is(H(['run', '--rm', '--network', 'none', 'stdin:1']).stdout, 'made\n');
  const copy = build(['-'], 'FROM bb\nCOPY x /x\n');
  assert.is(copy.code, 1);
  assert.match(copy.stderr, /no build context/);
  const dashF = build(['-t', 'stdin:2', '-f', '-', ctxDir], 'FROM bb\nCOPY app.txt /\nCMD ["cat", "/app.txt"]\n');
  assert.is(dashF.code, 0, dashF.stderr);
  assert.is(H(['run', '--rm', '--network', 'none', 'stdin:2']).stdout, 'app\n');
  const both = build(['-f', '-', '-'], 'FROM bb\n');
  assert.is(both.code, 1);
  assert.match(both.stderr, /can't use stdin for both build context and dockerfile/);
});

test('bad contexts: a URL, a file that is no archive, a missing path, device nodes and names leaving the context in a tar', () => {
  const url = build(['http://127.0.0.1:1/ctx.tar']);
  assert.is(url.code, 1);
  assert.match(url.stderr, /unable to prepare context: .*remote contexts/);
  writeFileSync(join(work, 'notes.txt'), 'just text\n');
  const file = build([join(work, 'notes.txt')]);
  assert.is(file.code, 1);
  assert.match(file.stderr, new RegExp(`unable to prepare context: context must be a directory: ${join(work, 'notes.txt')}`));
  const gone = build([join(work, 'nope')]);
  assert.is(gone.code, 1);
  assert.match(gone.stderr, /unable to prepare context: path ".*nope" not found/);
  // tars made by hand: a character device, and a name with ../ in it
  const header = (name, type, body = Buffer.alloc(0), link = '') => {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write(link, 157);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write(type, 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    h.fill(' ', 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
    return Buffer.concat([h, body, pad]);
  };
  const dockerfile = Buffer.from('FROM bb\n');
  const withDev = Buffer.concat([header('Dockerfile', '0', dockerfile), header('null', '3'), Buffer.alloc(1024)]);
  const dev = build(['-'], withDev);
  assert.is(dev.code, 1);
  assert.match(dev.stderr, /null is a device file/);
  const escape = Buffer.concat([header('Dockerfile', '0', dockerfile), header('../../escaped', '0', Buffer.from('x')), Buffer.alloc(1024)]);
  const esc = build(['-'], escape);
  assert.is(esc.code, 1, esc.stdout);
  // a symlink out of the context: COPY through it finds nothing; COPY of it follows it (as
  // buildkit does) inside the context, where /etc is not
  const through = Buffer.from('FROM bb\nCOPY out/passwd /x\n');
  const viaLink = build(['-'], Buffer.concat([header('Dockerfile', '0', through), header('out', '2', Buffer.alloc(0), '/etc'), Buffer.alloc(1024)]));
  assert.is(viaLink.code, 1);
  assert.match(viaLink.stderr, /"out\/passwd": not found/);
  const itself = Buffer.from('FROM bb\nCOPY out /l\n');
  const followed = build(['-t', 'link:1', '-'], Buffer.concat([header('Dockerfile', '0', itself), header('out', '2', Buffer.alloc(0), '/etc'), Buffer.alloc(1024)]));
  assert.is(followed.code, 1, 'the link is followed inside the context only');
  assert.match(followed.stderr, /\/out: No such file or directory/);
  assert.is(H(['images', '-q', '--filter', 'dangling=true']).stdout, '');
  assert.is(readdirSync(join(env.HX_STORAGE_ROOT, 'tmp')).length, 0);
});

test.after(() => removeTree(work));
test.run();
