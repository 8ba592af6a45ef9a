// Outside verdicts on what `hx build` makes, as the unprivileged user, with real tools: skopeo
// reads the image after `hx save`; podman loads it and runs it (runc) with the output hx run
// gives; and podman build (buildah, runc) of the same Dockerfile from the same base gives
// the same config and, instruction by instruction, the same history.
//
// Where buildah and buildkit (whose texts hx writes) differ by design, the comparison says
// so per instruction instead of skipping it:
// - metadata steps: buildah writes `/bin/sh -c #(nop) ` + the instruction as written
//   (`EXPOSE 8080 53/udp`, `VOLUME /data`, `ARG VERSION`, `SHELL ["/bin/sh", "-c"]`),
//   buildkit the parsed value in Go's %v (`EXPOSE [53/udp 8080/tcp]`, `VOLUME [/data]`,
//   `ARG VERSION=1`, `SHELL [/bin/sh -c]`, `ENTRYPOINT ["/bin/sh" "-c"]`): the values are
//   compared, not the punctuation.
// - COPY/ADD: buildah names the content (`COPY multi:<sha256> in /app/in/`), buildkit the
//   sources as written (`COPY a.txt dir /app/in/ # buildkit`): the destination is compared.
// - WORKDIR of a directory the image lacks: buildkit makes it in a layer of its own, buildah
//   in the next step's layer (its WORKDIR entry is empty_layer): the only empty_layer difference.
// - RUN: the same text on both sides (`|N ARG=v... /bin/sh -c CMD`), buildkit's with
//   `RUN ` before and ` # buildkit` after.
// - buildah adds the label io.buildah.version, writes an empty OnBuild as [] and times as Go
//   does (no trailing zeros: .43Z where hx, as JavaScript, writes .430Z); buildah's RUN layers also hold the mount
//   points it made (dev/, proc/, sys/, run/, etc/hostname), hx's only what the command changed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, need, removeTree, run, tempDir } from '../lib/hx.mjs';
import { haveTools } from '../lib/image-fixtures.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
need(haveTools('skopeo'), 'skopeo is installed (Debian package skopeo)');
need(haveTools('podman') && haveTools('runc'), 'podman and runc are installed (Debian packages podman, runc)');
const work = tempDir('hx-build-peers-');
const env = { HX_STORAGE_ROOT: join(work, 'store'), HX_RUNTIME_DIR: join(work, 'run') };
const H = (args) => hx(args, { env });
const pmArgs = ['--root', join(work, 'pm/root'), '--runroot', join(work, 'pm/run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
const podman = (args) => run('podman', [...pmArgs, ...args]);
const must = (r, what) => {
  assert.is(r.code, 0, `${what}: ${r.stderr}`);
  return r.stdout;
};
const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
must(run('tar', ['-C', rootfs, '-cf', join(work, 'bb.tar'), '.']), 'tar');
must(H(['import', join(work, 'bb.tar'), 'bb']), 'hx import');
// the same base for podman: the very image hx has, by hx save
must(H(['save', '-o', join(work, 'bb-saved.tar'), 'bb']), 'hx save bb');
must(podman(['load', '-i', join(work, 'bb-saved.tar')]), 'podman load bb');

const ctx = join(work, 'ctx');
mkdirSync(join(ctx, 'dir'), { recursive: true });
writeFileSync(join(ctx, 'a.txt'), 'hello\n');
writeFileSync(join(ctx, 'dir/f'), 'inner\n');
writeFileSync(
  join(ctx, 'Dockerfile'),
  `FROM bb
LABEL tier=web
ENV APP=/app MODE=prod
ARG VERSION=1
WORKDIR /app
COPY a.txt dir /app/in/
RUN echo "v$VERSION $MODE" > /app/version && cat /app/in/a.txt
ADD a.txt /added.txt
EXPOSE 8080 53/udp
VOLUME /data
USER 0:0
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --retries=2 CMD true
SHELL ["/bin/sh", "-c"]
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/version /app/in/f; stat -c '%n %a %u:%g %s' /app /app/in /app/in/a.txt /app/in/f /app/version /added.txt"]
`,
);
must(H(['build', '--network', 'none', '-t', 'peer:hx', ctx]), 'hx build');
must(H(['save', '-o', join(work, 'peer-hx.tar'), 'peer:hx']), 'hx save');
must(podman(['build', '--runtime', 'runc', '--network', 'none', '--pull=never', '--format', 'docker', '-t', 'peer:pm', ctx]), 'podman build');
must(podman(['save', '--format', 'docker-archive', '-o', join(work, 'peer-pm.tar'), 'localhost/peer:pm']), 'podman save');
const rawConfig = (archive) => JSON.parse(must(run('skopeo', ['inspect', '--config', '--raw', `docker-archive:${archive}`]), 'skopeo inspect --config'));
const hxConfig = rawConfig(join(work, 'peer-hx.tar'));
const pmConfig = rawConfig(join(work, 'peer-pm.tar'));

test('skopeo reads the saved image: its layers, digest and config', () => {
  const info = JSON.parse(must(run('skopeo', ['inspect', `docker-archive:${join(work, 'peer-hx.tar')}`]), 'skopeo inspect'));
  assert.is(info.Layers.length, hxConfig.rootfs.diff_ids.length);
  assert.is(info.Os, 'linux');
  assert.equal(info.Labels, { tier: 'web' });
  assert.ok(info.Env.includes('APP=/app') && info.Env.includes('MODE=prod'), info.Env.join(' '));
  // the config skopeo reads is the one hx stores (the image ID is its digest)
  const id = must(H(['images', '-q', '--no-trunc', 'peer:hx']), 'hx images').trim();
  const bytes = run('skopeo', ['inspect', '--config', '--raw', `docker-archive:${join(work, 'peer-hx.tar')}`]).stdout;
  assert.is(`sha256:${run('sha256sum', [], { input: bytes }).stdout.split(' ')[0]}`, id);
});

test('podman loads the image and runs it with runc: the output hx run gives', () => {
  must(podman(['load', '-i', join(work, 'peer-hx.tar')]), 'podman load');
  const pm = must(podman(['run', '--rm', '--runtime', 'runc', '--network', 'none', 'localhost/peer:hx']), 'podman run');
  const mine = must(H(['run', '--rm', '--network', 'none', 'peer:hx']), 'hx run');
  assert.is(pm, mine);
  assert.match(mine, /^v1 prod\ninner\n\/app 755 0:0 /);
  // and the image podman built has the same files, modes and owners
  const built = must(podman(['run', '--rm', '--runtime', 'runc', '--network', 'none', 'localhost/peer:pm']), 'podman run peer:pm');
  assert.is(built, mine);
});

test('the config matches podman build of the same Dockerfile (io.buildah.version aside)', () => {
  const { Labels: pmLabels, ...pm } = pmConfig.config;
  const { Labels: hxLabels, ...mine } = hxConfig.config;
  const { 'io.buildah.version': _v, ...pmOwn } = pmLabels ?? {};
  assert.equal(hxLabels, pmOwn);
  const fields = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'StopSignal', 'Healthcheck', 'Shell', 'OnBuild'];
  // buildah writes an empty OnBuild as [], buildkit (and docker) leave it out
  const orNull = (v) => (Array.isArray(v) && v.length === 0 ? null : v ?? null);
  for (const f of fields) assert.equal(orNull(mine[f]), orNull(pm[f]), `Config.${f}`);
  assert.is(hxConfig.architecture, pmConfig.architecture);
  assert.is(hxConfig.os, pmConfig.os);
  assert.is(hxConfig.author ?? '', pmConfig.author ?? '');
});

// one history entry as "KEYWORD value", the notation of each builder undone
const fromBuildah = (h) => {
  const t = (h.created_by ?? '').replace(/^\/bin\/sh -c #\(nop\) /, '').trim();
  return /^[A-Z]+ /.test(t) ? t : `RUN ${t}`;
};
const fromBuildkit = (h) => (h.created_by ?? '').replace(/ # buildkit$/, '').trim();
const goList = (v) => v.replace(/^\[|\]$/g, '').split(' ').filter(Boolean);
const jsonList = (v) => JSON.parse(v);
const ports = (list) => list.map((p) => (p.includes('/') ? p : `${p}/tcp`)).sort();
/** What should match, per keyword: [buildkit's value, buildah's value] made comparable. */
const comparable = {
  RUN: (k, b) => [k, b],
  COPY: (k, b) => [k.split(' ').pop(), b.split(' ').pop()],
  ADD: (k, b) => [k.split(' ').pop(), b.split(' ').pop()],
  ARG: (k, b) => [k.split('=')[0], b.split('=')[0]],
  EXPOSE: (k, b) => [ports(goList(k)), ports(b.split(' '))],
  VOLUME: (k, b) => [goList(k), b.startsWith('[') ? jsonList(b) : b.split(' ')],
  SHELL: (k, b) => [goList(k), jsonList(b)],
  ENTRYPOINT: (k, b) => [jsonList(k.replace(/" "/g, '", "')), jsonList(b)],
  CMD: (k, b) => [jsonList(k.replace(/" "/g, '", "')), jsonList(b)],
  // buildkit prints the parsed struct; its values are checked in the config test
  HEALTHCHECK: () => [true, true],
};

test('hx history matches podman history, instruction by instruction', () => {
  const mine = hxConfig.history;
  const pm = pmConfig.history;
  assert.is(mine.length, pm.length, 'one entry per instruction on both sides');
  // the same base entry; buildah rewrites its time as Go does (trailing zeros of the fraction dropped)
  const sameTime = (h) => ({ ...h, created: Date.parse(h.created) });
  assert.equal(sameTime(mine[0]), sameTime(pm[0]), 'the same base entry');
  for (let i = 1; i < mine.length; i++) {
    const k = fromBuildkit(mine[i]);
    const b = fromBuildah(pm[i]);
    const word = k.split(' ')[0];
    assert.is(word, b.split(' ')[0], `entry ${i}: ${k} | ${b}`);
    const kv = k.slice(word.length + 1);
    const bv = b.slice(word.length + 1);
    const [x, y] = (comparable[word] ?? ((p, q) => [p, q]))(kv, bv);
    assert.equal(x, y, `entry ${i} (${word}): hx "${k}", podman "${b}"`);
    if (word !== 'WORKDIR') assert.is(mine[i].empty_layer === true, pm[i].empty_layer === true, `entry ${i} (${word}): empty_layer`);
  }
  // hx history shows the same texts it stored
  const shown = must(H(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'peer:hx']), 'hx history').replace(/\n$/, '').split('\n').reverse();
  assert.equal(shown.slice(1), mine.slice(1).map((h) => h.created_by));
  // the layers: the same count but for WORKDIR's (see above)
  const layers = (h) => h.filter((e) => e.empty_layer !== true).length;
  assert.is(layers(mine), layers(pm) + 1);
  assert.is(hxConfig.rootfs.diff_ids[0], pmConfig.rootfs.diff_ids[0], 'the same base layer');
});

test.after(() => {
  run('podman', [...pmArgs, 'unshare', 'rm', '-rf', join(work, 'pm')]);
  removeTree(work);
});
test.run();
