// Go's time.ParseDuration / Duration.String, and docker's --since/--until (moby api/types/time).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDuration, formatDuration, SECOND, MINUTE, HOUR, MILLISECOND, MICROSECOND } from '../../dist/engine/docker-syntax/duration.js';
import { getTimestamp, parseTimestamps, goParseTime, timeReference } from '../../dist/engine/docker-syntax/timestamp.js';

test('ParseDuration accepts what Go accepts (cases from Go\'s parseDurationTests)', () => {
  const cases = [
    ['0', 0n], ['5s', 5n * SECOND], ['30s', 30n * SECOND], ['1478s', 1478n * SECOND], ['-5s', -5n * SECOND], ['+5s', 5n * SECOND],
    ['-0', 0n], ['+0', 0n], ['5.0s', 5n * SECOND], ['5.6s', 5n * SECOND + 600n * MILLISECOND], ['5.s', 5n * SECOND],
    ['.5s', 500n * MILLISECOND], ['1.0s', SECOND], ['1.00s', SECOND], ['1.004s', SECOND + 4n * MILLISECOND],
    ['100.00100s', 100n * SECOND + MILLISECOND], ['10ns', 10n], ['11us', 11n * MICROSECOND], ['12µs', 12n * MICROSECOND],
    ['12μs', 12n * MICROSECOND], ['13ms', 13n * MILLISECOND], ['14s', 14n * SECOND], ['15m', 15n * MINUTE], ['16h', 16n * HOUR],
    ['3h30m', 3n * HOUR + 30n * MINUTE], ['10.5s4m', 4n * MINUTE + 10n * SECOND + 500n * MILLISECOND],
    ['-2m3.4s', -(2n * MINUTE + 3n * SECOND + 400n * MILLISECOND)], ['1h2m3s4ms5us6ns', HOUR + 2n * MINUTE + 3n * SECOND + 4n * MILLISECOND + 5n * MICROSECOND + 6n],
    ['39h9m14.425s', 39n * HOUR + 9n * MINUTE + 14n * SECOND + 425n * MILLISECOND], ['52763797000ns', 52763797000n],
    ['0.3333333333333333333h', 20n * MINUTE], ['9007199254740993ns', (1n << 53n) + 1n], ['9223372036854775807ns', (1n << 63n) - 1n],
    ['9223372036854775.807us', (1n << 63n) - 1n], ['9223372036s854ms775us807ns', (1n << 63n) - 1n], ['-9223372036854775808ns', -(1n << 63n)],
    ['-9223372036854775.808us', -(1n << 63n)], ['0.100000000000000000000h', 6n * MINUTE],
    ['0.830103483285477580700h', 49n * MINUTE + 48n * SECOND + 372539827n], ['1.5h', 90n * MINUTE], ['300ms', 300n * MILLISECOND],
  ];
  for (const [v, want] of cases) assert.is(parseDuration(v), want, v);
});

test('ParseDuration refuses what Go refuses, with Go\'s messages', () => {
  const cases = [
    ['', 'time: invalid duration ""'], ['3', 'time: missing unit in duration "3"'], ['-', 'time: invalid duration "-"'],
    ['s', 'time: invalid duration "s"'], ['.', 'time: invalid duration "."'], ['-.', 'time: invalid duration "-."'],
    ['.s', 'time: invalid duration ".s"'], ['+.s', 'time: invalid duration "+.s"'], ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['\x85\x85', 'time: invalid duration "\\xc2\\x85\\xc2\\x85"'], ['\xffff', 'time: invalid duration "\\xc3\\xbfff"'],
    ['hello \xffff world', 'time: invalid duration "hello \\xc3\\xbfff world"'], ['x', 'time: invalid duration "x"'],
    ['9223372036854775810ns', 'time: invalid duration "9223372036854775810ns"'], ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['-9223372036854775809ns', 'time: invalid duration "-9223372036854775809ns"'], ['9223372036854776us', 'time: invalid duration "9223372036854776us"'],
    ['3000000h', 'time: invalid duration "3000000h"'], ['9223372036854775.808us', 'time: invalid duration "9223372036854775.808us"'],
    ['1µx', 'time: unknown unit "\\xc2\\xb5x" in duration "1\\xc2\\xb5x"'], ['1 s', 'time: unknown unit " s" in duration "1 s"'],
  ];
  for (const [v, message] of cases) assert.throws(() => parseDuration(v), (e) => e.message === message && e.kind === 'invalid-argument', JSON.stringify(v));
});

