// Issue 9, findings 2, 3, 5 and 6: a container gets pipes of its own, never hx's fds; no
// container outlives the hx that runs it; a killed `hx run --rm` leaves nothing once the
// next command ran; `:ro` binds are read-only all the way down.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, hxBin, need, removeTree, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
need(spawnSync('sh', ['-c', 'command -v script']).status === 0, 'script (bsdutils) is installed');
const work = tempDir('hx-secrun-');
const store = join(work, 'store');
const env = { HX_STORAGE_ROOT: store };
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
const H = (args, o = {}) => hx(args, { ...o, env: { ...env, ...(o.env ?? {}) } });
const quote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Run a shell command line under a real pseudo-terminal (util-linux script), feeding INPUT
 * to the terminal after DELAY ms; resolves with what the terminal showed. */
function underPty(commandLine, input = '', delayMs = 800) {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', commandLine, '/dev/null'], { env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    setTimeout(() => {
      if (input) child.stdin.write(input);
    }, delayMs);
    child.on('close', (code) => {
      resolve({ code, out: out.replace(/\r/g, '') });
    });
    setTimeout(() => child.stdin.end(), delayMs + 4000);
  });
}

const run = (script) => `${hxBin} run --rm --rootfs ${rootfs} sh -c ${quote(script)}`;

test('without -t on a terminal: no tty inside, typed input unreadable, tcsetattr refused', async () => {
  // the terminal is real: a shell in it sees a tty
  const base = await underPty(`sh -c ${quote('[ -t 1 ] && echo TTY1')}`);
  assert.match(base.out, /TTY1/);
  const r = await underPty(
    run('[ -t 1 ] && echo TTY1 || echo NOTTY1; [ -t 2 ] && echo TTY2 || echo NOTTY2; read -t 3 x <&1; echo "got1[$x]"; read -t 1 y <&2; echo "got2[$y]"; stty -echo <&1 2>/dev/null; echo stty1=$?; stty -echo <&2 2>/dev/null; echo stty2=$?'),
    'typed-secret\n',
  );
  assert.match(r.out, /NOTTY1\nNOTTY2\n/);
  assert.match(r.out, /got1\[\]/);
  assert.match(r.out, /got2\[\]/);
  assert.not.match(r.out, /got\d\[typed-secret\]/);
  assert.match(r.out, /stty1=1\nstty2=1/);
  // and the terminal was left as it was: echo still on (our typed line was echoed by it)
  assert.match(r.out, /typed-secret/);
});

