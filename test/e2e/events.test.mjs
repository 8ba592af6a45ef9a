// `hx events` as an unprivileged user: the lifecycle of foreground and detached containers
// (the monitor writes start, die and health_status itself), image and volume events, a
// stream that sees what other commands do while it runs, --since/--until, moby's filters,
// --format json and templates, parallel writers never tearing a line, and bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { hx, hxAsync, hxBin, need, removeTree, run, tempDir } from '../lib/hx.mjs';
import { makeBusyboxRootfs } from './run-rootfs.mjs';

need(process.getuid() !== 0, 'e2e tests run as an unprivileged user');
const work = tempDir('hx-events-');
const env = { HX_STORAGE_ROOT: join(work, 'store') };
const H = (args, o = {}) => hx(args, { ...o, env: { ...env, ...(o.env ?? {}) } });

const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
const tarball = join(work, 'bb.tar');
assert.is(run('tar', ['-C', rootfs, '-cf', tarball, '.']).code, 0);
assert.is(H(['import', tarball, 'bb']).code, 0);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** docker's --since in Unix seconds with a fraction, taken now. */
const mark = () => (Date.now() / 1000).toFixed(3);
/** The events since MARK up to now, as JSON objects (--until ends the stream). */
function eventsSince(since, extra = []) {
  const r = H(['events', '--since', since, '--until', mark(), '--format', 'json', ...extra]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
const actions = (evs) => evs.map((e) => `${e.Type} ${e.Action}`);

test('a foreground run --rm: create, start, die with its exit code, destroy, in order', () => {
  const since = mark();
  assert.is(H(['run', '--rm', '--name', 'fg1', '--label', 'team=a', '--network', 'none', 'bb', 'sh', '-c', 'exit 3']).code, 3);
  const evs = eventsSince(since, ['--filter', 'container=fg1']);
  assert.equal(actions(evs), ['container create', 'container start', 'container die', 'container destroy']);
  const die = evs[2];
  assert.is(die.Actor.Attributes.exitCode, '3');
  assert.is(die.Actor.Attributes.name, 'fg1');
  assert.is(die.Actor.Attributes.image, 'bb');
  assert.is(die.Actor.Attributes.team, 'a', 'labels are attributes');
  // moby's deprecated fields, still sent for containers
  assert.is(die.status, 'die');
  assert.is(die.id, die.Actor.ID);
  assert.is(die.from, 'bb');
  assert.match(die.Actor.ID, /^[0-9a-f]{64}$/);
  assert.is(die.scope, 'local');
  // timeNano is the full int64, time its seconds
  assert.is(typeof die.timeNano, 'number');
  assert.is(Math.floor(die.timeNano / 1e9), die.time);
});

test('a detached container: the monitor records start and die for each restart; stop is kill, die, stop', async () => {
  const since = mark();
  assert.is(H(['run', '-d', '--name', 'rs1', '--restart', 'on-failure:2', '--network', 'none', 'bb', 'sh', '-c', 'exit 5']).code, 0);
  for (let i = 0; i < 100 && H(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', 'rs1']).stdout.trim() !== 'exited 2'; i++) await sleep(100);
  const evs = eventsSince(since, ['--filter', 'container=rs1']);
  assert.equal(actions(evs), ['container create', 'container start', 'container die', 'container start', 'container die', 'container start', 'container die']);
  assert.ok(evs.filter((e) => e.Action === 'die').every((e) => e.Actor.Attributes.exitCode === '5'));

  const s2 = mark();
  assert.is(H(['run', '-d', '--name', 'st1', '--network', 'none', 'bb', 'sleep', '60']).code, 0);
  assert.is(H(['stop', '-t', '0', 'st1']).code, 0);
  assert.is(H(['rm', 'st1', 'rs1']).code, 0);
  const stops = eventsSince(s2, ['--filter', 'container=st1']);
  assert.equal(actions(stops), ['container create', 'container start', 'container kill', 'container die', 'container stop', 'container destroy']);
  assert.is(stops[2].Actor.Attributes.signal, '15');
  assert.is(stops[3].Actor.Attributes.exitCode, '137', 'SIGKILL after -t 0');
});

test('health_status events come from the monitor when the status changes', async () => {
  const since = mark();
  assert.is(H(['run', '-d', '--name', 'hc1', '--network', 'none', '--health-cmd', 'test -e /tmp/ok', '--health-interval', '300ms', '--health-retries', '1', 'bb', 'sleep', '60']).code, 0);
  const health = () => H(['inspect', '-f', '{{.State.Health.Status}}', 'hc1']).stdout.trim();
  for (let i = 0; i < 100 && health() !== 'unhealthy'; i++) await sleep(100);
  assert.is(H(['exec', 'hc1', 'touch', '/tmp/ok']).code, 0);
  for (let i = 0; i < 100 && health() !== 'healthy'; i++) await sleep(100);
  // event=health_status matches "health_status: ..." (moby's fuzzy match for it)
  const evs = eventsSince(since, ['--filter', 'container=hc1', '--filter', 'event=health_status']);
  assert.equal(evs.map((e) => e.Action), ['health_status: unhealthy', 'health_status: healthy']);
  // the exec is there too, with its command, its ID and its exit code
  const execs = eventsSince(since, ['--filter', 'container=hc1', '--filter', 'event=exec_die']);
  assert.ok(execs.some((e) => e.Actor.Attributes.exitCode === '0' && /^[0-9a-f]{64}$/.test(e.Actor.Attributes.execID)));
  const started = eventsSince(since, ['--filter', 'container=hc1', '--filter', 'event=exec_start']);
  assert.ok(started.some((e) => e.Action === 'exec_start: touch /tmp/ok'));
  // exec -d: its own monitor records exec_die for the container when the command ends
  const s2 = mark();
  assert.is(H(['exec', '-d', 'hc1', 'sh', '-c', 'sleep 0.3; exit 4']).code, 0);
  let died = [];
  for (let i = 0; i < 50 && died.length === 0; i++) {
    await sleep(100);
    died = eventsSince(s2, ['--filter', 'container=hc1', '--filter', 'event=exec_die']).filter((e) => e.Actor.Attributes.exitCode === '4');
  }
  assert.is(died.length, 1);
  const detachedStart = eventsSince(s2, ['--filter', 'container=hc1', '--filter', 'event=exec_start']).find((e) => e.Action === 'exec_start: sh -c sleep 0.3; exit 4');
  assert.ok(detachedStart, 'exec_start names the command');
  assert.is(died[0].Actor.Attributes.execID, detachedStart.Actor.Attributes.execID);
  assert.is(died[0].Actor.ID, detachedStart.Actor.ID);
  assert.is(H(['rm', '-f', 'hc1']).code, 0);
});

test('a stream sees what other commands do while it runs, and --until in the future ends it', async () => {
  const until = String(Math.floor(Date.now() / 1000) + 4);
  const stream = hxAsync(['events', '--until', until, '--filter', 'type=image'], { env });
  await sleep(1500);
  assert.is(H(['tag', 'bb', 'streamed:1']).code, 0);
  assert.is(H(['rmi', 'streamed:1']).code, 0);
  const r = await stream;
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 2, r.stdout);
  // docker's text: local time with nanoseconds, type, action, actor, sorted attributes
  assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) image tag sha256:[0-9a-f]{64} \(name=streamed:1\)$/);
  assert.match(lines[1], / image untag sha256:[0-9a-f]{64} \(name=sha256:[0-9a-f]{64}\)$/);
});

test('a stream without --until runs until interrupted, and ends with 0 on SIGINT', async () => {
  const child = spawn(hxBin, ['events', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}}'], { env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const closed = new Promise((r) => child.on('close', (code) => r(code)));
  await sleep(1500);
  assert.is(H(['volume', 'create', 'evvol']).code, 0);
  assert.is(H(['volume', 'rm', 'evvol']).code, 0);
  for (let i = 0; i < 50 && out.split('\n').length < 3; i++) await sleep(100);
  child.kill('SIGINT');
  assert.is(await closed, 0);
  assert.is(out, 'volume create evvol\nvolume destroy evvol\n');
});

test('filters: type, event, image, label; past events before now only with --since', () => {
  const since = mark();
  assert.is(H(['run', '--rm', '--network', 'none', '--label', 'k=v', 'bb', 'true']).code, 0);
  assert.is(H(['run', '--rm', '--network', 'none', 'bb', 'true']).code, 0);
  assert.is(H(['tag', 'bb', 'filtered:2']).code, 0);
  assert.is(H(['rmi', 'filtered:2']).code, 0);
  assert.is(eventsSince(since, ['--filter', 'event=die']).length, 2);
  assert.is(eventsSince(since, ['--filter', 'event=die', '--filter', 'label=k=v']).length, 1);
  assert.is(eventsSince(since, ['--filter', 'event=die', '--filter', 'event=start']).length, 4, 'values of one key OR');
  assert.is(eventsSince(since, ['--filter', 'type=image', '--filter', 'image=filtered:2']).length, 1, 'the tag event names the tag');
  assert.is(eventsSince(since, ['--filter', 'image=bb', '--filter', 'type=container']).length, 8, 'container events by their image');
  assert.is(eventsSince(since, ['--filter', 'type=network']).length, 0);
  const later = mark();
  assert.is(eventsSince(later).length, 0, 'nothing after the mark');
});

test('network events: create, connect and disconnect with the container, destroy', () => {
  const since = mark();
  assert.is(H(['network', 'create', 'evnet']).code, 0);
  assert.is(H(['run', '-d', '--name', 'nc1', '--network', 'none', 'bb', 'sleep', '30']).code, 0);
  const id = H(['inspect', '-f', '{{.Id}}', 'nc1']).stdout.trim();
  const c = H(['network', 'connect', 'evnet', 'nc1']);
  assert.is(c.code, 0, c.stderr);
  assert.is(H(['network', 'disconnect', 'evnet', 'nc1']).code, 0);
  assert.is(H(['rm', '-f', 'nc1']).code, 0);
  assert.is(H(['network', 'rm', 'evnet']).code, 0);
  const evs = eventsSince(since, ['--filter', 'type=network']);
  assert.equal(evs.map((e) => e.Action), ['create', 'connect', 'disconnect', 'destroy']);
  assert.ok(evs.every((e) => e.Actor.Attributes.name === 'evnet' && e.Actor.Attributes.type === 'bridge'));
  assert.is(evs[1].Actor.Attributes.container, id);
  assert.is(eventsSince(since, ['--filter', 'network=evnet']).length, 4, 'network= matches by name');
});

test('parallel writers: 8 runs at once, every line whole and in the log', async () => {
  const since = mark();
  const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => hxAsync(['run', '--rm', '--name', `par${i}`, '--network', 'none', 'bb', 'true'], { env })));
  for (const r of runs) assert.is(r.code, 0, r.stderr);
  const r = H(['events', '--since', since, '--until', mark(), '--filter', 'type=container']);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 32, r.stdout);
  for (let i = 0; i < 8; i++) assert.is(lines.filter((l) => l.includes(`name=par${i})`)).length, 4);
});

test('bad input: an unknown filter, a bad template, a bad time: docker messages, exit 1 or 64', () => {
  const f = H(['events', '--filter', 'colour=red', '--until', '0']);
  assert.is(f.code, 1);
  assert.match(f.stderr, /invalid filter 'colour'/);
  const t = H(['events', '--format', '{{.Nope}}', '--until', '0']);
  assert.is(t.code, 64, t.stderr);
  assert.match(t.stderr, /Error parsing format: template: :1:2: executing "" at <.Nope>: can.t evaluate field Nope in type events.Message/);
  const s = H(['events', '--since', 'yesterday-ish']);
  assert.is(s.code, 1);
  assert.match(s.stderr, /yesterday-ish/);
});

test.after(() => {
  H(['rm', '-f', ...H(['ps', '-aq']).stdout.split('\n').filter(Boolean)]);
  removeTree(work);
});

test.run();