test('Duration.String as Go prints it', () => {
  const cases = [
    [0n, '0s'], [1n, '1ns'], [1100n, '1.1µs'], [2200n * MICROSECOND, '2.2ms'], [3300n * MILLISECOND, '3.3s'],
    [4n * MINUTE + 5n * SECOND, '4m5s'], [4n * MINUTE + 5001n * MILLISECOND, '4m5.001s'], [5n * HOUR + 6n * MINUTE + 7001n * MILLISECOND, '5h6m7.001s'],
    [8n * MINUTE + 1n, '8m0.000000001s'], [(1n << 63n) - 1n, '2562047h47m16.854775807s'], [-(1n << 63n), '-2562047h47m16.854775808s'],
    [90n * MINUTE, '1h30m0s'], [-SECOND, '-1s'], [300n * MILLISECOND, '300ms'],
  ];
  for (const [d, want] of cases) assert.is(formatDuration(d), want, want);
  for (const s of ['1h30m0s', '1.5s', '2.25ms', '-3m0.5s']) assert.is(formatDuration(parseDuration(s)), s);
});

// 2024-01-02T10:00:00Z, and a reference zone two hours east of UTC.
const NOW = { unixNano: 1704189600_123456789n, zoneOffsetSeconds: 7200 };

test('getTimestamp: durations count back from the reference', () => {
  assert.is(getTimestamp('10m', NOW), '1704189000');
  assert.is(getTimestamp('1h30m', NOW), '1704184200');
  assert.is(getTimestamp('1.5h', NOW), '1704184200');
  assert.is(getTimestamp('-5m', NOW), '1704189900');
  assert.is(getTimestamp('0s', NOW), '1704189600');
  // "0" is not taken as a duration: it is Unix time 0.
  assert.is(getTimestamp('0', NOW), '0');
});

test('getTimestamp: RFC 3339 with and without a zone, dates, Unix seconds', () => {
  const cases = [
    ['2024-01-02T10:00:00Z', '1704189600.000000000'],
    ['2024-01-02T10:00:00+02:00', '1704182400.000000000'],
    ['2024-01-02T10:00:00-07:00', '1704214800.000000000'],
    ['2024-01-02T10:30+01:00', '1704187800.000000000'],
    ['2024-01-02T10Z', '1704189600.000000000'],
    ['2024-01-02T10:00:00.123456789Z', '1704189600.123456789'],
    ['2024-01-02T10:00:00.5+02:00', '1704182400.500000000'],
    ['2024-01-02Z', '1704153600.000000000'],
    ['2024-01-02-07:00', '1704178800.000000000'],
    // No zone: read in the reference's offset (UTC+2), so two hours earlier than Z.
    ['2024-01-02T10:00:00', '1704182400.000000000'],
    ['2024-01-02T10:00', '1704182400.000000000'],
    ['2024-01-02T10', '1704182400.000000000'],
    ['2024-01-02T10:00:00.5', '1704182400.500000000'],
    ['2024-01-02T10:00:00,25', '1704182400.250000000'],
    ['2024-01-02', '1704146400.000000000'],
    ['2000-02-29', '951775200.000000000'],
    ['1969-12-31T23:59:59Z', '-1.000000000'],
    ['1700000000', '1700000000'],
    ['1700000000.5', '1700000000.5'],
    ['+5', '+5'],
  ];
  for (const [v, want] of cases) assert.is(getTimestamp(v, NOW), want, v);
});

