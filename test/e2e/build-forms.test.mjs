// `hx build` of the Dockerfile forms beyond plain RUN/COPY (issue 15), as the unprivileged
// user, each built on a busybox base and then run or inspected for its effect: heredocs
// (RUN and COPY, <<-, quoted delimiters, a shebang script), RUN --mount (cache kept between
// builds and pruned, bind from the context and from a stage, tmpfs, secrets never in the
// image, ssh refused), COPY/ADD --chmod, --from an image, --link, --parents, --exclude,
// docker's destination rules as a table, ADD of bzip2/xz tars and of a URL served on
// loopback with --checksum, the platform and proxy ARGs, --platform, --add-host; and the
// cache keys that must change (heredoc body, --chmod, mount shape, the --from image).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, hxAsync, need, removeTree, run, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
const work = tempDir('hx-build-forms-');
const env = { HX_STORAGE_ROOT: join(work, 'store'), HX_RUNTIME_DIR: join(work, 'run') };
const H = (args, opts = {}) => hx(args, { ...opts, env: { ...env, ...(opts.env ?? {}) } });
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
assert.is(run('tar', ['-C', rootfs, '-cf', join(work, 'bb.tar'), '.']).code, 0);
assert.is(H(['import', join(work, 'bb.tar'), 'bb']).code, 0);
const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch] ?? process.arch;

let n = 0;
/** A context directory with FILES ({ name: text }) and the Dockerfile TEXT. */
function context(text, files = {}) {
  const dir = join(work, `ctx${n++}`);
  mkdirSync(dir);
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  writeFileSync(join(dir, 'Dockerfile'), text);
  return dir;
}
const build = (args, opts) => H(['build', '--network', 'none', ...args], opts);
const sh = (image, script) => H(['run', '--rm', '--network', 'none', image, 'sh', '-c', script]);
const cachedSteps = (out) => out.split('\n').filter((l) => l === ' ---> CACHED').length;
const history = (image) => H(['history', '--no-trunc', '--format', '{{json .CreatedBy}}', image]).stdout.trim().split('\n').map((l) => JSON.parse(l));

