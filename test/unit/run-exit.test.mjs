// docker's exit codes: status, 128+signal, 127 / 126 / 125 for start failures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLD, exitCodeOf, startFailure, STEPS } from '../../dist/runtime/exit.js';

const step = (name) => STEPS.indexOf(name) + 1;

test('exit status and signals', () => {
  assert.is(exitCodeOf(CLD.EXITED, 0), 0);
  assert.is(exitCodeOf(CLD.EXITED, 7), 7);
  assert.is(exitCodeOf(CLD.KILLED, 9), 137);
  assert.is(exitCodeOf(CLD.DUMPED, 11), 139);
  assert.is(exitCodeOf(CLD.KILLED, 2), 130);
});

test('command lookup failures: 127 not found (docker wording), 126 not executable', () => {
  const nf = startFailure(step('look up the command'), 2, 'nosuch', 'nosuch');
  assert.is(nf.exitCode, 127);
  assert.is(nf.message, 'exec: "nosuch": executable file not found in $PATH');
  const abs = startFailure(step('look up the command'), 2, '/no/such', '/no/such');
  assert.is(abs.exitCode, 127);
  assert.match(abs.message, /stat \/no\/such: no such file or directory/);
  const denied = startFailure(step('look up the command'), 13, '/etc/passwd', '/etc/passwd');
  assert.is(denied.exitCode, 126);
  assert.match(denied.message, /permission denied/);
});

test('execve failures: ENOENT (missing interpreter) 127, EACCES/ENOEXEC 126', () => {
  assert.is(startFailure(step('execute the command'), 2, '/script', '/script').exitCode, 127);
  assert.is(startFailure(step('execute the command'), 13, '/x', '/x').exitCode, 126);
  const fmt = startFailure(step('execute the command'), 8, '/x', '/x');
  assert.is(fmt.exitCode, 126);
  assert.match(fmt.message, /exec format error/);
});

test('setup failures are 125 and name the step', () => {
  const m = startFailure(step('mount'), 1, '/data', 'sh');
  assert.is(m.exitCode, 125);
  assert.is(m.message, 'container setup failed: mount /data: operation not permitted');
  const u = startFailure(step('setuid'), 22, '', 'sh');
  assert.is(u.exitCode, 125);
  assert.match(u.hint, /not mapped/);
  assert.match(startFailure(99, 5, '', 'sh').message, /step 99: EIO/);
});

test('an unmapped --user: the hint names the id and the map\'s real extent; the single-id hint only for a single-id map', () => {
  const full = { uidMap: [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 200000, count: 65536 }], gidMap: [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 200000, count: 65536 }] };
  const uid = startFailure(step('setuid'), 22, '', 'sh', { uid: 200000, gid: 0, groups: [0], ...full });
  assert.is(uid.exitCode, 125);
  assert.is(uid.message, 'container setup failed: setuid: invalid argument');
  assert.match(uid.hint, /^uid 200000 is not mapped in the user namespace, which maps uids 0-65536: /);
  assert.not.match(uid.hint, /single-id/);
  const gid = startFailure(step('setgid'), 22, '', 'sh', { uid: 0, gid: 70000, groups: [70000], ...full });
  assert.match(gid.hint, /^gid 70000 is not mapped in the user namespace, which maps gids 0-65536: .*\/etc\/subgid/);
  const groups = startFailure(step('setgroups'), 22, '', 'sh', { uid: 0, gid: 0, groups: [0, 5, 99999], ...full });
  assert.match(groups.hint, /^gid 99999 is not mapped/);
  const single = [{ inside: 0, outside: 1001, count: 1 }];
  const one = startFailure(step('setgid'), 22, '', 'sh', { uid: 1000, gid: 1000, groups: [1000], uidMap: single, gidMap: single });
  assert.match(one.hint, /not mapped.*single-id mapping only root \(0\)/);
  // Mapped ids that still fail: no claim about the map; no maps known: a plain statement.
  assert.is(startFailure(step('setuid'), 1, '', 'sh', { uid: 5, gid: 0, groups: [0], ...full }).hint, undefined);
  assert.is(startFailure(step('setuid'), 22, '', 'sh', { uid: 5, gid: 0, groups: [0] }).hint, 'the user or group id is not mapped in the user namespace');
});

test.run();
