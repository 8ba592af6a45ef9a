// .dockerignore semantics. Tables from moby/patternmatcher's own tests
// (patternmatcher_test.go TestMatches, multiPatternTests, TestMatch; ignorefile_test.go
// TestReadAll), the Dockerfile.dockerignore rule from docs.docker.com (build context:
// "A Dockerfile-specific ignore-file takes precedence over the .dockerignore file at the
// root of the build context"), and the skip-a-directory rule checked against a real walk.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerIgnore, ignoreFileCandidates, loadDockerIgnore, readIgnoreFile } from '../../dist/build/dockerignore.js';

// patternmatcher_test.go TestMatches: [pattern, path, matched (exact or inexact)].
// Its two rows with the path "/" are left out: hx matches context-relative paths and never
// excludes the root, as patternmatcher.Matches ("Don't let them exclude everything").
const matches = [
  ['**', 'file', true], ['**', 'file/', true], ['**/', 'file', true], ['**/', 'file/', true],
  ['**', 'dir/file', true], ['**/', 'dir/file', true], ['**', 'dir/file/', true], ['**/', 'dir/file/', true],
  ['**/**', 'dir/file', true], ['**/**', 'dir/file/', true],
  ['dir/**', 'dir/file', true], ['dir/**', 'dir/file/', true], ['dir/**', 'dir/dir2/file', true], ['dir/**', 'dir/dir2/file/', true],
  ['**/dir', 'dir', true], ['**/dir', 'dir/file', true], ['**/dir2/*', 'dir/dir2/file', true], ['**/dir2/*', 'dir/dir2/file/', true],
  ['**/dir2/**', 'dir/dir2/dir3/file', true], ['**/dir2/**', 'dir/dir2/dir3/file/', true],
  ['**file', 'file', true], ['**file', 'dir/file', true], ['**/file', 'dir/file', true], ['**file', 'dir/dir/file', true],
  ['**/file', 'dir/dir/file', true], ['**/file*', 'dir/dir/file', true], ['**/file*', 'dir/dir/file.txt', true],
  ['**/file*txt', 'dir/dir/file.txt', true], ['**/file*.txt', 'dir/dir/file.txt', true], ['**/file*.txt*', 'dir/dir/file.txt', true],
  ['**/**/*.txt', 'dir/dir/file.txt', true], ['**/**/*.txt2', 'dir/dir/file.txt', false], ['**/*.txt', 'file.txt', true],
  ['**/**/*.txt', 'file.txt', true], ['a**/*.txt', 'a/file.txt', true], ['a**/*.txt', 'a/dir/file.txt', true],
  ['a**/*.txt', 'a/dir/dir/file.txt', true], ['a/*.txt', 'a/dir/file.txt', false], ['a/*.txt', 'a/file.txt', true],
  ['a/*.txt**', 'a/file.txt', true], ['a[b-d]e', 'ae', false], ['a[b-d]e', 'ace', true], ['a[b-d]e', 'aae', false],
  ['a[^b-d]e', 'aze', true], ['.*', '.foo', true], ['.*', 'foo', false], ['abc.def', 'abcdef', false],
  ['abc.def', 'abc.def', true], ['abc.def', 'abcZdef', false], ['abc?def', 'abcZdef', true], ['abc?def', 'abcdef', false],
  ['**/foo/bar', 'foo/bar', true], ['**/foo/bar', 'dir/foo/bar', true], ['**/foo/bar', 'dir/dir2/foo/bar', true],
  ['abc/**', 'abc', false], ['abc/**', 'abc/def', true], ['abc/**', 'abc/def/ghi', true], ['**/.foo', '.foo', true],
  ['**/.foo', 'bar.foo', false], ['a(b)c/def', 'a(b)c/def', true], ['a(b)c/def', 'a(b)c/xyz', false],
  ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
  ['dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  // the non-Windows rows
  ['a\\\\', 'a\\', true], ['a\\*b', 'a*b', true],
  // TestMatch (Go's filepath.Match table as patternmatcher runs it)
  ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'abc', true], ['a*', 'ab/c', true],
  ['a*/b', 'abc/b', true], ['a*/b', 'a/c/b', false], ['a*b*c*d*e*/f', 'axbxcxdxe/f', true], ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false], ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false], ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false], ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false], ['ab[^b-d]', 'abc', false], ['ab[^e-g]', 'abc', true], ['a\\*b', 'ab', false], ['a?b', 'a☺b', true],
  ['a[^a]b', 'a☺b', true], ['a???b', 'a☺b', false], ['a[^a][^a][^a]b', 'a☺b', false], ['[a-ζ]*', 'α', true], ['*[a-ζ]', 'A', false],
  ['a?b', 'a/b', false], ['a*b', 'a/b', false], ['[\\]a]', ']', true], ['[\\-]', '-', true], ['[x\\-]', 'x', true], ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false], ['[\\-x]', 'x', true], ['[\\-x]', '-', true], ['[\\-x]', 'a', false], ['*x', 'xxx', true],
];

