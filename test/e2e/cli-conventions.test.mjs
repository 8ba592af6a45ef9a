// docker's CLI conventions on hx's commands, end to end as the unprivileged user: --format
// templates on images and inspect, --filter sets, the exit codes and messages of docker's
// CLI for common errors, rmi's untag semantics, the implicit pull of `run` from the local
// test registry, and shell completion in real bash and zsh under tmux and in fish.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as hxLib from '../lib/hx.mjs';
import { registryTestWorld, startRegistry } from '../lib/registry.mjs';
import { buildLayout, busyboxFiles, pushLayout } from '../lib/oci-build.mjs';
import { underPty } from '../lib/pty.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

const { hx, hxBin, need, run } = hxLib;
need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
need(spawnSync('tmux', ['-V']).status === 0, 'tmux is installed');
need(spawnSync('zsh', ['--version']).status === 0 && spawnSync('fish', ['--version']).status === 0, 'zsh and fish are installed');
const world = await registryTestWorld(hxLib);
const { env } = world;
const H = (args, o = {}) => hx(args, { ...o, env: { ...env, ...(o.env ?? {}) } });

const rootfs = makeBusyboxRootfs(join(world.base, 'rootfs'));
const tarball = join(world.base, 'bb.tar');
assert.is(run('tar', ['-C', rootfs, '-cf', tarball, '.']).code, 0);
assert.is(H(['import', '--change', 'ENV A=1', '--change', 'ENV B=two', tarball, 'bb:1']).code, 0);
assert.is(H(['import', '--change', 'LABEL tier=web', tarball, 'web:1']).code, 0);
assert.is(H(['tag', 'bb:1', 'bb:2']).code, 0);
const bbId = H(['images', '-q', '--no-trunc', 'bb:1']).stdout.trim();
const webId = H(['images', '-q', '--no-trunc', 'web:1']).stdout.trim();

