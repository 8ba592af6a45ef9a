// The store's event log: lines in moby's Message shape with an exact int64 timeNano, a
// reader that returns only whole lines (a torn or half-written one waits; a multi-byte
// character split between reads survives), rotation past 4 MiB followed without loss or
// repeat, and moby's filter semantics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, EventReader, eventLine, parseEventLine } from '../../dist/store/events.js';
import { eventMatches } from '../../dist/engine/system/events.js';
import { Filters } from '../../dist/engine/filters.js';

const dir = mkdtempSync(join(tmpdir(), 'hx-events-unit-'));
const ev = (action, attrs = {}, type = 'container', id = 'c'.repeat(64)) => ({ Type: type, Action: action, Actor: { ID: id, Attributes: attrs } });

test('a line keeps timeNano exactly and has moby\'s legacy fields for containers', () => {
  const nano = 1764648000123456789n;
  const line = eventLine(ev('die', { image: 'bb', name: 'x', exitCode: '1' }), nano);
  assert.ok(line.endsWith('}\n'));
  const e = parseEventLine(line.trimEnd());
  assert.is(e.timeNano, nano);
  assert.is(e.time, 1764648000);
  assert.is(e.status, 'die');
  assert.is(e.from, 'bb');
  const img = parseEventLine(eventLine(ev('tag', { name: 'a:1' }, 'image', 'sha256:' + 'a'.repeat(64)), nano).trimEnd());
  assert.is(img.from, undefined, 'no from for images');
  const vol = parseEventLine(eventLine(ev('create', { driver: 'local' }, 'volume', 'v'), nano).trimEnd());
  assert.is(vol.status, undefined, 'no legacy fields for volumes');
  assert.is(parseEventLine('{"Type":"container","Action":"x"'), undefined, 'a torn line is not an event');
  assert.is(parseEventLine('garbage'), undefined);
});

test('a reader returns whole lines only, and characters split between reads', () => {
  const path = join(dir, 'torn.jsonl');
  const line = eventLine(ev('start', { name: 'ünïcödé' }));
  const bytes = Buffer.from(line);
  const cut = bytes.indexOf(Buffer.from('ü')) + 1; // inside the two bytes of ü
  appendFileSync(path, bytes.subarray(0, cut));
  const r = new EventReader(path);
  assert.equal(r.read(), []);
  appendFileSync(path, bytes.subarray(cut));
  const got = r.read();
  assert.is(got.length, 1);
  assert.is(got[0].Actor.Attributes.name, 'ünïcödé');
  assert.equal(r.read(), [], 'nothing twice');
  r.close();
});

test('rotation past 4 MiB: a follower sees every event once, across the rename', () => {
  mkdirSync(join(dir, 'rot'));
  const log = new EventLog(join(dir, 'rot'));
  const r = new EventReader(log.path);
  const pad = 'p'.repeat(900);
  let seen = 0;
  const n = 6000; // ~6 MiB: one rotation
  for (let i = 0; i < n; i++) {
    log.append(ev('start', { name: `n${i}`, pad }));
    if (i % 500 === 0) seen += r.read().length;
  }
  seen += r.read().length;
  assert.ok(existsSync(log.rotatedPath), 'rotated');
  assert.ok(statSync(log.path).size < 4 << 20);
  assert.is(seen, n);
  r.close();
});

test('moby\'s filters: container by name or ID prefix, fuzzy event for health_status, image by tag-less name, labels', () => {
  const f = (...kv) => Filters.fromFlags(kv);
  const die = { ...ev('die', { name: 'web', image: 'busybox:latest', team: 'a' }), scope: 'local', time: 0, timeNano: 0n };
  const health = { ...ev('health_status: healthy', { name: 'web', image: 'busybox' }), scope: 'local', time: 0, timeNano: 0n };
  const tag = { ...ev('tag', { name: 'app:1' }, 'image', 'sha256:' + 'b'.repeat(64)), scope: 'local', time: 0, timeNano: 0n };
  assert.ok(eventMatches(f('container=web'), die));
  assert.ok(eventMatches(f('container=cccc'), die), 'an ID prefix');
  assert.not.ok(eventMatches(f('container=web'), tag), 'a container filter drops image events');
  assert.ok(eventMatches(f('event=health_status'), health));
  assert.not.ok(eventMatches(f('event=health'), health));
  assert.ok(eventMatches(f('event=die', 'event=start'), die));
  assert.ok(eventMatches(f('image=busybox'), die), 'busybox matches busybox:latest');
  assert.ok(eventMatches(f('image=app:1'), tag));
  assert.ok(eventMatches(f('label=team=a'), die));
  assert.not.ok(eventMatches(f('label=team=b'), die));
  assert.ok(eventMatches(f('type=image'), tag));
  assert.not.ok(eventMatches(f('type=image'), die));
  assert.not.ok(eventMatches(f('daemon=x'), die), 'hx has no daemon events');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
