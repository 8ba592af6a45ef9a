// engine/build: the context object (select with .dockerignore and wildcards, the digest and
// how often it reads each file, copyDir leaving excluded entries out), the stage scheduler
// (dependencies first, siblings at once, a failure after the siblings end) and buildkit's
// plain progress lines, on real directories and real timers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { BuildContext, looksLikeTar, isCompressedOrTar } from '../../dist/engine/build/context.js';
import { runStages } from '../../dist/engine/build/scheduler.js';
import { BuildProgress, progressMode } from '../../dist/engine/build/progress.js';
import { CopyFlag } from '../../dist/sys/spawn.js';

const work = mkdtempSync(join(tmpdir(), 'hx-build-ctx-unit-'));
const dir = join(work, 'ctx');
mkdirSync(join(dir, 'src/gen'), { recursive: true });
mkdirSync(join(dir, 'logs/keep'), { recursive: true });
writeFileSync(join(dir, 'src/a.ts'), 'a\n');
writeFileSync(join(dir, 'src/b.ts'), 'b\n');
writeFileSync(join(dir, 'src/gen/c.ts'), 'c\n');
writeFileSync(join(dir, 'src/notes.md'), 'n\n');
writeFileSync(join(dir, 'logs/x.log'), 'x\n');
writeFileSync(join(dir, 'logs/keep/k.log'), 'k\n');
writeFileSync(join(dir, '.dockerignore'), '**/*.md\nlogs\n!logs/keep\n');

test('select: what a source names, without what .dockerignore excludes', async () => {
  const c = await BuildContext.directory(dir, undefined);
  assert.equal(c.select('src/*.ts'), ['/src/a.ts', '/src/b.ts']);
  assert.equal(c.select('./src/../src/gen'), ['/src/gen']);
  assert.equal(c.select('src/*'), ['/src/a.ts', '/src/b.ts', '/src/gen'], 'notes.md is excluded');
  assert.equal(c.select('logs/*'), ['/logs/keep'], 'an excluded dir is there only for its exception');
  assert.equal(c.select('*.nothing'), []);
  assert.equal(c.select('src/notes.md'), [], 'an excluded file is not in the context');
  assert.equal(c.select('logs/x.log'), []);
  assert.equal(c.select('missing'), []);
  assert.throws(() => BuildContext.none().select('x'), /no build context/);
});

test('digest: changes with a kept file, not with an excluded one; each file read once per build', async () => {
  const c = await BuildContext.directory(dir, undefined);
  const d1 = c.digest(c.select('.'));
  const hashed = c.filesHashed;
  assert.is(hashed, 5, 'the five kept files: .dockerignore, a.ts, b.ts, gen/c.ts, keep/k.log');
  assert.is(c.digest(c.select('src')), c.digest(c.select('src')));
  c.digest(c.select('src/*.ts'));
  assert.is(c.filesHashed, hashed, 'a second selection of the same files reads nothing again');
  writeFileSync(join(dir, 'logs/x.log'), 'changed\n');
  writeFileSync(join(dir, 'src/notes.md'), 'changed\n');
  const c2 = await BuildContext.directory(dir, undefined);
  assert.is(c2.digest(c2.select('.')), d1, 'excluded files are not in the key');
  writeFileSync(join(dir, 'logs/keep/k.log'), 'changed\n');
  const c3 = await BuildContext.directory(dir, undefined);
  assert.is.not(c3.digest(c3.select('.')), d1);
  assert.is.not(c3.digest(['/src']), c3.digest(['/logs']));
});

test('copyDir: the tree without the excluded entries, modes kept', async () => {
  const c = await BuildContext.directory(dir, undefined);
  const dest = join(work, 'dest');
  mkdirSync(dest);
  statSync(join(dir, 'logs/keep')); // exists
  const me = { uid: process.getuid(), gid: process.getgid() };
  c.copyDir('/', { root: dest, path: '/' }, CopyFlag.REPLACE, me);
  const list = (d, rel = '') => readdirSync(join(d, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [`${rel}${e.name}/`, ...list(d, `${rel}${e.name}/`)] : [`${rel}${e.name}`])).sort();
  assert.equal(list(dest), ['.dockerignore', 'logs/', 'logs/keep/', 'logs/keep/k.log', 'src/', 'src/a.ts', 'src/b.ts', 'src/gen/', 'src/gen/c.ts']);
});

test('what looks like a tar: ustar magic, an old header with a good checksum; text is not', () => {
  const h = Buffer.alloc(512);
  h.write('file', 0);
  h.write('0000644\0', 100);
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  assert.ok(looksLikeTar(h), 'a v7 header');
  assert.ok(!looksLikeTar(Buffer.from('FROM busybox\nRUN true\n'.padEnd(600, '\n'))));
  assert.ok(isCompressedOrTar(Buffer.from([0x1f, 0x8b, 8, 0])));
  assert.ok(isCompressedOrTar(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])));
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('runStages: dependencies first, siblings at the same time, only the stages asked for', async () => {
  const log = [];
  const deps = { 0: [], 1: [], 2: [], 3: [0, 1] };
  const out = await runStages([0, 1, 3], (i) => deps[i], async (i) => {
    log.push(`start ${i}`);
    await sleep(30);
    log.push(`end ${i}`);
    return i * 10;
  });
  assert.equal([...out.entries()], [[0, 0], [1, 10], [3, 30]]);
  assert.equal(log, ['start 0', 'start 1', 'end 0', 'end 1', 'start 3', 'end 3']);
});

test('runStages: a failure waits for its running sibling, and what depends on it never starts', async () => {
  const log = [];
  const deps = { 0: [], 1: [], 2: [0, 1] };
  const err = await runStages([0, 1, 2], (i) => deps[i], async (i) => {
    log.push(`start ${i}`);
    if (i === 0) throw new Error('stage 0 broke');
    await sleep(40);
    log.push(`end ${i}`);
  }).catch((e) => e);
  assert.is(err.message, 'stage 0 broke');
  assert.equal(log, ['start 0', 'start 1', 'end 1']);
});

test('plain progress: #N [stage k/n], timed output lines, CACHED and DONE; quiet writes nothing', async () => {
  let text = '';
  const sink = new Writable({ write: (c, _e, done) => ((text += c.toString()), done()) });
  const p = new BuildProgress(sink, 'plain');
  const a = p.start('[stage-0 2/3] RUN echo hi');
  a.output.write('hi\npartial');
  await sleep(5);
  a.done();
  p.start('[stage-0 3/3] ENV X=1').cached();
  p.say('sha256:abc');
  assert.match(text, /^#1 \[stage-0 2\/3\] RUN echo hi\n#1 0\.\d{3} hi\n#1 0\.\d{3} partial\n#1 DONE 0\.\ds\n\n#2 \[stage-0 3\/3\] ENV X=1\n#2 CACHED\n\nsha256:abc\n$/);
  let quiet = '';
  const q = new BuildProgress(new Writable({ write: (c, _e, done) => ((quiet += c), done()) }), 'quiet');
  q.start('[x 1/1] RUN x').done();
  q.say('id');
  assert.is(quiet, '');
  assert.is(progressMode(undefined, false, true), 'tty');
  assert.is(progressMode('auto', false, false), 'plain');
  assert.is(progressMode('plain', true, true), 'quiet');
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