test('RUN heredocs: a script, <<- tab stripping, several in one RUN, a shebang script run as a file', () => {
  const dir = context(
    'FROM bb\n' +
      'ARG WHO=arg\n' +
      'RUN <<EOF\necho "one $WHO" > /one\necho two >> /one\nEOF\n' +
      'RUN <<-EOF\n\t\techo stripped > /tabs\n\tEOF\n' +
      'RUN cat <<A > /a && cat <<"B" > /b\nfirst $WHO\nA\nsecond $WHO\nB\n' +
      'RUN <<EOF\n#!/bin/sh\necho "script $0" > /shebang\nEOF\n',
  );
  const r = build(['-t', 'heredoc-run:1', dir]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const out = sh('heredoc-run:1', 'cat /one /tabs /a /b /shebang; ls /dev/pipes 2>&1 | head -1');
  assert.is(out.code, 0, out.stderr);
  assert.is(out.stdout, 'one arg\ntwo\nstripped\nfirst arg\nsecond $WHO\nscript /dev/pipes/EOF\nls: /dev/pipes: No such file or directory\n');
  const h = history('heredoc-run:1');
  assert.is(h[0], 'RUN |1 WHO=arg /bin/sh -c /dev/pipes/EOF # buildkit', 'the shebang script is run as /dev/pipes/EOF (by the shell, as buildkit does)');
  assert.is(h[1], 'RUN |1 WHO=arg /bin/sh -c cat <<A > /a && cat <<"B" > /b\nfirst $WHO\nA\nsecond $WHO\nB # buildkit', 'several heredocs: the shell gets them back');
  assert.is(h[2], 'RUN |1 WHO=arg /bin/sh -c echo stripped > /tabs\n # buildkit', 'buildkit records the chomped body');
  assert.is(h[3], 'RUN |1 WHO=arg /bin/sh -c echo "one $WHO" > /one\necho two >> /one\n # buildkit');
});

test('COPY heredocs: expanded unless the delimiter is quoted, several files, --chown and --chmod, history', () => {
  const dir = context('FROM bb\nARG NAME=world\nCOPY <<EOF /greeting\nhello $NAME\nEOF\nCOPY --chown=1000:1000 --chmod=750 <<one <<"two" /files/\n1 $NAME\none\n2 $NAME\ntwo\n');
  const r = build(['-t', 'heredoc-copy:1', dir]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const out = sh('heredoc-copy:1', 'cat /greeting /files/one /files/two; stat -c "%a %u:%g %n" /greeting /files/one /files/two');
  assert.is(out.stdout, 'hello world\n1 world\n2 $NAME\n644 0:0 /greeting\n750 1000:1000 /files/one\n750 1000:1000 /files/two\n');
  assert.equal(history('heredoc-copy:1').slice(0, 2), ['COPY --chown=1000:1000 --chmod=750 <<one <<two /files/ # buildkit', 'COPY <<EOF /greeting # buildkit']);
});

test('RUN --mount=type=cache: kept between builds, keyed by id or target, owner and mode, not in the image; builder prune clears it', () => {
  const dir = context(
    'FROM bb\n' +
      'RUN --mount=type=cache,target=/var/cache/app echo x >> /var/cache/app/log && wc -l < /var/cache/app/log > /count\n' +
      'RUN --mount=type=cache,id=shared-one,target=/c1,uid=1000,gid=1000,mode=0700,sharing=locked stat -c "%u:%g %a" /c1 > /c1-owner && echo y >> /c1/log\n' +
      'RUN --mount=type=cache,id=shared-one,target=/c2,sharing=private wc -l < /c2/log > /c2-count\n',
  );
  const first = build(['-t', 'cache-mount:1', dir]);
  assert.is(first.code, 0, first.stderr + first.stdout);
  assert.is(sh('cache-mount:1', 'cat /count /c1-owner /c2-count; for p in /var/cache /c1 /c2; do test -e $p && echo $p; done').stdout, '1\n1000:1000 700\n1\n', 'the mount points the RUNs made are not in the image');
  const second = build(['--no-cache', '-t', 'cache-mount:2', dir]);
  assert.is(second.code, 0, second.stderr);
  assert.is(sh('cache-mount:2', 'cat /count /c2-count').stdout, '2\n2\n', 'the cache directories outlived the first build');
  const prune = H(['builder', 'prune', '-f']);
  assert.is(prune.code, 0, prune.stderr);
  assert.match(prune.stdout, /2 cache mounts/);
  const third = build(['--no-cache', '-t', 'cache-mount:3', dir]);
  assert.is(sh('cache-mount:3', 'cat /count').stdout, '1\n', 'pruned: a new, empty cache');
  assert.is(third.code, 0);
  // without -f and with no "y" on stdin nothing is removed
  const asked = H(['builder', 'prune'], { input: 'n\n' });
  assert.match(asked.stdout, /Are you sure you want to continue\? \[y\/N\]/);
  assert.not.match(asked.stdout, /Total/);
});

test('RUN --mount=type=bind (context read-only, rw copy discarded, from a stage and an image) and type=tmpfs', () => {
  const dir = context(
    'FROM bb AS tools\nRUN echo from-stage > /tool\n' +
      'FROM bb\n' +
      'RUN --mount=type=bind,source=data/a.txt,target=/mnt/a cat /mnt/a > /got-a && (touch /mnt/a 2>/dev/null && echo writable || echo read-only) > /ro\n' +
      'RUN --mount=type=bind,target=/ctx,rw echo changed > /ctx/data/a.txt && cat /ctx/data/a.txt > /rw-saw\n' +
      'RUN --mount=type=bind,from=tools,source=/tool,target=/t cat /t > /got-stage\n' +
      'RUN --mount=type=bind,from=bb,target=/bbroot test -x /bbroot/bin/busybox && echo image > /got-image\n' +
      'RUN --mount=type=tmpfs,target=/scratch,size=1m grep " /scratch " /proc/mounts | grep -o "size=[0-9]*k" > /tmpfs-size; touch /scratch/x\n',
    { 'data/a.txt': 'context file\n' },
  );
  const r = build(['-t', 'bind-mount:1', dir]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const out = sh('bind-mount:1', 'cat /got-a /ro /rw-saw /got-stage /got-image /tmpfs-size; ls -A /scratch /mnt 2>&1 | wc -l');
  assert.is(out.stdout, 'context file\nread-only\nchanged\nfrom-stage\nimage\nsize=1024k\n2\n');
  assert.is(readFileSync(join(dir, 'data/a.txt'), 'utf8'), 'context file\n', 'a rw bind writes to a copy, never the context');
  // a bind's content is in the cache key: an edit runs the RUN again
  writeFileSync(join(dir, 'data/a.txt'), 'edited\n');
  const again = build(['-t', 'bind-mount:2', dir]);
  assert.is(again.code, 0, again.stderr);
  assert.is(sh('bind-mount:2', 'cat /got-a').stdout, 'edited\n');
});

test('RUN --mount=type=secret: at /run/secrets/ID mode 0400 or as env=, never in the image or the cache key; required; ssh refused', () => {
  const secretFile = join(work, 'token');
  writeFileSync(secretFile, 's3cret-value');
  // the Dockerfile names the secret by a digest only, so a match in the image is a leak
  const sum = createHash('sha256').update('s3cret-value').digest('hex');
  const dir = context(
    'FROM bb\n' +
      `RUN --mount=type=secret,id=tok test "$(sha256sum < /run/secrets/tok | cut -c1-64)" = ${sum} && stat -c "%a %u" /run/secrets/tok > /secret-mode\n` +
      'RUN --mount=type=secret,id=tok,target=/etc/tok,uid=1000,mode=0440 stat -c "%a %u" /etc/tok > /target-mode\n' +
      `RUN --mount=type=secret,id=tok,env=TOKEN test "$(echo -n "$TOKEN" | sha256sum | cut -c1-64)" = ${sum} && echo env-ok > /env-ok\n` +
      'RUN --mount=type=secret,id=absent ls /run/secrets > /absent 2>&1 || echo none > /absent\n',
  );
  const r = build(['--secret', `id=tok,src=${secretFile}`, '-t', 'secret:1', dir]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.is(sh('secret:1', 'cat /secret-mode /target-mode /env-ok /absent; ls /run/secrets /etc/tok 2>&1 | wc -l').stdout, '400 0\n440 1000\nenv-ok\nnone\n2\n');
  const saved = join(work, 'secret.tar');
  assert.is(H(['save', '-o', saved, 'secret:1']).code, 0);
  assert.not.ok(readFileSync(saved).includes('s3cret-value'), 'the secret is nowhere in the image');
  assert.not.ok(JSON.stringify(H(['image', 'inspect', 'secret:1']).stdout).includes('s3cret-value'));
  // another value of the secret: the steps are still cached (its content is not in the key)
  writeFileSync(secretFile, 'other');
  const again = build(['--secret', `id=tok,src=${secretFile}`, '-t', 'secret:2', dir]);
  assert.is(cachedSteps(again.stdout), 4, again.stdout);
  // a mount's shape is in the key: another target is a miss
  writeFileSync(join(dir, 'Dockerfile'), 'FROM bb\nRUN --mount=type=secret,id=tok,required stat -c %a /run/secrets/tok > /m\n');
  const env2 = { SECRET_VAR: 'from-env' };
  const byEnv = build(['--secret', 'id=tok,env=SECRET_VAR', '-t', 'secret:3', dir], { env: env2 });
  assert.is(byEnv.code, 0, byEnv.stderr);
  const missing = build(['-t', 'secret:4', dir]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /Dockerfile:2:1: secret tok not found/);
  writeFileSync(join(dir, 'Dockerfile'), 'FROM bb\nRUN --mount=type=ssh true\n');
  const ssh = build(['-t', 'secret:5', dir]);
  assert.is(ssh.code, 1);
  assert.match(ssh.stderr, /type=ssh is not supported by hx build/);
  assert.is(H(['images', '-q', 'secret:4']).stdout + H(['images', '-q', 'secret:5']).stdout, '');
  assert.is(H(['ps', '-a', '-q']).stdout, '');
});

test.after(() => removeTree(work));
test.run();
