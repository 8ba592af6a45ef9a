// The executor's pure rules of hx build (src/engine/build): --chmod as chmod(1) reads it
// (octal and symbolic, X only for directories and executables), --exclude patterns
// (buildkit's: a pattern names a path or a directory above it, ** any depth), --parents'
// kept path (the /./ pivot), the platform normalisation and the automatic platform ARGs,
// the archive codecs ADD unpacks (by magic bytes), the file name of a URL download.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { excluder, parentsPath, parseChmod } from '../../dist/engine/build/copy-rules.js';
import { checkPlatform, hostPlatform, parsePlatform, platformArgs } from '../../dist/engine/build/platform.js';
import { archiveCodec } from '../../dist/engine/build/add-archive.js';
import { urlFileName } from '../../dist/engine/build/add-url.js';

const oct = (n) => n.toString(8);

test('--chmod: octal sets the bits; symbolic clauses change them as chmod(1) does', () => {
  const cases = [
    // [value, mode before, is a directory, mode after]
    ['755', 0o644, false, 0o755],
    ['0640', 0o777, true, 0o640],
    ['u+x', 0o644, false, 0o744],
    ['go-rwx,u+x', 0o644, false, 0o700],
    ['go-rwx,u+x', 0o755, true, 0o700],
    ['a=r', 0o755, false, 0o444],
    ['u=rwX,go=rX', 0o600, false, 0o644], // X: not for a file no one may execute
    ['u=rwX,go=rX', 0o700, false, 0o755], // ...but for one its owner may
    ['u=rwX,go=rX', 0o700, true, 0o755],
    ['=rw', 0o777, false, 0o666], // no class: all of them
    ['g=u', 0o740, false, 0o770],
    ['u+s,+t', 0o755, false, 0o5755],
    ['o-w', 0o777, false, 0o775],
  ];
  for (const [value, before, dir, after] of cases) {
    assert.is(oct(parseChmod(value)(before, dir)), oct(after), `${value} on ${oct(before)}${dir ? ' (dir)' : ''}`);
  }
  assert.throws(() => parseChmod('10000'), /between 0 and 07777/);
  assert.throws(() => parseChmod('u+q'), /octal or symbolic/);
});

test('--exclude: a pattern matches the path or a directory above it; * within a segment, ** across', () => {
  const ex = excluder(['*.txt', 'd/sub', '**/*.log', 'cache/']);
  const table = [
    ['a.txt', true],
    ['d/a.txt', false], // * does not cross a /
    ['d/sub', true],
    ['d/sub/y', true], // below an excluded directory
    ['d/subway', false],
    ['x.log', true],
    ['deep/er/x.log', true],
    ['cache/f', true],
    ['f', false],
  ];
  for (const [path, excluded] of table) assert.is(ex(path), excluded, path);
  assert.is(excluder([])('anything'), false);
});

test('--parents: the source path is kept, below a /./ pivot only', () => {
  assert.is(parentsPath('d/sub/y', '/d/sub/y'), 'd/sub/y');
  assert.is(parentsPath('./d/./sub/y', '/d/sub/y'), 'sub/y');
  assert.is(parentsPath('a/*/c', '/a/b/c'), 'a/b/c');
  assert.is(parentsPath('a/./*/c', '/a/b/c'), 'b/c');
});

test("platforms: containerd's normalisation; only the host's builds; the automatic ARGs", () => {
  assert.equal(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64', variant: '' });
  assert.equal(parsePlatform('Linux/aarch64'), { os: 'linux', architecture: 'arm64', variant: '' });
  assert.equal(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: '' });
  assert.equal(parsePlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.is(parsePlatform('linux'), undefined);
  assert.is(parsePlatform('linux//v7'), undefined);
  const host = hostPlatform();
  checkPlatform(`linux/${host.architecture}${host.variant ? `/${host.variant}` : ''}`, '--platform');
  assert.throws(() => checkPlatform(host.architecture === 's390x' ? 'linux/riscv64' : 'linux/s390x', '--platform'), /hx builds for the host's platform only/);
  assert.throws(() => checkPlatform('windows/amd64', 'Dockerfile:1:1: FROM --platform'), /^Dockerfile:1:1: FROM --platform: cannot build/);
  assert.throws(() => checkPlatform('nonsense', '--platform'), /unknown operating system or architecture/);
  const args = platformArgs();
  assert.is(args.TARGETPLATFORM, `linux/${host.architecture}${host.variant ? `/${host.variant}` : ''}`);
  assert.is(args.BUILDPLATFORM, args.TARGETPLATFORM);
  assert.is(args.TARGETOS, 'linux');
  assert.is(args.TARGETARCH, host.architecture);
  assert.is(args.BUILDARCH, host.architecture);
  assert.is(args.TARGETVARIANT, host.variant);
});

test('ADD: archives by their magic bytes; a URL download is named by its last path segment', () => {
  const head = (bytes, at = 0) => {
    const b = Buffer.alloc(512);
    Buffer.from(bytes).copy(b, at);
    return b;
  };
  assert.is(archiveCodec(head([0x1f, 0x8b, 8]), 512), 'gzip');
  assert.is(archiveCodec(head([0x28, 0xb5, 0x2f, 0xfd]), 512), 'zstd');
  assert.is(archiveCodec(head([0x42, 0x5a, 0x68, 0x39]), 512), 'bzip2');
  assert.is(archiveCodec(head([0x42, 0x5a, 0x68, 0x41]), 512), undefined, '"BZh" and no block size is text');
  assert.is(archiveCodec(head([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 512), 'xz');
  assert.is(archiveCodec(head([...Buffer.from('ustar')], 257), 512), 'none');
  assert.is(archiveCodec(head([...Buffer.from('plain text')]), 10), undefined);
  assert.is(urlFileName('http://127.0.0.1:8080/files/a%20b.tar.gz?x=1'), 'a b.tar.gz');
  assert.is(urlFileName('http://127.0.0.1:8080/'), '127.0.0.1');
  // an escaped slash or a dot segment never names a file outside the download's directory
  assert.is(urlFileName('http://127.0.0.1:8080/x/..%2F..%2Fetc%2Fpasswd'), 'download');
  assert.is(urlFileName('http://127.0.0.1:8080/%2e%2e'), 'download');
  assert.is(urlFileName('http://127.0.0.1:8080/bad%zz'), 'bad%zz');
});

test.run();
