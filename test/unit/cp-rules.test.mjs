// docker cp's path rules (container/copy-rules.ts): moby's PreserveTrailingDotOrSeparator
// and PrepareArchiveCopy cases, and the CLI's splitCpArg.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normalizeCopyPath, planCopy, specifiesCurrentDir, splitPath, stripEnding } from '../../dist/container/copy-rules.js';
import { splitCpArg } from '../../dist/cli/commands/container/cp.js';

test('normalizeCopyPath: absolute and clean, keeping "/." and a trailing "/"', () => {
  const cases = [
    ['etc/hosts', '/', '/etc/hosts'],
    ['/etc/../etc//hosts', '/', '/etc/hosts'],
    ['/data/', '/', '/data/'],
    ['/data/.', '/', '/data/.'],
    ['/data/./', '/', '/data/./'],
    ['data/sub/..', '/', '/data'],
    ['.', '/home/u', '/home/u/.'],
    ['./', '/home/u', '/home/u/./'],
    ['out', '/home/u', '/home/u/out'],
    ['../x/', '/home/u', '/home/x/'],
    ['/', '/', '/'],
    ['/.', '/', '/.'],
    ['../../..', '/', '/'],
  ];
  for (const [path, base, want] of cases) assert.is(normalizeCopyPath(path, base), want, `${path} from ${base}`);
});

test('endings: what to open, and the parent/name split', () => {
  assert.is(stripEnding('/data/.'), '/data');
  assert.is(stripEnding('/data/./'), '/data');
  assert.is(stripEnding('/data/'), '/data');
  assert.is(stripEnding('/.'), '/');
  assert.is(stripEnding('/'), '/');
  assert.equal(splitPath('/a/b/'), { dir: '/a', base: 'b' });
  assert.equal(splitPath('/a'), { dir: '/', base: 'a' });
  assert.ok(specifiesCurrentDir('/a/.') && specifiesCurrentDir('/a/./') && !specifiesCurrentDir('/a.') && !specifiesCurrentDir('/a/'));
});

test("planCopy: PrepareArchiveCopy's cases", () => {
  const file = { path: '/etc/hosts', isDir: false };
  const dir = { path: '/data', isDir: true };
  const dirDot = { path: '/data/.', isDir: true };
  const existingDir = { path: '/out', exists: true, isDir: true };
  const existingFile = { path: '/out/f', exists: true, isDir: false };
  const missing = { path: '/out/new', exists: false, isDir: false };
  const missingSlash = { path: '/out/new/', exists: false, isDir: false };

  assert.equal(planCopy(file, existingDir), { kind: 'entry', dir: '/out', name: 'hosts' });
  assert.equal(planCopy(dir, existingDir), { kind: 'entry', dir: '/out', name: 'data' });
  assert.equal(planCopy(dirDot, existingDir), { kind: 'contents', dir: '/out' });
  assert.equal(planCopy({ path: '/', isDir: true }, existingDir), { kind: 'contents', dir: '/out' }, 'the whole root: its contents');
  assert.equal(planCopy(file, existingFile), { kind: 'entry', dir: '/out', name: 'f' }, 'a file replaces a file');
  assert.equal(planCopy(file, missing), { kind: 'entry', dir: '/out', name: 'new' });
  assert.equal(planCopy(dir, missing), { kind: 'entry', dir: '/out', name: 'new' }, 'a new directory takes the new name');
  assert.equal(planCopy(dirDot, missing), { kind: 'entry', dir: '/out', name: 'new' });
  assert.equal(planCopy(dir, missingSlash), { kind: 'entry', dir: '/out', name: 'new' }, 'a directory may make the asserted directory');
  assert.equal(planCopy({ ...file, rebaseName: 'link' }, existingDir), { kind: 'entry', dir: '/out', name: 'link' }, '-L keeps the link name');

  assert.throws(() => planCopy(dir, existingFile), /^cannot copy directory$/);
  assert.throws(() => planCopy(file, missingSlash), /^no such directory$/);
  assert.throws(() => planCopy(file, { path: '/out/f/', exists: true, isDir: false }), /^not a directory$/);
});

test("splitCpArg: docker's container:path split", () => {
  assert.equal(splitCpArg('ctr:/etc/hosts'), { container: 'ctr', path: '/etc/hosts' });
  assert.equal(splitCpArg('ctr:'), { container: 'ctr', path: '' });
  assert.equal(splitCpArg('/abs/with:colon'), { container: '', path: '/abs/with:colon' });
  assert.equal(splitCpArg('./rel:colon'), { container: '', path: './rel:colon' });
  assert.equal(splitCpArg('plain'), { container: '', path: 'plain' });
  assert.equal(splitCpArg('-'), { container: '', path: '-' });
  assert.equal(splitCpArg('a:b:c'), { container: 'a', path: 'b:c' });
});

test.run();