for (const [pattern, path, expected] of matches) {
  test(`pattern ${JSON.stringify(pattern)} ${expected ? 'excludes' : 'keeps'} ${JSON.stringify(path)}`, () => {
    assert.is(new DockerIgnore([pattern]).excludes(path), expected);
  });
}

// multiPatternTests, and the package's other multi-pattern tests.
const multi = [
  [['**', '!util/docker/web'], 'util/docker/web/foo', false],
  [['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo', true],
  [['**', '!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
  [['**', '!dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
  [['*.go'], 'fileutils.go', true],
  [['!fileutils.go', '*.go'], 'fileutils.go', true],
  [['*.go', '!fileutils.go'], 'fileutils.go', false],
  [['docs', '!docs/README.md'], 'docs/README.md', false],
  [['docs/', '!docs/README.md'], 'docs/README.md', false],
  [['docs/*', '!docs/README.md'], 'docs/README.md', false],
  [['*.go'], '.', false],
  [[], 'any/path/there', false],
];

for (const [patterns, path, expected] of multi) {
  test(`patterns ${JSON.stringify(patterns)} ${expected ? 'exclude' : 'keep'} ${JSON.stringify(path)}`, () => {
    assert.is(new DockerIgnore(patterns).excludes(path), expected);
  });
}

test('bad patterns are refused with Go filepath.Match\'s words (TestMatch ErrBadPattern rows)', () => {
  for (const bad of ['[]a]', '[-]', '[x-]', '[-x]', '\\', '[a-b-c]', '[', '[^', '[^bc', 'a[']) {
    assert.throws(() => new DockerIgnore([bad]), /syntax error in pattern/, bad);
  }
  assert.throws(() => new DockerIgnore(['!']), /illegal exclusion pattern: "!"/);
  assert.throws(() => DockerIgnore.parse('ok\n[\n', '.dockerignore'), /^\.dockerignore:2: syntax error in pattern/);
});

test('reading an ignore file (ignorefile_test.go TestReadAll)', () => {
  const content = 'test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ';
  const patterns = readIgnoreFile(content).map((p) => (p.exception ? `!${p.pattern}` : p.pattern));
  assert.equal(patterns, ['test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path', '!', '!']);
  // A leading BOM and CRLF line ends are read as bufio.Scanner reads them.
  assert.equal(readIgnoreFile('\ufeffa\r\nb/../c\r\n').map((p) => p.pattern), ['a', 'c']);
  // Only a # in the first column starts a comment.
  assert.equal(readIgnoreFile('  # not a comment').map((p) => p.pattern), ['# not a comment']);
});

test('a directory may be skipped only when no exception could take back something below it', () => {
  const skip = (patterns, dir) => new DockerIgnore(patterns).canSkipDirectory(dir);
  assert.is(skip(['node_modules'], 'node_modules'), true);
  assert.is(skip(['build'], 'src'), false, 'not excluded at all');
  assert.is(skip(['docs', '!docs/README.md'], 'docs'), false, "moby's own rule: an exception spelled under the directory");
  assert.is(skip(['build', '!src/keep'], 'build'), true);
  assert.is(skip(['*', '!*/keep'], 'a'), false, 'a wildcard exception can match a/keep');
  assert.is(skip(['**', '!**/*.go'], 'x'), false);
  assert.is(skip(['dir/**', '!dir/keep/**'], 'dir/other'), true);
  assert.is(skip(['dir/**', '!dir/keep/**'], 'dir/keep'), false);
});

test('canSkipDirectory never skips a directory holding a path the matcher keeps', () => {
  const tree = [
    'a', 'a/keep', 'a/b', 'a/b/keep', 'a/b/c.go', 'a/x.txt', 'docs', 'docs/README.md', 'docs/api', 'docs/api/x.md',
    'node_modules', 'node_modules/p', 'node_modules/p/index.js', 'src', 'src/main.go', 'src/keep', 'build', 'build/out',
  ];
  const dirs = tree.filter((p) => tree.some((q) => q.startsWith(`${p}/`)));
  const lists = [
    ['*', '!*/keep'], ['**', '!**/*.go'], ['docs', '!docs/README.md'], ['a', '!a/b'], ['a/**', '!a/b/**'],
    ['node_modules', 'build'], ['**/keep', '!a/keep'], ['*', '!src'], ['a', '!a/b/c.go'], ['**/*.md', 'docs'],
  ];
  let skipped = 0;
  for (const patterns of lists) {
    const m = new DockerIgnore(patterns);
    for (const dir of dirs) {
      if (!m.canSkipDirectory(dir)) continue;
      skipped++;
      for (const p of tree.filter((q) => q.startsWith(`${dir}/`))) {
        assert.ok(m.excludes(p), `${JSON.stringify(patterns)} skips ${dir} but keeps ${p}`);
      }
    }
  }
  assert.ok(skipped > 5, 'the check skipped something');
});

test('buildkit walks parents first: an exception is tried only where the walk is excluded (fsutil + MatchesUsingParentResults)', () => {
  // "docs" and "docs/api" are kept when the walk reaches them, so "!docs/api" is never
  // recorded as matching; at docs/api/x.md "**/*.md" matches and the exception is tried on
  // that path alone. (MatchesOrParentMatches would keep the file.)
  const m = new DockerIgnore(['**/*.md', '!docs/api']);
  assert.is(m.excludes('docs/api'), false);
  assert.is(m.excludes('docs/api/x.md'), true);
  // Once the exception matched a directory that was excluded, its children inherit it.
  const n = new DockerIgnore(['docs', '!docs/api']);
  assert.is(n.excludes('docs/api/x.md'), false);
});

test('excludesInWalk with parent results agrees with excludes()', () => {
  const tree = ['a', 'a/b', 'a/b/c.go', 'a/b/keep', 'a/x.txt', 'docs', 'docs/README.md', 'docs/api', 'docs/api/x.md', 'util', 'util/docker', 'util/docker/web', 'util/docker/web/foo'];
  const lists = [['**', '!util/docker/web'], ['**', '!util/docker/web', 'util/docker/web/foo'], ['docs', '!docs/README.md'], ['*', '!*/keep'], ['a/**', '!a/b/**', 'a/b/c.go'], ['**/*.md', '!docs/api']];
  for (const patterns of lists) {
    const m = new DockerIgnore(patterns);
    const results = new Map();
    for (const path of tree) {
      const parent = path.includes('/') ? results.get(path.slice(0, path.lastIndexOf('/'))) : undefined;
      const r = m.excludesInWalk(path, parent);
      results.set(path, r.match);
      assert.is(r.excluded, m.excludes(path), `${JSON.stringify(patterns)} ${path}`);
    }
  }
});

test('Dockerfile.dockerignore beside the Dockerfile wins over .dockerignore (docs: build context)', async () => {
  const ctx = mkdtempSync(join(tmpdir(), 'hx-ignore-'));
  try {
    mkdirSync(join(ctx, 'docker'));
    writeFileSync(join(ctx, '.dockerignore'), 'from-root\n');
    const dockerfile = join(ctx, 'docker', 'app.Dockerfile');
    writeFileSync(dockerfile, 'FROM scratch\n');
    assert.equal(ignoreFileCandidates(ctx, dockerfile), [join(ctx, 'docker', 'app.Dockerfile.dockerignore'), join(ctx, '.dockerignore')]);
    let found = await loadDockerIgnore(ctx, dockerfile);
    assert.is(found.file, join(ctx, '.dockerignore'));
    assert.ok(found.matcher.excludes('from-root'));
    writeFileSync(join(ctx, 'docker', 'app.Dockerfile.dockerignore'), 'from-dockerfile\n');
    found = await loadDockerIgnore(ctx, dockerfile);
    assert.is(found.file, join(ctx, 'docker', 'app.Dockerfile.dockerignore'));
    assert.ok(found.matcher.excludes('from-dockerfile'));
    assert.not.ok(found.matcher.excludes('from-root'), 'the files are not merged');
    rmSync(join(ctx, '.dockerignore'));
    rmSync(join(ctx, 'docker', 'app.Dockerfile.dockerignore'));
    found = await loadDockerIgnore(ctx, dockerfile);
    assert.is(found.file, undefined);
    assert.not.ok(found.matcher.excludes('anything'));
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
});

test.run();
