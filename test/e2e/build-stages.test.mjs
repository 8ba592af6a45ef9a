// `hx build`'s stage scheduling and progress, as the unprivileged user: only the stages the
// target needs are built, sibling stages build at the same time (their RUNs overlap, by
// the clock readings the RUNs themselves write), a stage failing while its sibling runs
// fails the build with its own error and leaves nothing behind; buildkit's plain progress
// (#N [stage k/n], timed output lines, CACHED, DONE), and the tty view's escape codes only
// when asked for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, need, removeTree, run, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
const work = tempDir('hx-build-stages-');
const env = { HX_STORAGE_ROOT: join(work, 'store'), HX_RUNTIME_DIR: join(work, 'run') };
const H = (args) => hx(args, { env });
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
assert.is(run('tar', ['-C', rootfs, '-cf', join(work, 'bb.tar'), '.']).code, 0);
assert.is(H(['import', join(work, 'bb.tar'), 'bb']).code, 0);
const build = (dir, args = []) => H(['build', '--network', 'none', ...args, dir]);
const dockerfile = (name, text) => {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'Dockerfile'), text);
  return dir;
};
// /proc/uptime: the host's clock (no time namespace), in hundredths of a second
const stamp = (file) => `cut -d" " -f1 /proc/uptime > ${file}`;

test('sibling stages build concurrently; a stage the target does not need is not built', () => {
  const dir = dockerfile(
    'siblings',
    `FROM bb AS a
RUN ${stamp('/start')}; sleep 1; ${stamp('/end')}
FROM bb AS b
RUN ${stamp('/start')}; sleep 1; ${stamp('/end')}
FROM bb AS unused
RUN echo never; exit 7
FROM bb
COPY --from=a /start /a.start
COPY --from=a /end /a.end
COPY --from=b /start /b.start
COPY --from=b /end /b.end
CMD ["cat", "/a.start", "/a.end", "/b.start", "/b.end"]
`,
  );
  const r = build(dir, ['-t', 'sib:1']);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.not.match(r.stdout, /never|\[unused/, 'the unused stage is not built');
  const [aStart, aEnd, bStart, bEnd] = H(['run', '--rm', '--network', 'none', 'sib:1']).stdout.trim().split('\n').map(Number);
  assert.ok(aEnd - aStart >= 1 && bEnd - bStart >= 1, 'each RUN slept');
  assert.ok(aStart < bEnd && bStart < aEnd, `the RUNs of a and b overlap in time: a ${aStart}..${aEnd}, b ${bStart}..${bEnd}`);
  // the stage lines of a and b both come before either's RUN is done
  const firstDone = r.stdout.search(/^#\d+ DONE 1\.\ds$/m);
  assert.ok(r.stdout.indexOf('[a 2/2] RUN') < firstDone && r.stdout.indexOf('[b 2/2] RUN') < firstDone, r.stdout);
});

test('a failing stage fails the build with its error while its sibling runs; nothing is left', () => {
  const dir = dockerfile('failing', `FROM bb AS slow\nRUN sleep 1; echo slow done\nFROM bb AS bad\nRUN echo about to fail; exit 4\nFROM bb\nCOPY --from=slow /bin/sh /x\nCOPY --from=bad /bin/sh /y\n`);
  const r = build(dir, ['-t', 'never:1']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /process "\/bin\/sh -c echo about to fail; exit 4" did not complete successfully: exit code: 4/);
  assert.match(r.stdout, /^#(\d+) \d+\.\d{3} about to fail$/m, 'the output, prefixed with its vertex');
  assert.match(r.stdout, /^#\d+ ERROR: Dockerfile:4:1: process/m);
  assert.match(r.stdout, /slow done/, 'the sibling ran to its end before the build failed');
  assert.is(H(['images', '-q', 'never:1']).stdout, '');
  assert.is(H(['ps', '-a', '-q']).stdout, '', 'no RUN container stays');
});

test('progress: plain lines with timings and CACHED; tty escape codes only with --progress tty; quiet prints the ID', () => {
  const dir = dockerfile('progress', 'FROM bb\nRUN echo line one; echo line two\nENV X=1\n');
  const plain = build(dir, ['-t', 'prog:1']);
  assert.is(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /^#(\d+) \[stage-0 2\/3\] RUN echo line one; echo line two\n#\1 \d+\.\d{3} line one\n#\1 \d+\.\d{3} line two\n#\1 DONE \d+\.\ds$/m);
  assert.match(plain.stdout, /^#\d+ exporting to image$/m);
  assert.match(plain.stdout, /^#\d+ \d+\.\d{3} naming to prog:1 done$/m);
  assert.not.match(plain.stdout, /\x1b\[/, 'no escape codes when not a TTY (auto)');
  const id = plain.stdout.trim().split('\n').pop();
  const again = build(dir, ['--progress', 'plain', '-t', 'prog:1']);
  assert.match(again.stdout, /^#(\d+) \[stage-0 2\/3\] RUN echo line one; echo line two\n#\1 CACHED$/m);
  const slow = dockerfile('progress-tty', 'FROM bb\nRUN echo tick; sleep 1; echo tock\n');
  const tty = build(slow, ['--progress', 'tty', '-t', 'prog:2']);
  assert.is(tty.code, 0, tty.stderr);
  assert.match(tty.stdout, /\x1b\[\d+F\x1b\[J/, 'the live view is redrawn in place');
  assert.match(tty.stdout, /\x1b\[2m  tick\x1b\[0m/, 'with the running step\'s last lines');
  // what stays after the live view: every step's line and result, as plain gives them
  assert.match(tty.stdout, /#(\d+) \[stage-0 2\/2\] RUN echo tick; sleep 1; echo tock\n#\1 DONE \d+\.\ds/);
  const quiet = build(dir, ['--progress', 'quiet']);
  assert.is(quiet.stdout, `${id}\n`);
  const bad = build(dir, ['--progress', 'fancy']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /invalid progress mode "fancy"/);
});

test.after(() => removeTree(work));
test.run();