test("getTimestamp: docker's errors (Go's time.Parse messages)", () => {
  const cases = [
    ['bad', 'failed to parse value as time or duration: "bad"'],
    ['12:00', 'failed to parse value as time or duration: "12:00"'],
    ['z', 'failed to parse value as time or duration: "z"'],
    ['1700000000.abc', 'failed to parse value as time or duration: "1700000000.abc"'],
    ['2024-13-01', 'parsing time "2024-13-01": month out of range'],
    ['2024-01-02T25:00', 'parsing time "2024-01-02T25:00": hour out of range'],
    ['2024-1-2', 'parsing time "2024-1-2" as "2006-01-02": cannot parse "1-2" as "01"'],
    ['2024-01-02x', 'parsing time "2024-01-02x": extra text: "x"'],
    ['2024-02-30', 'parsing time "2024-02-30": day out of range'],
    ['2023-02-29', 'parsing time "2023-02-29": day out of range'],
    ['2024-01-02T10:00:00-0700', 'parsing time "2024-01-02T10:00:00-0700" as "2006-01-02T15:04Z07:00": cannot parse ":00-0700" as "Z07:00"'],
    ['2024-01-02T10:60', 'parsing time "2024-01-02T10:60": minute out of range'],
    ['2024-01-02T10:00:61', 'parsing time "2024-01-02T10:00:61": second out of range'],
    ['2024-01-02T10:00:00z', 'parsing time "2024-01-02T10:00:00z" as "2006-01-02T15:04:05Z07:00": cannot parse "z" as "Z07:00"'],
    ['20x4-01-02', 'parsing time "20x4-01-02" as "2006-01-02": cannot parse "20x4-01-02" as "2006"'],
    ['2024-01-02 10:00', 'parsing time "2024-01-02 10:00": extra text: " 10:00"'],
    ['2024-01-02T10:00:00+25:00', 'parsing time "2024-01-02T10:00:00+25:00": time zone offset hour out of range'],
    ['2024-01-02T10:00:00+02:61', 'parsing time "2024-01-02T10:00:00+02:61": time zone offset minute out of range'],
    ['1.5e3', 'failed to parse value as time or duration: "1.5e3"'],
    ['-1', 'parsing time "-1" as "2006-01-02": cannot parse "-1" as "2006"'],
  ];
  for (const [v, message] of cases) assert.throws(() => getTimestamp(v, NOW), (e) => e.message === message && e.kind === 'invalid-argument', v);
});

test("the daemon's ParseTimestamps", () => {
  assert.equal(parseTimestamps('', 42n), { sec: 42n, nsec: 0 });
  assert.equal(parseTimestamps('1700000000', 0n), { sec: 1700000000n, nsec: 0 });
  assert.equal(parseTimestamps('1700000000.5', 0n), { sec: 1700000000n, nsec: 500000000 });
  assert.equal(parseTimestamps('1704189600.123456789', 0n), { sec: 1704189600n, nsec: 123456789 });
  assert.equal(parseTimestamps('1.1234567891', 0n), { sec: 1n, nsec: 123456789 });
  assert.throws(() => parseTimestamps('x', 0n), (e) => e.message === 'strconv.ParseInt: parsing "x": invalid syntax');
  assert.throws(() => parseTimestamps('1.x', 0n), (e) => e.message === 'strconv.ParseInt: parsing "x": invalid syntax');
});

test('goParseTime reads fractions the layout lacks, and timeReference takes a Date', () => {
  assert.equal(goParseTime('2006-01-02T15:04:05Z07:00', '2024-01-02T10:00:00.25Z'), { sec: 1704189600n, nsec: 250000000 });
  assert.equal(timeReference(new Date(1704189600123)).unixNano, 1704189600123000000n);
});

test.run();
