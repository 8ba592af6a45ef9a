// Root-only: rootful mode, and a holder whose id maps went stale after the admin changed
// /etc/subuid (needs root to edit the file and to act as the test user).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hx, hxBin } from '../lib/hx.mjs';

const USER = 'hxtest';
// The test user may not be able to read this checkout (CI clones under /root): the runner
// passes a readable copy's launcher.
const userBin = process.env.HX_USER_BIN || hxBin;

function asUser(args, env) {
  const r = spawnSync('runuser', ['-u', USER, '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), userBin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('rootful: no holder, the host namespace, info says rootful', () => {
  const r = hx(['unshare', '--', 'readlink', '/proc/self/ns/user']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), readlinkSync('/proc/self/ns/user'));
  const info = JSON.parse(hx(['info', '--format', 'json']).stdout);
  assert.is(info.mode, 'rootful');
  assert.is(info.storage.root, process.env.HX_STORAGE_ROOT || '/var/lib/hx');
});

test('a holder with stale id maps is reported, and hx system migrate replaces it', () => {
  const runtime = mkdtempSync('/tmp/hx-root-rt-');
  chmodSync(runtime, 0o777);
  const env = { XDG_RUNTIME_DIR: '', HX_RUNTIME_DIR: join(runtime, 'hx'), HOME: `/home/${USER}`, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  const saved = { subuid: readFileSync('/etc/subuid', 'utf8'), subgid: readFileSync('/etc/subgid', 'utf8') };
  try {
    const first = asUser(['unshare', '--', 'cat', '/proc/self/uid_map'], env);
    assert.is(first.code, 0, first.stderr);
    assert.match(first.stdout, /\s1\s+200000\s+65536/);
    // The admin moves the range.
    for (const file of ['subuid', 'subgid']) {
      const text = saved[file].split('\n').map((l) => (l.startsWith(`${USER}:`) ? `${USER}:300000:65536` : l)).join('\n');
      writeFileSync(`/etc/${file}`, text);
    }
    const info = JSON.parse(asUser(['info', '--format', 'json'], env).stdout);
    assert.is(info.holder.state, 'alive');
    assert.is(info.holder.mapsCurrent, false);
    const p = info.problems.find((x) => /no longer match/.test(x.problem));
    assert.ok(p, JSON.stringify(info.problems));
    assert.is(p.fix, 'hx system migrate');
    const migrate = asUser(['system', 'migrate'], env);
    assert.is(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /stopped namespace holder/);
    const after = asUser(['unshare', '--', 'cat', '/proc/self/uid_map'], env);
    assert.match(after.stdout, /\s1\s+300000\s+65536/);
    assert.is(JSON.parse(asUser(['info', '--format', 'json'], env).stdout).holder.mapsCurrent, true);
  } finally {
    writeFileSync('/etc/subuid', saved.subuid);
    writeFileSync('/etc/subgid', saved.subgid);
    asUser(['system', 'migrate'], env);
    rmSync(runtime, { recursive: true, force: true });
  }
});

test('overlapping /etc/subuid lines: info names them and the fix, the holder maps each id once', () => {
  const runtime = mkdtempSync('/tmp/hx-root-rt-');
  chmodSync(runtime, 0o777);
  const env = { XDG_RUNTIME_DIR: '', HX_RUNTIME_DIR: join(runtime, 'hx'), HOME: `/home/${USER}`, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  const saved = { subuid: readFileSync('/etc/subuid', 'utf8'), subgid: readFileSync('/etc/subgid', 'utf8') };
  try {
    // A second line that overlaps the first by 35536 ids (as two usermod --add-subuids can leave).
    for (const file of ['subuid', 'subgid']) writeFileSync(`/etc/${file}`, saved[file].replace(/\n?$/, `\n${USER}:230000:65536\n`));
    const info = JSON.parse(asUser(['info', '--format', 'json'], env).stdout);
    const p = info.problems.find((x) => /\/etc\/subuid has overlapping ranges/.test(x.problem));
    assert.ok(p, JSON.stringify(info.problems));
    assert.match(p.problem, /200000:65536 and 230000:65536/);
    assert.match(p.fix, new RegExp(`${USER}:200000:95536`));
    const map = asUser(['unshare', '--', 'cat', '/proc/self/uid_map'], env);
    assert.is(map.code, 0, map.stderr);
    assert.match(map.stdout, /\s1\s+200000\s+65536\n/);
    assert.match(map.stdout, /\s65537\s+265536\s+30000\n/);
  } finally {
    writeFileSync('/etc/subuid', saved.subuid);
    writeFileSync('/etc/subgid', saved.subgid);
    asUser(['system', 'migrate'], env);
    rmSync(runtime, { recursive: true, force: true });
  }
});

test.run();
