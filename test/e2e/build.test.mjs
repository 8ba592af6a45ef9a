// `hx build` as the unprivileged user: a two-stage Dockerfile with ARG/ENV/WORKDIR/RUN/
// COPY (context files and directories, --from a stage, --chown), LABEL/USER/CMD; the image
// runs with exactly what the file says, history names each step, --target and --build-arg,
// .dockerignore, nothing left behind (intermediate images and containers), and docker's
// errors for a failing RUN, a bad Dockerfile, a missing source and what is not built yet.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, need, removeTree, run, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
const work = tempDir('hx-build-');
const env = { HX_STORAGE_ROOT: join(work, 'store'), HX_RUNTIME_DIR: join(work, 'run') };
const H = (args) => hx(args, { env });
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
assert.is(run('tar', ['-C', rootfs, '-cf', join(work, 'bb.tar'), '.']).code, 0);
assert.is(H(['import', join(work, 'bb.tar'), 'bb']).code, 0);

const ctxDir = join(work, 'context');
mkdirSync(join(ctxDir, 'dir/sub'), { recursive: true });
writeFileSync(join(ctxDir, 'a.txt'), 'hello\n');
writeFileSync(join(ctxDir, 'dir/sub/f'), 'inner\n');
writeFileSync(join(ctxDir, 'secret.txt'), 'canary\n');
writeFileSync(join(ctxDir, '.dockerignore'), 'secret.txt\n');
writeFileSync(
  join(ctxDir, 'Dockerfile'),
  `ARG BASE=bb
FROM \${BASE} AS builder
ARG GREETING=hi
ENV APP=/app
WORKDIR $APP
RUN echo "$GREETING from build" > made.txt && rm /bin/yes
COPY a.txt dir /app/in/
COPY . /ctx/
RUN ls /app/in /app/in/sub > /app/listing

FROM bb
LABEL tier=web
COPY --from=builder /app/made.txt /made.txt
COPY --chown=1000:1000 a.txt /home/
USER 1000
CMD ["cat", "/made.txt"]
`,
);
const build = (args) => H(['build', '--network', 'none', ...args]);

