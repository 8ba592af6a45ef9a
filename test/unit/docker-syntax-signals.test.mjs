// Signals: moby/sys/signal SignalMap (Linux) and ParseSignal, moby's kill check.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSignal, signalName, signalMap, validSignalForPlatform, killSignal, SIGRTMIN, SIGRTMAX } from '../../dist/engine/docker-syntax/signals.js';

test('names with or without SIG, any case, and numbers', () => {
  const cases = [
    ['SIGTERM', 15], ['TERM', 15], ['term', 15], ['SigKill', 9], ['15', 15], ['9', 9], ['+15', 15], ['015', 15],
    ['SIGRTMIN+3', 37], ['RTMIN+3', 37], ['rtmin', 34], ['RTMAX', 64], ['RTMAX-1', 63], ['RTMAX-14', 50], ['RTMIN+15', 49],
    ['SIGHUP', 1], ['INT', 2], ['QUIT', 3], ['ILL', 4], ['TRAP', 5], ['ABRT', 6], ['IOT', 6], ['BUS', 7], ['FPE', 8], ['USR1', 10],
    ['SEGV', 11], ['USR2', 12], ['PIPE', 13], ['ALRM', 14], ['STKFLT', 16], ['CHLD', 17], ['CLD', 17], ['CONT', 18], ['STOP', 19],
    ['TSTP', 20], ['TTIN', 21], ['TTOU', 22], ['URG', 23], ['XCPU', 24], ['XFSZ', 25], ['VTALRM', 26], ['PROF', 27], ['WINCH', 28],
    ['IO', 29], ['POLL', 29], ['PWR', 30], ['SYS', 31],
    // moby does not range-check numbers in ParseSignal (the kill path does, below).
    ['99', 99], ['-1', -1],
  ];
  for (const [raw, n] of cases) {
    assert.is(parseSignal(raw), n, raw);
    assert.is(parseSignal(raw, 'aarch64'), n, `${raw} on aarch64`);
  }
});

test('bad signals: "invalid signal: X"', () => {
  for (const raw of ['0', '', 'SIG', 'FOO', 'SIGFOO', 'RTMIN+16', 'RTMAX-15', ' TERM', 'TERM ', 'SIGSIGTERM', 'UNUSED', '1.5']) {
    assert.throws(() => parseSignal(raw), (e) => e.message === `invalid signal: ${raw}` && e.kind === 'invalid-argument', raw);
  }
});

test('the table has 34 names plus 31 real-time ones, numbered 1-31 and 34-64', () => {
  const m = signalMap('x86_64');
  assert.is(m.size, 34 + 31);
  assert.equal(signalMap('aarch64'), m);
  const numbers = new Set(m.values());
  for (let n = 1; n <= 64; n++) assert.is(numbers.has(n), n !== 32 && n !== 33, String(n));
  assert.equal([SIGRTMIN, SIGRTMAX], [34, 64]);
});

test('the name of a number prefers ABRT, CHLD and IO over their aliases', () => {
  const cases = [[15, 'SIGTERM'], [9, 'SIGKILL'], [6, 'SIGABRT'], [17, 'SIGCHLD'], [29, 'SIGIO'], [34, 'SIGRTMIN'], [37, 'SIGRTMIN+3'],
    [49, 'SIGRTMIN+15'], [50, 'SIGRTMAX-14'], [63, 'SIGRTMAX-1'], [64, 'SIGRTMAX'], [32, undefined], [0, undefined], [65, undefined]];
  for (const [n, name] of cases) assert.is(signalName(n), name, String(n));
  for (const [name, n] of signalMap()) assert.is(parseSignal(signalName(n)), n, name);
});

test("docker kill's check: a number outside the table is refused", () => {
  assert.is(killSignal('SIGUSR1'), 10);
  assert.is(killSignal('64'), 64);
  assert.is(validSignalForPlatform(32), false);
  assert.throws(() => killSignal('99'), (e) => e.message === 'the linux daemon does not support signal 99');
  assert.throws(() => killSignal('33'), (e) => e.message === 'the linux daemon does not support signal 33');
  assert.throws(() => killSignal('0'), (e) => e.message === 'invalid signal: 0');
});

test.run();