test('images --format: templates, tables, json with docker\'s field names and strings', () => {
  const names = H(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout.trim().split('\n').sort();
  assert.equal(names, ['bb:1', 'bb:2', 'web:1']);
  const table = H(['images', '--format', 'table {{.ID}}\t{{.Size}}']).stdout.split('\n');
  assert.match(table[0], /^IMAGE ID\s+SIZE$/);
  assert.match(table[1], /^[0-9a-f]{12}\s+\d+(\.\d+)?[kM]?B$/);
  const rows = H(['images', '--format', 'json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(rows.length, 3);
  for (const r of rows) {
    for (const k of ['Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize', 'VirtualSize']) assert.type(r[k], 'string', k);
  }
  assert.is(rows.find((r) => r.Repository === 'web').Containers, '0');
});

test('image inspect templates: index, range + println, json; a malformed template and an unknown field fail as docker', () => {
  assert.is(H(['image', 'inspect', '-f', '{{index .RepoTags 0}}', 'web:1']).stdout, 'web:1\n');
  assert.is(H(['image', 'inspect', '-f', '{{range .Config.Env}}{{println .}}{{end}}', 'bb:1']).stdout, 'A=1\nB=two\n\n');
  assert.equal(JSON.parse(H(['image', 'inspect', '-f', '{{json .Config.Labels}}', 'web:1']).stdout), { tier: 'web' });
  assert.is(H(['inspect', '-f', '{{.Id}}', 'bb:1']).stdout.trim(), bbId, 'the top-level inspect finds images too');
  // docker's Config has every field: on an image without Env, range prints nothing
  const bare = H(['image', 'inspect', '-f', '{{range .Config.Env}}{{.}}{{end}}|{{.Config.User}}|{{json .Config.Entrypoint}}', 'web:1']);
  assert.is(bare.code, 0, bare.stderr);
  assert.is(bare.stdout, '||null\n');
  const bad = H(['image', 'inspect', '-f', '{{.Config', 'bb:1']);
  assert.is(bad.code, 64);
  assert.match(bad.stderr, /template parsing error: template: :1: unclosed action/);
  const unknown = H(['images', '--format', '{{.Nope}}']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /can't evaluate field Nope in type \*formatter\.imageContext/);
});

test('images --filter: dangling, reference, label, before; an unknown key fails', () => {
  assert.is(H(['images', '-f', 'dangling=true', '-q']).stdout, '');
  const ref = H(['images', '-f', 'reference=bb*', '--format', '{{.Repository}}:{{.Tag}}']).stdout.trim().split('\n').sort();
  assert.equal(ref, ['bb:1', 'bb:2']);
  assert.is(H(['images', '-f', 'label=tier=web', '-q', '--no-trunc']).stdout.trim(), webId);
  assert.is(H(['images', '-f', 'label=tier=db', '-q']).stdout, '');
  const before = H(['images', '-f', 'before=web:1', '-q', '--no-trunc']).stdout.trim().split('\n');
  assert.ok(before.every((id) => id === bbId) && before.length === 2, before.join(' '));
  const bad = H(['images', '-f', 'colour=blue']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /invalid filter 'colour'/);
});

test('docker\'s exit codes for common errors', () => {
  const cases = [
    [['nosuchcmd'], 1, /unknown command/],
    [['images', '--bogus'], 125, /unknown flag: --bogus/],
    [['tag'], 1, /requires 2 arguments/],
    [['rmi', 'nothere:1'], 1, /No such image: nothere:1/],
    [['image', 'inspect', 'nothere:1'], 1, /No such image: nothere:1/],
    [['inspect', 'nothere'], 1, /No such object: nothere/],
    [['history', 'nothere:1'], 1, /No such image: nothere:1/],
    [['save', '-o', join(world.base, 'x.tar'), 'nothere:1'], 1, /No such image: nothere:1/],
    [['load', '-i', '/nonexistent.tar'], 1, /no such file or directory/],
    [['ps', '--filter', 'bogus=1'], 1, /invalid filter 'bogus'/],
    [['rm', 'nothere'], 1, /No such container: nothere/],
    [['exec', 'nothere', 'true'], 1, /No such container: nothere/],
    [['run', '--pull', 'never', 'nothere:1'], 125, /No such image: nothere:1/],
    [['run', '--rm', 'bb:1', 'nosuchbinary'], 127, /executable file not found in \$PATH/],
    [['run', '--rm', 'bb:1', '/etc/passwd'], 126, /permission denied/],
    [['run', '--rm', 'bb:1', 'sh', '-c', 'exit 42'], 42, /^$/],
  ];
  for (const [args, code, message] of cases) {
    const r = H(args);
    assert.is(r.code, code, `hx ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, `hx ${args.join(' ')}`);
  }
  const logout = H(['logout', '127.0.0.1:9']);
  assert.is(logout.code, 0, 'logout of a registry one is not logged in to');
  assert.match(logout.stdout + logout.stderr, /Not logged in to 127\.0\.0\.1:9/);
});

test('rmi: -f of one of two tags untags it only; rmi A B with B unknown removes A and exits 1', () => {
  const f = H(['rmi', '-f', 'bb:2']);
  assert.is(f.code, 0, f.stderr);
  assert.is(f.stdout, 'Untagged: bb:2\n');
  assert.is(H(['images', '-q', '--no-trunc', 'bb:1']).stdout.trim(), bbId, 'bb:1 and the image stay');
  assert.is(H(['tag', 'bb:1', 'bb:3']).code, 0);
  const two = H(['rmi', 'bb:3', 'nothere:1']);
  assert.is(two.code, 1);
  assert.match(two.stdout, /Untagged: bb:3/);
  assert.match(two.stderr, /No such image: nothere:1/);
  assert.is(H(['images', '-q', 'bb:3']).stdout, '');
});

test('run pulls an image that is only in the registry (progress on a terminal); --pull never fails', async () => {
  const registry = await startRegistry({ dir: join(world.base, 'registry') });
  try {
    const layout = join(world.base, 'layout');
    buildLayout(layout, [{ tag: 'v1', layers: [busyboxFiles(), { 'etc/hello': 'hello from the registry\n' }], cmd: ['cat', '/etc/hello'] }]);
    pushLayout(layout, 'v1', `${registry.host}/test/hello:v1`);
    const ref = `${registry.host}/test/hello:v1`;
    const never = H(['run', '--rm', '--pull', 'never', ref]);
    assert.is(never.code, 125);
    assert.match(never.stderr, new RegExp(`No such image: ${ref.replace(/[.]/g, '\\.')}`));
    const r = await underPty(`${hxBin} run --rm ${ref}`, [], { env: { ...process.env, ...env } });
    assert.is(r.code, 0, r.output);
    assert.match(r.output, /Unable to find image '.*test\/hello:v1' locally/);
    assert.match(r.output, /Pull complete/);
    assert.match(r.output, /Status: Downloaded newer image for/);
    assert.match(r.output, /hello from the registry/);
    assert.is(H(['run', '--rm', ref]).stdout, 'hello from the registry\n', 'the second run does not pull');
    // hx build pulls a FROM image it does not have, as docker build does
    assert.is(H(['rmi', ref]).code, 0);
    const ctxDir = join(world.base, 'build-pull');
    spawnSync('mkdir', ['-p', ctxDir]);
    spawnSync('sh', ['-c', `printf 'FROM ${ref}\\nRUN echo built >> /etc/hello\\n' > ${ctxDir}/Dockerfile`]);
    const b = H(['build', '--network', 'none', '-t', 'pulled:1', ctxDir]);
    assert.is(b.code, 0, b.stderr);
    assert.match(b.stdout, new RegExp(`Pulling ${ref.replace(/[.]/g, '\\.')}`));
    assert.is(H(['run', '--rm', '--network', 'none', 'pulled:1']).stdout, 'hello from the registry\nbuilt\n');
  } finally {
    await registry.stop();
  }
});

/** Type KEYS into SHELL (bash or zsh) under tmux, set up as a user would set up `hx completion
 * SHELL` (bash: sourced from the rc file; zsh: the script as _hx in fpath, compinit); what
 * the line shows after Tab. */
function completeIn(shell, keys) {
  const session = `hx-compl-${shell}-${process.pid}`;
  const dir = join(world.base, `shell-${shell}`);
  const bin = join(hxBin, '..');
  const setup =
    shell === 'bash'
      ? `mkdir -p ${dir} && ${hxBin} completion bash > ${dir}/comp && printf 'PS1="$ "\\nPATH=${bin}:$PATH\\n. ${dir}/comp\\n' > ${dir}/rc`
      : `mkdir -p ${dir}/fn && ${hxBin} completion zsh > ${dir}/fn/_hx && printf 'PS1="$ "\\nPATH=${bin}:$PATH\\nfpath=(${dir}/fn $fpath)\\nautoload -Uz compinit && compinit -u -D\\n' > ${dir}/.zshrc`;
  assert.is(spawnSync('sh', ['-c', setup], { env: { ...process.env, ...env } }).status, 0);
  const start = shell === 'bash' ? `bash --noprofile --rcfile ${dir}/rc -i` : `env ZDOTDIR=${dir} zsh -i`;
  const tmux = (...a) => spawnSync('tmux', ['-L', session, ...a], { encoding: 'utf8', env: { ...process.env, ...env } });
  tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '20', start);
  try {
    spawnSync('sleep', ['1']);
    tmux('send-keys', '-t', session, keys);
    tmux('send-keys', '-t', session, 'Tab');
    spawnSync('sleep', ['1.5']);
    return tmux('capture-pane', '-p', '-t', session).stdout;
  } finally {
    tmux('kill-server');
  }
}

for (const shell of ['bash', 'zsh']) {
  test(`${shell} completion under tmux: commands and flags from the command table, from the first Tab`, () => {
    // the launcher is on PATH as build/hx; completion is registered for the name hx
    const imp = completeIn(shell, 'hx imp');
    assert.match(imp, /\$ hx import\b/, imp);
    const net = completeIn(shell, 'hx run --netw');
    assert.match(net, /\$ hx run --network\b/, net);
  });
}

test('fish completion: commands, flags and their descriptions (complete -C)', () => {
  const r = spawnSync('fish', ['-c', 'source (hx completion fish | psub); complete -C "hx imp"; complete -C "hx run --netw"; complete -C "hx image "'], {
    encoding: 'utf8',
    env: { ...process.env, ...env, PATH: `${join(hxBin, '..')}:${process.env.PATH}` },
  });
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.includes('import'), r.stdout);
  assert.ok(lines.some((l) => /^--network\t/.test(l)), r.stdout);
  for (const sub of ['history', 'inspect', 'load', 'ls', 'prune', 'pull', 'push', 'rm', 'save', 'tag']) assert.ok(lines.includes(sub), `image ${sub}: ${r.stdout}`);
});

test.after(() => world.cleanup());
test.run();