test('a two-stage build: the image has what the Dockerfile says, and only that is left', () => {
  const r = build(['-t', 'app:1', ctxDir]);
  assert.is(r.code, 0, r.stderr);
  // buildkit's plain progress: a vertex per step, [stage k/n], and its result
  assert.match(r.stdout, /^#(\d+) \[builder 1\/8\] FROM \$\{BASE\} AS builder\n#\1 DONE \d+\.\ds$/m);
  assert.match(r.stdout, /^#(\d+) \[stage-1 6\/6\] CMD \["cat", "\/made.txt"\]\n#\1 DONE \d+\.\ds$/m);
  const id = r.stdout.trim().split('\n').pop();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.is(H(['images', '-q', '--no-trunc', 'app:1']).stdout.trim(), id);
  assert.is(H(['run', '--rm', '--network', 'none', 'app:1']).stdout, 'hi from build\n');
  const inside = H(['run', '--rm', '--network', 'none', 'app:1', 'sh', '-c', 'id -u; stat -c "%u:%g %n" /home/a.txt; cat /home/a.txt; test -e /bin/yes && echo yes-kept']);
  assert.is(inside.stdout, '1000\n1000:1000 /home/a.txt\nhello\nyes-kept\n', 'the second stage starts from bb again');
  const conf = JSON.parse(H(['image', 'inspect', '-f', '{{json .Config}}', 'app:1']).stdout);
  assert.equal(conf.Labels, { tier: 'web' });
  assert.is(conf.User, '1000');
  assert.equal(conf.Cmd, ['cat', '/made.txt']);
  const history = H(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'app:1']).stdout.trim().split('\n');
  assert.equal(history.slice(0, 5), ['CMD ["cat" "/made.txt"]', 'USER 1000', 'COPY --chown=1000:1000 a.txt /home/ # buildkit', 'COPY /app/made.txt /made.txt # buildkit', 'LABEL tier=web']);
  // no intermediate image or container stays
  assert.equal(H(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout.trim().split('\n').sort(), ['app:1', 'bb:latest']);
  assert.is(H(['ps', '-a', '-q']).stdout, '');
});

test('--target and --build-arg; COPY of directories and of the context without what .dockerignore excludes', () => {
  const r = build(['--target', 'builder', '--build-arg', 'GREETING=yo', '-t', 'app:builder', '-q', ctxDir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/, '-q prints the ID only');
  const out = H(['run', '--rm', '--network', 'none', 'app:builder', 'sh', '-c', 'pwd; cat made.txt; cat listing; ls -A /ctx; echo $APP; test -e /bin/yes || echo yes-gone']);
  assert.is(out.code, 0, out.stderr);
  assert.is(out.stdout, '/app\nyo from build\n/app/in:\na.txt\nsub\n\n/app/in/sub:\nf\n.dockerignore\nDockerfile\na.txt\ndir\n/app\nyes-gone\n');
  // ARGs are the RUN's environment, not the image's
  assert.not.match(H(['image', 'inspect', '-f', '{{json .Config.Env}}', 'app:builder']).stdout, /GREETING/);
});

test('FROM scratch: a static binary and a file copied from a stage make the whole image', () => {
  const dir = join(work, 'scratch');
  mkdirSync(dir);
  writeFileSync(join(dir, 'Dockerfile'), 'FROM bb AS tools\nRUN echo static > /payload\nFROM scratch\nCOPY --from=tools /bin/busybox /bin/busybox\nCOPY --from=tools /payload /payload\nENTRYPOINT ["/bin/busybox"]\nCMD ["cat", "/payload"]\n');
  const r = build(['-t', 'scratchy:1', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.is(H(['run', '--rm', '--network', 'none', 'scratchy:1']).stdout, 'static\n');
  assert.is(JSON.parse(H(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'scratchy:1']).stdout).length, 2, 'two COPY layers, nothing of bb');
  assert.is(H(['images', '-q', '--filter', 'dangling=true']).stdout, '', 'the scratch base and the intermediates are gone');
});

test('ONBUILD triggers run in the child build and are not inherited; HEALTHCHECK, EXPOSE, VOLUME and ENTRYPOINT in the config', () => {
  const dir = join(work, 'onbuild');
  mkdirSync(dir);
  writeFileSync(join(dir, 'Dockerfile'), 'FROM bb\nONBUILD RUN echo fired > /fired\nEXPOSE 8080 53/udp\nVOLUME /data\nHEALTHCHECK --interval=5s --retries=2 CMD true\nENTRYPOINT ["echo", "entry"]\n');
  assert.is(build(['-t', 'parent:1', dir]).code, 0);
  const conf = JSON.parse(H(['image', 'inspect', '-f', '{{json .Config}}', 'parent:1']).stdout);
  assert.equal(conf.OnBuild, ['RUN echo fired > /fired']);
  assert.equal(Object.keys(conf.ExposedPorts).sort(), ['53/udp', '8080/tcp']);
  assert.equal(Object.keys(conf.Volumes), ['/data']);
  assert.equal(conf.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 2 }, 'shell form: CMD-SHELL, as docker stores it');
  assert.equal(conf.Entrypoint, ['echo', 'entry']);
  assert.is(conf.Cmd, null, 'ENTRYPOINT drops the base image\'s CMD');
  const child = join(work, 'child');
  mkdirSync(child);
  writeFileSync(join(child, 'Dockerfile'), 'FROM parent:1\nCMD ["x"]\n');
  const r = build(['-t', 'child:1', child]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /ONBUILD RUN echo fired > \/fired/);
  assert.is(H(['run', '--rm', '--network', 'none', '--entrypoint', 'cat', 'child:1', '/fired']).stdout, 'fired\n');
  assert.is(JSON.parse(H(['image', 'inspect', '-f', '{{json .Config.OnBuild}}', 'child:1']).stdout), null);
  assert.is(H(['run', '--rm', '--network', 'none', 'child:1']).stdout, 'entry x\n');
});

test('ADD unpacks a local tar.gz, copies a plain file; COPY wildcards; --chown by name from the image', () => {
  const dir = join(work, 'add');
  mkdirSync(join(dir, 'payload/inner'), { recursive: true });
  writeFileSync(join(dir, 'payload/one.txt'), '1\n');
  writeFileSync(join(dir, 'payload/inner/two.txt'), '2\n');
  assert.is(run('tar', ['-C', join(dir, 'payload'), '-czf', join(dir, 'payload.tar.gz'), '.']).code, 0);
  for (const n of ['a.conf', 'b.conf', 'c.txt']) writeFileSync(join(dir, n), `${n}\n`);
  writeFileSync(join(dir, 'Dockerfile'), 'FROM bb\nADD payload.tar.gz /opt/\nADD c.txt /plain/\nCOPY --chown=alice:audio *.conf /etc/app/\nWORKDIR /srv/made\nCMD ["pwd"]\n');
  const r = build(['-t', 'added:1', dir]);
  assert.is(r.code, 0, r.stderr);
  const out = H(['run', '--rm', '--network', 'none', 'added:1', 'sh', '-c', 'cat /opt/one.txt /opt/inner/two.txt /plain/c.txt; ls /etc/app; stat -c "%u:%g" /etc/app/a.conf']);
  assert.is(out.code, 0, out.stderr);
  assert.is(out.stdout, '1\n2\nc.txt\na.conf\nb.conf\n1000:29\n');
  // WORKDIR made its directory, in the image (not only when a container starts there)
  assert.is(H(['run', '--rm', '--network', 'none', '-w', '/', 'added:1', 'stat', '-c', '%F', '/srv/made']).stdout, 'directory\n');
  const none = join(work, 'nomatch');
  mkdirSync(none);
  writeFileSync(join(none, 'Dockerfile'), 'FROM bb\nCOPY *.nothing /x/\n');
  const bad = build([none]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /no source files were specified/);
});

test('the build cache: an identical rebuild is all CACHED with the same image ID; an edited file rebuilds from its COPY on; --no-cache runs all', () => {
  const dir = join(work, 'cached');
  mkdirSync(dir);
  writeFileSync(join(dir, 'one.txt'), 'one\n');
  writeFileSync(join(dir, 'two.txt'), 'two\n');
  writeFileSync(join(dir, 'Dockerfile'), 'FROM bb\nENV A=1\nRUN echo ran > /ran\nCOPY one.txt /one.txt\nRUN cat /one.txt > /copy-of-one\nCOPY two.txt /two.txt\nCMD ["cat", "/copy-of-one"]\n');
  const cached = (out) => out.split('\n').filter((l) => /^#\d+ CACHED$/.test(l)).length;
  const first = build(['-t', 'cached:1', dir]);
  assert.is(first.code, 0, first.stderr);
  assert.is(cached(first.stdout), 0);
  const id = first.stdout.trim().split('\n').pop();
  const again = build(['-t', 'cached:2', dir]);
  assert.is(again.code, 0, again.stderr);
  assert.is(cached(again.stdout), 6, again.stdout);
  assert.is(again.stdout.trim().split('\n').pop(), id, 'the same image ID');
  // an edit of one.txt: its COPY and everything after run again, the steps before it do not
  writeFileSync(join(dir, 'one.txt'), 'ONE\n');
  const edited = build(['-t', 'cached:3', dir]);
  assert.is(edited.code, 0, edited.stderr);
  assert.is(cached(edited.stdout), 2, edited.stdout);
  assert.match(edited.stdout, /#(\d+) \[stage-0 3\/7\] RUN echo ran > \/ran\n#\1 CACHED/);
  assert.is(H(['run', '--rm', '--network', 'none', 'cached:3']).stdout, 'ONE\n');
  const none = build(['--no-cache', '-t', 'cached:4', dir]);
  assert.is(none.code, 0, none.stderr);
  assert.is(cached(none.stdout), 0);
  assert.is.not(none.stdout.trim().split('\n').pop(), id);
});

test('bad input: a failing RUN, a bad Dockerfile, a missing source, what is not built yet; nothing left', () => {
  const bad = join(work, 'bad');
  mkdirSync(bad);
  const attempt = (text) => {
    writeFileSync(join(bad, 'Dockerfile'), text);
    return build(['-t', 'never:1', bad]);
  };
  const failing = attempt('FROM bb\nRUN echo before; exit 3\n');
  assert.is(failing.code, 1);
  assert.match(failing.stdout, /before/);
  assert.match(failing.stderr, /process "\/bin\/sh -c echo before; exit 3" did not complete successfully: exit code: 3/);
  const syntax = attempt('FROM bb\nFORM x\n');
  assert.is(syntax.code, 1);
  assert.match(syntax.stderr, /Dockerfile:2/);
  assert.match(syntax.stderr, /unknown instruction: FORM/i);
  const missing = attempt('FROM bb\nCOPY nope.txt /x\n');
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /"nope.txt": not found/);
  const add = attempt('FROM bb\nADD https://127.0.0.1:1/x.tar /x\n');
  assert.is(add.code, 1);
  assert.match(add.stderr, /Dockerfile:2:1: ADD https:\/\/127.0.0.1:1\/x.tar: hx build fetches a URL only with --checksum/);
  // a base that is not here is pulled: from a loopback port nothing listens on, so the pull
  // fails (and nothing is sent off this machine)
  const noImage = attempt('FROM 127.0.0.1:1/nosuch:1\n');
  assert.is(noImage.code, 1);
  assert.match(noImage.stdout, /Pulling 127\.0\.0\.1:1\/nosuch:1/);
  assert.match(noImage.stderr, /Dockerfile:1: pulling 127\.0\.0\.1:1\/nosuch:1/);
  const noFile = H(['build', '-f', join(bad, 'Nope'), bad]);
  assert.is(noFile.code, 1);
  assert.match(noFile.stderr, /failed to read dockerfile/);
  assert.is(H(['images', '-q', 'never:1']).stdout, '');
  assert.is(H(['ps', '-a', '-q']).stdout, '');
});

test.after(() => removeTree(work));
test.run();