test('stdout redirected to a file: /proc/self/fd/1 inside does not reopen that file', () => {
  const file = join(work, 'out.log');
  writeFileSync(file, 'EARLIER-CONTENT\n');
  const r = spawnSync('sh', ['-c', `${run('timeout 2 cat /proc/self/fd/1 </dev/null; echo marker')} >> ${file}`], { env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.is(readFileSync(file, 'utf8'), 'EARLIER-CONTENT\nmarker\n');
});

test('stdout and stderr keep their content, and their order when they share a destination', () => {
  const script = 'for i in 1 2 3 4 5 6 7 8; do echo out$i; echo err$i >&2; done; printf tail-no-newline';
  const merged = spawnSync('sh', ['-c', `${run(script)} 2>&1`], { env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.is(merged.status, 0);
  const expected = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `out${i}\nerr${i}\n`).join('') + 'tail-no-newline';
  assert.is(merged.stdout, expected);
  const apart = H(['run', '--rm', '--rootfs', rootfs, 'sh', '-c', script]);
  assert.is(apart.stdout, [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `out${i}\n`).join('') + 'tail-no-newline');
  assert.is(apart.stderr, [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `err${i}\n`).join(''));
  // -i: stdin reaches the container through a pipe too, to EOF, and large data flows both ways
  const big = 'x'.repeat(3 << 20);
  const cat = H(['run', '--rm', '-i', '--rootfs', rootfs, 'sh', '-c', 'ls -l /proc/self/fd/0 | grep -c pipe: >&2; cat'], { input: big });
  assert.is(cat.code, 0, cat.stderr);
  assert.is(cat.stdout.length, big.length);
  assert.is(cat.stderr.trim(), '1');
});

/** Processes whose command line contains MARKER (ours only: the test user's). */
function processesWith(marker) {
  const found = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (cmd.includes(marker) && state !== 'Z' && Number(pid) !== process.pid) found.push(`${pid}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return found;
}

async function killHxWhileRunning(args, marker) {
  const child = spawn(hxBin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the container did not start: ${err}`)), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  // "ready" comes just before the command execs: wait until it shows
  for (let i = 0; i < 100 && processesWith(marker).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  const running = processesWith(marker);
  child.kill('SIGKILL');
  assert.ok(running.length > 0, 'the container runs');
  await new Promise((r) => child.on('close', r));
  await new Promise((r) => setTimeout(r, 1000));
  return processesWith(marker);
}

test('kill -9 of hx: a container that changed its uid (su) dies within a second', async () => {
  const left = await killHxWhileRunning(['run', '--rm', '--rootfs', rootfs, 'su', 'alice', '-c', 'echo ready; exec sleep 4242'], 'sleep 4242');
  assert.equal(left, []);
});

test('kill -9 of hx: a container that cleared its parent-death signal dies within a second', async () => {
  // a tiny static program that clears PR_SET_PDEATHSIG, then runs sleep
  const src = join(work, 'clearpd.c');
  writeFileSync(src, '#include <sys/prctl.h>\n#include <unistd.h>\n#include <stdio.h>\nint main(void){prctl(PR_SET_PDEATHSIG,0);puts("ready");fflush(stdout);char *a[]={"sleep","4343",0};execv("/bin/sleep",a);return 1;}\n');
  execFileSync('cc', ['-static', '-O2', '-o', join(rootfs, 'bin/clearpd'), src]);
  const left = await killHxWhileRunning(['run', '--rm', '--rootfs', rootfs, '/bin/clearpd'], 'sleep 4343');
  assert.equal(left, []);
  // --init too: the whole pid namespace goes
  const left2 = await killHxWhileRunning(['run', '--rm', '--init', '--rootfs', rootfs, 'sh', '-c', '(sleep 4444 &) ; echo ready; exec su alice -c "sleep 4445"'], 'sleep 444');
  assert.equal(left2, []);
});

test('kill -9 of hx run --rm IMAGE: the next command leaves no mount and no record', async () => {
  const tar = join(work, 'busybox.tar');
  execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', tar, '.']);
  assert.is(H(['import', tar, 'localhost/bb:1']).code, 0);
  const left = await killHxWhileRunning(['run', '--rm', 'localhost/bb:1', 'sh', '-c', 'echo ready; exec sleep 4646'], 'sleep 4646');
  assert.equal(left, []);
  assert.is(readdirSync(join(store, 'containers')).length, 1, 'the killed command left its record');
  assert.is(H(['images']).code, 0); // any command that opens the store sweeps
  assert.equal(readdirSync(join(store, 'containers')), []);
  const mounts = H(['unshare', '--', 'cat', '/proc/self/mountinfo']).stdout.split('\n').filter((l) => l.includes(store));
  assert.equal(mounts, []);
  // without --rm the record stays, marked exited (137), and unmounted
  await killHxWhileRunning(['run', 'localhost/bb:1', 'sh', '-c', 'echo ready; exec sleep 4747'], 'sleep 4747');
  assert.is(H(['images']).code, 0);
  const [id] = readdirSync(join(store, 'containers'));
  assert.is(H(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', id]).stdout.trim(), 'exited 137');
  assert.equal(H(['unshare', '--', 'cat', '/proc/self/mountinfo']).stdout.split('\n').filter((l) => l.includes(store)), []);
});

test('-v DIR:/v:ro is read-only below too: a mount under DIR cannot be written', () => {
  const dir = join(work, 'robind');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'top'), 'top\n');
  // a submount under DIR in the namespace hx runs containers from
  const m = H(['unshare', '--', 'sh', '-c', `mount -t tmpfs none ${dir}/sub && echo hi > ${dir}/sub/f`]);
  assert.is(m.code, 0, m.stderr);
  try {
    const r = H(['run', '--rm', '-v', `${dir}:/v:ro`, '--rootfs', rootfs, 'sh', '-c', 'cat /v/sub/f; echo x > /v/top 2>/dev/null; echo top=$?; echo x > /v/sub/f 2>/dev/null; echo sub=$?; touch /v/sub/new 2>/dev/null; echo new=$?']);
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n'), ['hi', 'top=1', 'sub=1', 'new=1']);
    // bind-recursive=writable keeps docker's old behaviour: only the top is read-only
    const w = H(['run', '--rm', '--mount', `type=bind,src=${dir},dst=/v,readonly,bind-recursive=writable`, '--rootfs', rootfs, 'sh', '-c', 'echo x > /v/top 2>/dev/null; echo top=$?; echo x > /v/sub/f; echo sub=$?']);
    assert.equal(w.stdout.trim().split('\n'), ['top=1', 'sub=0'], w.stderr);
    // bind-recursive=readonly without readonly is refused, as docker does
    const bad = H(['run', '--rm', '--mount', `type=bind,src=${dir},dst=/v,bind-recursive=readonly`, '--rootfs', rootfs, 'true']);
    assert.is(bad.code, 125);
    assert.match(bad.stderr, /requires 'readonly'/);
  } finally {
    H(['unshare', '--', 'umount', `${dir}/sub`]);
  }
  assert.ok(existsSync(join(dir, 'top')));
});

test.after(() => removeTree(work));
test.run();
