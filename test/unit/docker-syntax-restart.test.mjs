// --restart: docker CLI's ParseRestartPolicy, moby's ValidateRestartPolicy (messages from
// moby's own table test) and the restartmanager back-off.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  parseRestartPolicy, validateRestartPolicy, restartPolicy, checkAutoRemove, shouldRestart, RESTART_BACKOFF,
} from '../../dist/engine/docker-syntax/restart.js';

const p = (Name, MaximumRetryCount = 0) => ({ Name, MaximumRetryCount });
const fails = (fn, message) => {
  try {
    fn();
    assert.unreachable(message);
  } catch (e) {
    assert.is(e.message, message);
    assert.is(e.kind, 'invalid-argument');
  }
};

test('the CLI parses NAME[:COUNT] and checks only the format', () => {
  const cases = [
    ['no', p('no')], ['always', p('always')], ['unless-stopped', p('unless-stopped')], ['on-failure', p('on-failure')],
    ['on-failure:3', p('on-failure', 3)], ['on-failure:0', p('on-failure', 0)], ['on-failure:-1', p('on-failure', -1)],
    ['on-failure:+3', p('on-failure', 3)], ['on-failure:', p('on-failure')], ['bogus', p('bogus')], ['always:3', p('always', 3)], ['', p('')],
  ];
  for (const [v, want] of cases) assert.equal(parseRestartPolicy(v), want, v);
  for (const v of ['on-failure:x', 'on-failure:3:4', 'on-failure: 3']) {
    fails(() => parseRestartPolicy(v), 'invalid restart policy format: maximum retry count must be an integer');
  }
  fails(() => parseRestartPolicy(':3'), 'invalid restart policy format: no policy provided before colon');
});

test("the daemon's validation, case by case as moby's TestValidateRestartPolicy", () => {
  const ok = [p(''), p('', 123), p('', -123), p('always'), p('unless-stopped'), p('no'), p('on-failure'), p('on-failure', 123)];
  for (const v of ok) validateRestartPolicy(v);
  const only = "invalid restart policy: maximum retry count can only be used with 'on-failure'";
  for (const name of ['always', 'unless-stopped', 'no']) {
    fails(() => validateRestartPolicy(p(name, 123)), only);
    fails(() => validateRestartPolicy(p(name, -123)), `${only} and cannot be negative`);
  }
  fails(() => validateRestartPolicy(p('on-failure', -123)), 'invalid restart policy: maximum retry count cannot be negative');
  fails(() => restartPolicy('unknown'), "invalid restart policy: unknown policy 'unknown'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
  assert.equal(restartPolicy('on-failure:5'), p('on-failure', 5));
});

test('--rm conflicts with any policy but no', () => {
  checkAutoRemove(p('no'), true);
  checkAutoRemove(p(''), true);
  checkAutoRemove(p('always'), false);
  fails(() => checkAutoRemove(p('always'), true), 'conflicting options: cannot specify both --restart and --rm');
});

// Run a sequence of exits through the pure manager.
function run(policy, exits) {
  let state = { restartCount: 0, delayMs: 0 };
  const out = [];
  for (const exit of exits) {
    const d = shouldRestart(policy, state, { manuallyStopped: false, runMs: 0, ...exit });
    out.push(d.restart ? d.delayMs : false);
    state = d.next;
  }
  return { out, state };
}

test('back-off: 100 ms doubling to a 1 minute ceiling, reset after 10 s of running', () => {
  assert.equal(RESTART_BACKOFF, { initialMs: 100, multiplier: 2, maxMs: 60000, resetAfterMs: 10000 });
  const crash = { exitCode: 1 };
  const { out, state } = run(p('always'), Array(12).fill(crash));
  assert.equal(out, [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
  assert.is(state.restartCount, 12);
  const reset = run(p('always'), [crash, crash, crash, { exitCode: 1, runMs: 10000 }, crash, { exitCode: 0, runMs: 9999 }]);
  assert.equal(reset.out, [100, 200, 400, 100, 200, 400]);
});

test('which exits restart, per policy', () => {
  assert.equal(run(p('no'), [{ exitCode: 1 }]).out, [false]);
  assert.equal(run(p(''), [{ exitCode: 1 }]).out, [false]);
  assert.equal(run(p('always'), [{ exitCode: 0 }, { exitCode: 0, manuallyStopped: true }]).out, [100, 200]);
  assert.equal(run(p('unless-stopped'), [{ exitCode: 0 }, { exitCode: 1, manuallyStopped: true }]).out, [100, false]);
  // on-failure: non-zero only, at most MaximumRetryCount restarts (0 = no limit).
  assert.equal(run(p('on-failure'), [{ exitCode: 0 }]).out, [false]);
  assert.equal(run(p('on-failure', 2), [{ exitCode: 1 }, { exitCode: 1 }, { exitCode: 1 }]).out, [100, 200, false]);
  assert.equal(run(p('on-failure'), Array(5).fill({ exitCode: 137 })).out, [100, 200, 400, 800, 1600]);
  // A refused restart still advances the delay, as moby's manager does.
  const s = shouldRestart(p('on-failure'), { restartCount: 0, delayMs: 400 }, { exitCode: 0, manuallyStopped: false, runMs: 0 });
  assert.equal(s, { restart: false, delayMs: 800, next: { restartCount: 0, delayMs: 800 } });
});

test.run();
