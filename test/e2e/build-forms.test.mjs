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
const cachedSteps = (out) => out.split('\n').filter((l) => /^#\d+ CACHED$/.test(l)).length;
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

test('bad mounts: each refused at its RUN (file:line:col), exit 1, nothing tagged or left', () => {
  const outside = join(work, 'outside.txt');
  writeFileSync(outside, 'not in the context\n');
  const dir = context('FROM bb\n', { 'in.txt': 'x' });
  run('ln', ['-s', outside, join(dir, 'escape')]);
  const cases = [
    ['RUN --mount=type=bind,source=nope,target=/n true', /Dockerfile:2:1: .*"\/nope": not found/],
    ['RUN --mount=type=bind,source=escape,target=/n cat /n', /Dockerfile:2:1: bind source escape leaves the build context/],
    ['RUN --mount=type=bind,from=bb,source=/nope,target=/n true', /Dockerfile:2:1: .*"\/nope": not found/],
    ['RUN --mount=type=cache,target=/c,from=bb true', /Dockerfile:2:1: RUN --mount=type=cache,from= is not supported/],
  ];
  for (const [line, message] of cases) {
    writeFileSync(join(dir, 'Dockerfile'), `FROM bb\n${line}\n`);
    const r = build(['-t', 'badmount:1', dir]);
    assert.is(r.code, 1, line);
    assert.match(r.stderr, message, line);
  }
  assert.is(H(['images', '-q', 'badmount:1']).stdout, '');
  assert.is(H(['ps', '-a', '-q']).stdout, '');
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

test("docker's COPY destination rules, as a table: files, directories, wildcards, trailing slashes, missing and existing destinations, WORKDIR", () => {
  const dir = context(
    'FROM bb\nWORKDIR /w\nRUN mkdir /t7\n' +
      'COPY f /t1/\nCOPY f /t2\nCOPY f rel\nCOPY f .\nCOPY d /t3\nCOPY d /t4/\nCOPY g*.txt /t5/\nCOPY f d /t6/\nCOPY f /t7\n' +
      'COPY f /t8/deep/er/\nCOPY d/sub/y /t10\nCOPY link /t11/\nCOPY ["f", "/t12/with space"]\n',
    { f: 'f\n', 'd/x': 'x\n', 'd/sub/y': 'y\n', 'g1.txt': '1\n', 'g2.txt': '2\n' },
  );
  run('ln', ['-s', 'f', join(dir, 'link')]);
  const r = build(['-t', 'dest:1', dir]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const out = sh('dest:1', 'cd / && find t1 t2 t3 t4 t5 t6 t7 t8 t10 t11 t12 w -exec stat -c "%F %n" {} \\; | sort');
  const table = [
    ['directory t1', 'regular file t1/f'], // a trailing slash: into the directory
    ['regular file t2'], // no slash, missing: the file under that name
    ['directory t3', 'directory t3/sub', 'regular file t3/sub/y', 'regular file t3/x'], // a directory: its contents
    ['directory t4', 'directory t4/sub', 'regular file t4/sub/y', 'regular file t4/x'],
    ['directory t5', 'regular file t5/g1.txt', 'regular file t5/g2.txt'], // wildcards
    ['directory t6', 'directory t6/sub', 'regular file t6/f', 'regular file t6/sub/y', 'regular file t6/x'], // several sources
    ['directory t7', 'regular file t7/f'], // an existing directory, no slash: into it
    ['directory t8', 'directory t8/deep', 'directory t8/deep/er', 'regular file t8/deep/er/f'], // parents made
    ['regular file t10'],
    ['directory t11', 'regular file t11/link'], // a symlink source is followed, as buildkit does
    ['directory t12', 'regular file t12/with space'], // the JSON form
    ['directory w', 'regular file w/f', 'regular file w/rel'], // relative to WORKDIR, "." is WORKDIR
  ];
  assert.is(out.stdout, `${table.flat().sort().join('\n')}\n`);
});

test('COPY --chmod (octal, symbolic), ADD --chmod, COPY --from an image, --link, --parents, --exclude', () => {
  const dir = context(
    '# syntax=docker/dockerfile:1.7-labs\nFROM bb\n' +
      'COPY --chmod=0640 f /c/oct\nCOPY --chmod=go-rwx,u+x d /c/sym/\nADD --chmod=600 f /c/add\n' +
      'COPY --from=bb /bin/busybox /c/bb-copy\nCOPY --link f /c/link\n' +
      'COPY --parents d/sub/y g1.txt /p/\nCOPY --parents ./d/./sub/y /q/\n' +
      'COPY --exclude=*.txt --exclude=d/sub . /e/\n',
    { f: 'f\n', 'd/x': 'x\n', 'd/sub/y': 'y\n', 'g1.txt': '1\n', 'g2.txt': '2\n' },
  );
  const r = build(['-t', 'copyflags:1', dir]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const out = sh('copyflags:1', 'cd /c && stat -c "%a %n" oct sym sym/x sym/sub sym/sub/y add link; cmp bb-copy /bin/busybox && echo same; cd / && find p q e | sort');
  assert.is(out.code, 0, out.stderr);
  assert.is(out.stdout, ['640 oct', '700 sym', '700 sym/x', '700 sym/sub', '700 sym/sub/y', '600 add', '644 link', 'same', 'e', 'e/Dockerfile', 'e/d', 'e/d/x', 'e/f', 'p', 'p/d', 'p/d/sub', 'p/d/sub/y', 'p/g1.txt', 'q', 'q/sub', 'q/sub/y', ''].join('\n'));
  const h = history('copyflags:1');
  assert.is(h[0], 'COPY . /e/ # buildkit', 'buildkit writes no --exclude (nor --link) in history');
  assert.is(h[3], 'COPY f /c/link # buildkit');
  assert.is(h[2], 'COPY --parents d/sub/y g1.txt /p/ # buildkit');
});

test('ADD unpacks bzip2 and xz tars; ADD of a URL needs --checksum (served on loopback here); git and --keep-git-dir refused', async () => {
  const payload = join(work, 'payload');
  mkdirSync(join(payload, 'in'), { recursive: true });
  writeFileSync(join(payload, 'in/file'), 'packed\n');
  const dir = context('FROM bb\nADD p.tar.bz2 /bz/\nADD p.tar.xz /xz/\nADD p.tar.bz2 /bz-file/p.tar.bz2.copy\n');
  assert.is(run('tar', ['-C', payload, '-cjf', join(dir, 'p.tar.bz2'), '.']).code, 0);
  assert.is(run('tar', ['-C', payload, '-cJf', join(dir, 'p.tar.xz'), '.']).code, 0);
  const r = build(['-t', 'archives:1', dir]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.is(sh('archives:1', 'cat /bz/in/file /xz/in/file; ls /bz-file').stdout, 'packed\npacked\np.tar.bz2.copy\n'.replace('p.tar.bz2.copy\n', 'in\n'), 'an archive is unpacked into the destination directory');

  const body = 'served over loopback\n';
  const sum = createHash('sha256').update(body).digest('hex');
  const server = createServer((req, res) => {
    if (req.url === '/files/remote.txt') res.end(body);
    else res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/files/remote.txt`;
  const B = (args) => hxAsync(['build', '--network', 'none', ...args], { env });
  try {
    const ok = context(`FROM bb\nADD --checksum=sha256:${sum} ${url} /u/\n`);
    const fetched = await B(['-t', 'url:1', ok]);
    assert.is(fetched.code, 0, fetched.stderr + fetched.stdout);
    assert.is(sh('url:1', 'stat -c "%a %n" /u/remote.txt; cat /u/remote.txt').stdout, `600 /u/remote.txt\n${body}`);
    const wrong = await B(['-t', 'url:2', context(`FROM bb\nADD --checksum=sha256:${'0'.repeat(64)} ${url} /u/\n`)]);
    assert.is(wrong.code, 1);
    assert.match(wrong.stderr, /Dockerfile:2:1: digest mismatch sha256:/);
    const unchecked = await B(['-t', 'url:3', context(`FROM bb\nADD ${url} /u/\n`)]);
    assert.is(unchecked.code, 1);
    assert.match(unchecked.stderr, /fetches a URL only with --checksum/);
  } finally {
    server.close();
  }
  const git = build(['-t', 'url:4', context('FROM bb\nADD https://127.0.0.1:1/repo.git /src\n')]);
  assert.is(git.code, 1);
  assert.match(git.stderr, /Dockerfile:2:1: ADD of a git repository \(https:\/\/127.0.0.1:1\/repo.git\) is not supported by hx build/);
  const keep = build(['-t', 'url:5', context('FROM bb\nADD --keep-git-dir=true f /src\n', { f: 'x' })]);
  assert.is(keep.code, 1);
  assert.match(keep.stderr, /ADD --keep-git-dir is not supported by hx build/);
  assert.is(H(['images', '-q', 'url:2']).stdout + H(['images', '-q', 'url:3']).stdout + H(['images', '-q', 'url:4']).stdout, '');
});

test('the platform ARGs (FROM and after ARG in a stage), proxy ARGs kept out of history, --platform, --add-host, --build-arg K from the environment', () => {
  assert.is(H(['tag', 'bb', `bb-${arch}`]).code, 0);
  const dir = context(
    'FROM bb-$TARGETARCH\nARG TARGETPLATFORM\nARG BUILDARCH\nARG TARGETVARIANT\nARG FROMENV\n' +
      'RUN echo "$TARGETPLATFORM $BUILDARCH [$TARGETVARIANT] $FROMENV [$TARGETOS]" > /platform\n' +
      'RUN echo "$HTTP_PROXY" > /proxy; grep myhost /etc/hosts > /hosts\n',
  );
  const r = build(['--platform', `linux/${arch}`, '--build-arg', 'HTTP_PROXY=http://proxy.invalid:3128', '--build-arg', 'FROMENV', '--add-host', 'myhost:10.1.2.3', '-t', 'platform:1', dir], { env: { FROMENV: 'env-value' } });
  assert.is(r.code, 0, r.stderr + r.stdout);
  const out = sh('platform:1', 'cat /platform /proxy /hosts');
  assert.is(out.stdout, `linux/${arch} ${arch} [] env-value []\nhttp://proxy.invalid:3128\n10.1.2.3\tmyhost\n`.replace('10.1.2.3\tmyhost', out.stdout.split('\n')[2]));
  assert.match(out.stdout.split('\n')[2], /^10\.1\.2\.3\s+myhost$/);
  const h = history('platform:1').join('\n');
  assert.not.match(h, /proxy\.invalid/, 'proxy values stay out of history');
  assert.not.match(H(['image', 'inspect', '-f', '{{json .Config.Env}}', 'platform:1']).stdout, /PROXY|TARGET/);
  const other = arch === 's390x' ? 'linux/riscv64' : 'linux/s390x';
  const cli = build(['--platform', other, '-t', 'platform:2', dir]);
  assert.is(cli.code, 1);
  assert.match(cli.stderr, new RegExp(`--platform: cannot build for platform ${other}: hx builds for the host's platform only \\(linux/${arch}\\)`));
  const from = build(['-t', 'platform:3', context(`FROM --platform=${other} bb\nRUN true\n`)]);
  assert.is(from.code, 1);
  assert.match(from.stderr, /Dockerfile:1:1: FROM --platform: cannot build for platform/);
  assert.is(H(['images', '-q', 'platform:2']).stdout + H(['images', '-q', 'platform:3']).stdout, '');
});

test('the cache key changes with a heredoc body, a --chmod, a mount shape and the digest of a COPY --from image', () => {
  const twice = (first, second, files = {}) => {
    const dir = context(first, files);
    const a = build(['-t', 'key:a', dir]);
    assert.is(a.code, 0, a.stderr + a.stdout);
    writeFileSync(join(dir, 'Dockerfile'), second);
    const b = build(['-t', 'key:b', dir]);
    assert.is(b.code, 0, b.stderr + b.stdout);
    return cachedSteps(b.stdout);
  };
  assert.is(twice('FROM bb\nRUN true\nCOPY <<EOF /x\none\nEOF\n', 'FROM bb\nRUN true\nCOPY <<EOF /x\ntwo\nEOF\n'), 1, 'the RUN before is cached, the COPY of the new body is not');
  assert.is(sh('key:b', 'cat /x').stdout, 'two\n');
  assert.is(twice('FROM bb\nRUN <<EOF\necho a > /r\nEOF\n', 'FROM bb\nRUN <<EOF\necho b > /r\nEOF\n'), 0);
  assert.is(twice('FROM bb\nCOPY --chmod=644 f /f\n', 'FROM bb\nCOPY --chmod=600 f /f\n', { f: 'f' }), 0);
  assert.is(sh('key:b', 'stat -c %a /f').stdout, '600\n');
  assert.is(twice('FROM bb\nRUN --mount=type=tmpfs,target=/t,size=1m true\n', 'FROM bb\nRUN --mount=type=tmpfs,target=/t,size=2m true\n'), 0);
  assert.is(twice('FROM bb\nRUN --mount=type=cache,target=/c true\n', 'FROM bb\nRUN --mount=type=cache,target=/c true\n'), 1, 'the same shape: cached');
  // COPY --from an image: the key holds the image's ID, so a retagged name is a miss
  assert.is(build(['-t', 'src:1', context('FROM bb\nRUN echo first > /payload\n')]).code, 0);
  const dir = context('FROM bb\nCOPY --from=src:1 /payload /payload\n');
  assert.is(build(['-t', 'key:c', dir]).code, 0);
  assert.is(cachedSteps(build(['-t', 'key:c', dir]).stdout), 1);
  assert.is(build(['-t', 'src:1', context('FROM bb\nRUN echo second > /payload\n')]).code, 0);
  const after = build(['-t', 'key:d', dir]);
  assert.is(cachedSteps(after.stdout), 0, after.stdout);
  assert.is(sh('key:d', 'cat /payload').stdout, 'second\n');
});

test('hx system reset takes the cache mounts with the build cache', () => {
  const dir = context('FROM bb\nRUN --mount=type=cache,target=/c echo x >> /c/log && wc -l < /c/log > /n\n');
  assert.is(build(['--no-cache', '-t', 'reset:1', dir]).code, 0);
  assert.is(build(['--no-cache', '-t', 'reset:1', dir]).code, 0);
  assert.is(sh('reset:1', 'cat /n').stdout, '2\n');
  assert.is(H(['system', 'reset', '-f']).code, 0);
  assert.is(H(['import', join(work, 'bb.tar'), 'bb']).code, 0);
  assert.is(build(['-t', 'reset:2', dir]).code, 0);
  assert.is(sh('reset:2', 'cat /n').stdout, '1\n');
});

test('RUN --mount=type=bind of the context binds the context as sent: .dockerignore applies', () => {
  const dir = context('FROM bb\nRUN --mount=type=bind,target=/ctx ls -a /ctx > /seen && ls /ctx/sub > /sub\nRUN --mount=type=bind,source=sub,target=/s,rw echo x > /s/new && ls /s > /rw\n', {
    'keep.txt': 'k',
    'secret.env': 'TOKEN=1',
    'sub/a': 'a',
    'sub/b.log': 'b',
    '.dockerignore': '*.env\nsub/*.log\n',
  });
  const r = build(['-t', 'bind-ignore:1', dir]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const out = sh('bind-ignore:1', 'cat /seen; echo --; cat /sub; echo --; cat /rw');
  assert.is(out.stdout, '.\n..\n.dockerignore\nDockerfile\nkeep.txt\nsub\n--\na\n--\na\nnew\n', out.stderr);
  const bad = build([context('FROM bb\nRUN --mount=type=bind,source=secret.env,target=/x cat /x\n', { 'secret.env': 's', '.dockerignore': '*.env\n' })]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /Dockerfile:2:1: failed to calculate checksum of ref: "\/secret.env": not found/);
});

test('--cache-from an image built with BUILDKIT_INLINE_CACHE=1: a store without the build cache reuses its steps, to the same image ID', () => {
  const dir = context('FROM bb\nENV A=1\nCOPY f /f\nRUN echo ran > /ran && cat /proc/uptime > /stamp\nLABEL x=y\n', { f: 'content' });
  const first = build(['-t', 'inline:1', '--build-arg', 'BUILDKIT_INLINE_CACHE=1', dir]);
  assert.is(first.code, 0, first.stderr + first.stdout);
  const id = H(['image', 'inspect', '-f', '{{.Id}}', 'inline:1']).stdout.trim();
  const stamp = sh('inline:1', 'cat /stamp').stdout;
  const saved = join(work, 'inline.tar');
  assert.is(H(['save', '-o', saved, 'inline:1']).code, 0);
  // a store that has the image (loaded) but none of the build's cache
  assert.is(H(['rmi', 'inline:1']).code, 0);
  assert.is(H(['builder', 'prune', '-a', '-f']).code, 0);
  assert.is(H(['load', '-i', saved]).code, 0);
  const again = build(['-t', 'inline:2', '--cache-from', 'inline:1', '--build-arg', 'BUILDKIT_INLINE_CACHE=1', dir]);
  assert.is(again.code, 0, again.stderr + again.stdout);
  assert.is(cachedSteps(again.stdout), 2, 'COPY and RUN come from the image; ENV and LABEL are metadata');
  assert.is(H(['image', 'inspect', '-f', '{{.Id}}', 'inline:2']).stdout.trim(), id, 'the same image');
  assert.is(sh('inline:2', 'cat /stamp').stdout, stamp, "the RUN's layer, not a new run");
  // without --cache-from (and without the store's cache) the RUN runs again
  assert.is(H(['builder', 'prune', '-a', '-f']).code, 0);
  const cold = build(['-t', 'inline:3', dir]);
  assert.is(cold.code, 0, cold.stderr + cold.stdout);
  assert.is(cachedSteps(cold.stdout), 0);
  assert.is.not(sh('inline:3', 'cat /stamp').stdout, stamp);
  // a source without an inline cache is a warning, and other cache types are refused
  const plain = build(['--cache-from', 'inline:3', dir]);
  assert.is(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /WARNING: --cache-from inline:3: the image has no inline cache/);
  const local = build(['--cache-from', 'type=local,src=/tmp', dir]);
  assert.is(local.code, 1);
  assert.match(local.stderr, /only images are cache sources here/);
});

test('RUN after VOLUME: what it writes under the volume path stays in the image (buildkit mounts no volume in RUN, nor makes its directory)', () => {
  const dir = context('FROM bb\nVOLUME /data\nRUN mkdir -p /data/sub && echo kept > /data/file\n');
  const r = build(['-t', 'volume-run:1', dir]);
  assert.is(r.code, 0, r.stderr + r.stdout);
  const out = sh('volume-run:1', 'cat /data/file && test -d /data/sub && echo sub');
  assert.is(out.stdout, 'kept\nsub\n', out.stderr);
  assert.is(H(['volume', 'ls', '-q']).stdout.trim().split('\n').filter(Boolean).length, 0, 'no anonymous volume left by the build');
});

test.after(() => removeTree(work));
test.run();
