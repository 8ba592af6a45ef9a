// `hx run -t` under a real terminal: util-linux `script` gives hx a pty, and the test types
// into it. The container gets its own pty (/dev/pts/0 of its devpts), typed input is
// echoed by its line discipline, Ctrl-C travels as a byte and becomes SIGINT inside, the
// window size follows, and the user's terminal is restored afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { hxBin, need, removeTree, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';
import { quote, underPty as ptyRun } from '../lib/pty.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
need(spawnSync('script', ['--version']).status === 0, 'util-linux script is installed');
const work = tempDir('hx-run-tty-');
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
const env = { ...process.env, HX_STORAGE_ROOT: join(work, 'store') };

const underPty = (line, steps, o = {}) => ptyRun(line, steps, { env, ...o });

const hxRun = (flags, cmd) => `${hxBin} run --rm --rootfs ${quote(rootfs)} ${flags} ${cmd}`;

test('-it: typed input is echoed and read; the terminal is the container\'s /dev/pts/0', async () => {
  const r = await underPty(hxRun('-it', `sh -c ${quote('tty; echo READY; read line; echo "got:$line"; exit 3')}`), [
    { after: /READY/, send: 'hello there\r' },
  ]);
  assert.is(r.code, 3, r.output);
  assert.match(r.output, /\/dev\/pts\/0/);
  assert.match(r.output, /READY[\s\S]*hello there[\s\S]*got:hello there/, 'the typed line is echoed, then read');
});

test('-it --init: Ctrl-C ends the command with 130', async () => {
  const r = await underPty(hxRun('-it --init', `sh -c ${quote('echo READY; sleep 30; echo not-interrupted')}`), [
    { after: /READY/, send: '\x03' },
  ]);
  assert.is(r.code, 130, r.output);
  assert.not.match(r.output, /not-interrupted/);
});

test('-it without --init: Ctrl-C reaches the foreground job; pid 1 decides what to do', async () => {
  // The shell is pid 1 and ignores SIGINT itself (pid 1 has no default action, as with
  // docker), but its child sleep dies of it and the shell then ends with 130 as well.
  const r = await underPty(hxRun('-it', `sh -c ${quote('echo READY; sleep 30; echo after-sleep')}`), [
    { after: /READY/, send: '\x03' },
  ]);
  assert.is(r.code, 130, r.output);
  assert.not.match(r.output, /after-sleep/);
  const trapped = await underPty(hxRun('-it', `sh -c ${quote('trap "echo caught; exit 7" INT; echo READY; while :; do sleep 0.05; done')}`), [
    { after: /READY/, send: '\x03' },
  ]);
  assert.is(trapped.code, 7, trapped.output);
  assert.match(trapped.output, /caught/);
});

test('the window size reaches the container, and the user\'s terminal is restored', async () => {
  const r = await underPty(`stty cols 97 rows 31; stty -g > ${quote(join(work, 'before'))}; ${hxRun('-it', 'stty size')}; stty -g > ${quote(join(work, 'after'))}`);
  assert.is(r.code, 0, r.output);
  assert.match(r.output, /31 97/);
  const before = spawnSync('cat', [join(work, 'before')], { encoding: 'utf8' }).stdout;
  const after = spawnSync('cat', [join(work, 'after')], { encoding: 'utf8' }).stdout;
  assert.ok(before.length > 0);
  assert.is(after, before, 'raw mode was undone');
});

test('the terminal is restored after a failed start too', async () => {
  const r = await underPty(`stty -g > ${quote(join(work, 'b2'))}; ${hxRun('-it', 'no-such-cmd')}; echo "code=$?"; stty -g > ${quote(join(work, 'a2'))}`);
  assert.match(r.output, /code=127/);
  const before = spawnSync('cat', [join(work, 'b2')], { encoding: 'utf8' }).stdout;
  assert.is(spawnSync('cat', [join(work, 'a2')], { encoding: 'utf8' }).stdout, before);
});

test('-t without -i: output through the pty, TERM set, nothing read from the user', async () => {
  const r = await underPty(hxRun('-t', `sh -c ${quote('echo "term=$TERM"; [ -t 0 ] && [ -t 1 ] && echo both-ttys')}`));
  assert.is(r.code, 0, r.output);
  assert.match(r.output, /term=xterm/);
  assert.match(r.output, /both-ttys/);
});

test.after(() => removeTree(work));
test.run();
