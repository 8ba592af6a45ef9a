// Issue 2: a user with no subordinate range still gets a namespace, with a single-id map
// and a one-line warning per command.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { hx, tempDir } from '../lib/hx.mjs';

const uid = process.getuid();
const gid = process.getgid();
const runtime = tempDir('hx-rt-');
const env = { XDG_RUNTIME_DIR: runtime, HX_STORAGE_ROOT: join(runtime, 'store') };

test('single-uid and single-gid maps, uid 0 inside', () => {
  const r = hx(['unshare', '--', 'sh', '-c', 'id -u; cat /proc/self/uid_map /proc/self/gid_map'], { env });
  assert.is(r.code, 0, r.stderr);
  const [id, ...maps] = r.stdout.trim().split('\n');
  assert.is(id, '0');
  assert.equal(maps.map((l) => l.trim().split(/\s+/).map(Number)), [[0, uid, 1], [0, gid, 1]]);
});

test('the warning comes once per command and says how to add a range', () => {
  for (let i = 0; i < 2; i++) {
    const r = hx(['unshare', '--', 'true'], { env });
    assert.is(r.code, 0, r.stderr);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('warning'));
    assert.is(warnings.length, 1, r.stderr);
    assert.match(warnings[0], /no subordinate id range/);
    assert.match(warnings[0], /usermod --add-subuids/);
  }
});

test('hx info reports single-id mode with the fix', () => {
  const info = JSON.parse(hx(['info', '--format', 'json'], { env }).stdout);
  assert.is(info.idMapping.singleId, true);
  assert.equal(info.idMapping.subuid, []);
  const p = info.problems.find((x) => x.area === 'idmap' && /no subordinate id range/.test(x.problem));
  assert.ok(p);
  assert.match(p.fix, /usermod --add-subuids/);
});

test.after(() => {
  hx(['system', 'migrate'], { env });
  rmSync(runtime, { recursive: true, force: true });
});

test.run();
