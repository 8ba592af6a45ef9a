// docker's --filter and the Engine API's filters (src/engine/filters.ts), Go's path.Match
// (path-match.ts) and moby's timestamps (go-time.ts). Sources of the expectations:
//   [opts]     docker/cli opts/opts.go FilterOpt.Set, wrapped by pflag ("invalid argument %q for %q flag: %v")
//   [filters]  moby api/types/filters parse.go and errors.go (invalidFilter), parse_test.go
//   [prune]    moby daemon/images/image_prune.go (label and label!), images.go (before/since, reference)
//   [match]    Go src/path/match_test.go (the table below is Go's)
//   [time]     moby api/types/time/timestamp_test.go; Go time.ParseDuration's errors
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Filters, invalidFilter, matchLabels, matchReference, createdBound, createdWithin, untilTime } from '../../dist/engine/filters.js';
import { pathMatch, BadPatternError } from '../../dist/engine/path-match.js';
import { parseGoDuration as parseGoDurationBig } from '../../dist/go/duration.js';
import { getTimestamp, parseTimestamps, timeReference } from '../../dist/engine/docker-syntax/timestamp.js';

// moby's two halves (the client's GetTimestamp, the daemon's ParseTimestamps) as one
const parseTimestamp = (value, now) => {
  const t = parseTimestamps(getTimestamp(value, timeReference(now)), 0n);
  return { seconds: Number(t.sec), nanos: t.nsec };
};
const parseGoDuration = (text) => Number(parseGoDurationBig(text));

test('--filter values: names lower-cased and trimmed, values trimmed, repeated keys collect [opts]', () => {
  const f = Filters.fromFlags([' Dangling = true ', 'label=a=b', 'label=c', 'LABEL=c', '']);
  assert.equal(f.keys().sort(), ['dangling', 'label']);
  assert.equal(f.get('label'), ['a=b', 'c']); // a set: c once
  assert.equal(f.get('dangling'), ['true']);
  assert.equal(f.get('nope'), []);
  assert.is(f.toJSON(), '{"dangling":{"true":true},"label":{"a=b":true,"c":true}}');
  assert.is(new Filters().toJSON(), '');
});

test('a value without "=" is docker\'s flag error, with the flag as the command spells it [opts]', () => {
  assert.throws(() => Filters.fromFlags(['dangling']), (e) =>
    e.message === 'invalid argument "dangling" for "-f, --filter" flag: bad format of filter (expected name=value)' && e.kind === 'invalid-argument' && e.exitCode === 125);
  assert.throws(() => Filters.fromFlags(['x'], '--filter'), (e) => e.message === 'invalid argument "x" for "--filter" flag: bad format of filter (expected name=value)');
});

test('unknown keys and bad booleans are moby\'s invalidFilter errors [filters errors.go]', () => {
  assert.throws(() => Filters.fromFlags(['foo=1']).validate(['dangling', 'label']), (e) => e.message === "invalid filter 'foo'" && e.exitCode === 1);
  Filters.fromFlags(['label=x']).validate(['dangling', 'label']); // accepted
  assert.throws(() => Filters.fromFlags(['dangling=maybe']).getBool('dangling', false), (e) => e.message === "invalid filter 'dangling=[maybe]'");
  assert.throws(() => Filters.fromFlags(['dangling=true', 'dangling=false']).getBool('dangling', false), (e) => e.message === "invalid filter 'dangling=[true false]'");
  assert.is(invalidFilter().message, 'invalid filter');
});

test('booleans: true/1 and false/0, the default when not given [filters GetBoolOrDefault]', () => {
  for (const [v, want] of [['true', true], ['1', true], ['false', false], ['0', false]]) assert.is(Filters.fromFlags([`dangling=${v}`]).getBool('dangling', !want), want, v);
  assert.is(new Filters().getBool('dangling', true), true);
  assert.is(Filters.fromFlags(['dangling=1', 'dangling=true']).getBool('dangling', false), true); // agreeing values are fine
});

test('the API form: map of booleans and the legacy list; anything else is "invalid filter" [filters FromJSON, parse_test.go]', () => {
  const a = Filters.fromJSON('{"dangling":{"true":true},"label":{"a=b":true}}');
  assert.is(a.getBool('dangling', false), true);
  assert.equal(a.get('label'), ['a=b']);
  const legacy = Filters.fromJSON('{"dangling":["true"],"label":["x","y"]}');
  assert.equal(legacy.get('label'), ['x', 'y']);
  assert.is(Filters.fromJSON('').size, 0);
  assert.is(Filters.fromJSON(undefined).size, 0);
  assert.is(Filters.fromJSON('{}').size, 0);
  for (const bad of ['{"dangling":{"true":"yes"}}', '["a"]', '{"a":1}', 'not json', '{"a":{"x":true},"b":["y"]}']) {
    assert.throws(() => Filters.fromJSON(bad), (e) => e.message === 'invalid filter', bad);
  }
  // a false in the map is a value that does not match
  assert.is(Filters.fromJSON('{"status":{"running":false}}').exactMatch('status', 'running'), false);
});

test('matchers: exact, unique, prefix (ids), regexp (names); an absent key matches all [filters]', () => {
  const f = Filters.fromFlags(['id=abc', 'name=^web-[0-9]+$', 'status=running', 'status=paused']);
  assert.ok(f.exactMatch('status', 'paused'));
  assert.not.ok(f.exactMatch('status', 'exited'));
  assert.ok(f.exactMatch('nope', 'anything'));
  assert.not.ok(f.uniqueExactMatch('status', 'running')); // two values
  assert.ok(f.uniqueExactMatch('id', 'abc'));
  assert.ok(f.fuzzyMatch('id', 'abcdef0123'));
  assert.not.ok(f.fuzzyMatch('id', 'xabc'));
  assert.ok(f.match('name', 'web-12'));
  assert.not.ok(f.match('name', 'db-1'));
  assert.not.ok(Filters.fromFlags(['name=(']).match('name', 'x')); // a pattern that does not compile matches nothing
});

test('labels: every `label` must be present (and equal when k=v); values AND [filters MatchKVList]', () => {
  const labels = { app: 'web', tier: 'front', empty: '' };
  assert.ok(Filters.fromFlags(['label=app']).matchKVList('label', labels));
  assert.ok(Filters.fromFlags(['label=app=web', 'label=tier']).matchKVList('label', labels));
  assert.not.ok(Filters.fromFlags(['label=app=web', 'label=missing']).matchKVList('label', labels));
  assert.not.ok(Filters.fromFlags(['label=app=db']).matchKVList('label', labels));
  assert.ok(Filters.fromFlags(['label=empty=']).matchKVList('label', labels));
  assert.ok(Filters.fromFlags(['label=app=web']).matchKVList('label', new Map(Object.entries(labels))));
  assert.not.ok(Filters.fromFlags(['label=app']).matchKVList('label', {})); // no labels: no match
  assert.ok(new Filters().matchKVList('label', null)); // no filter: match
  assert.ok(Filters.fromFlags(['label=a=b=c']).matchKVList('label', { a: 'b=c' })); // split at the first "="
});

test('label! excludes, as docker prune matches it; with several, only objects with all of them [prune matchLabels]', () => {
  const web = { app: 'web', keep: 'yes' };
  const db = { app: 'db' };
  const f = Filters.fromFlags(['label!=keep']);
  assert.not.ok(matchLabels(f, web));
  assert.ok(matchLabels(f, db));
  const both = Filters.fromFlags(['label=app', 'label!=keep=yes']);
  assert.not.ok(matchLabels(both, web));
  assert.ok(matchLabels(both, db));
  const two = Filters.fromFlags(['label!=keep', 'label!=other']);
  assert.ok(matchLabels(two, web)); // web has keep but not other: not excluded (moby's quirk)
  assert.not.ok(matchLabels(two, { keep: '1', other: '1' }));
});

test('reference: a glob on the familiar name with its tag, then without [images.go, distribution FamiliarMatch]', () => {
  const f = Filters.fromFlags(['reference=alp*']);
  assert.ok(matchReference(f, 'alpine:3.20', 'alpine'));
  assert.not.ok(matchReference(f, 'busybox:1', 'busybox'));
  assert.ok(matchReference(Filters.fromFlags(['reference=alpine']), 'alpine:3.20', 'alpine')); // without the tag
  assert.ok(matchReference(Filters.fromFlags(['reference=*:3.20']), 'alpine:3.20', 'alpine'));
  assert.not.ok(matchReference(Filters.fromFlags(['reference=*']), 'user/app:1', 'user/app')); // * stops at /
  assert.ok(matchReference(Filters.fromFlags(['reference=*/*']), 'user/app:1', 'user/app'));
  assert.ok(matchReference(Filters.fromFlags(['reference=nope', 'reference=user/*']), 'user/app:1', 'user/app')); // values OR
  assert.ok(matchReference(new Filters(), 'x', 'x'));
  assert.throws(() => matchReference(Filters.fromFlags(['reference=[']), 'a', 'a'), (e) => e instanceof BadPatternError && e.message === 'syntax error in pattern');
});

const MATCH_TESTS = [
  ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'abc', true], ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true], ['a*/b', 'a/c/b', false], ['a*b*c*d*e*/f', 'axbxcxdxe/f', true], ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false], ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false], ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false], ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false], ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false], ['ab[^e-g]', 'abc', true], ['a\\*b', 'a*b', true], ['a\\*b', 'ab', false], ['a?b', 'a☺b', true], ['a[^a]b', 'a☺b', true],
  ['a???b', 'a☺b', false], ['a[^a][^a][^a]b', 'a☺b', false], ['[a-ζ]*', 'α', true], ['*[a-ζ]', 'A', false], ['a?b', 'a/b', false], ['a*b', 'a/b', false],
  ['[\\]a]', ']', true], ['[\\-]', '-', true], ['[x\\-]', 'x', true], ['[x\\-]', '-', true], ['[x\\-]', 'z', false], ['[\\-x]', 'x', true],
  ['[\\-x]', '-', true], ['[\\-x]', 'a', false], ['[]a]', ']', 'bad'], ['[-]', '-', 'bad'], ['[x-]', 'x', 'bad'], ['[x-]', '-', 'bad'], ['[x-]', 'z', 'bad'],
  ['[-x]', 'x', 'bad'], ['[-x]', '-', 'bad'], ['[-x]', 'a', 'bad'], ['\\', 'a', 'bad'], ['[a-b-c]', 'a', 'bad'], ['[', 'a', 'bad'], ['[^', 'a', 'bad'],
  ['[^bc', 'a', 'bad'], ['a[', 'a', 'bad'], ['a[', 'ab', 'bad'], ['a[', 'x', 'bad'], ['a/b[', 'x', 'bad'], ['*x', 'xxx', true],
];

test("Go's path.Match table [match]", () => {
  for (const [pattern, name, want] of MATCH_TESTS) {
    if (want === 'bad') assert.throws(() => pathMatch(pattern, name), (e) => e instanceof BadPatternError, `${pattern} ${name}`);
    else assert.is(pathMatch(pattern, name), want, `${pattern} ${name}`);
  }
});

test('before and since: resolved by the caller; several values AND (oldest before, newest since) [images.go]', () => {
  const created = { a: new Date('2024-01-01'), b: new Date('2024-02-01'), c: new Date('2024-03-01') };
  const f = Filters.fromFlags(['before=c', 'before=b', 'since=a']);
  const resolve = (ref) => created[ref];
  const bounds = { before: createdBound(f, 'before', resolve), since: createdBound(f, 'since', resolve) };
  assert.equal(bounds.before, created.b);
  assert.ok(createdWithin(new Date('2024-01-15'), bounds));
  assert.not.ok(createdWithin(created.b, bounds)); // strictly before
  assert.not.ok(createdWithin(created.a, bounds)); // strictly after
  assert.is(createdBound(new Filters(), 'since', resolve), undefined);
});

test('until: a Go duration back from now, a timestamp, or Unix seconds; one value only [prune getUntilFromPruneFilters]', () => {
  const now = new Date('2024-01-01T00:00:00Z');
  assert.equal(untilTime(Filters.fromFlags(['until=24h']), now), new Date('2023-12-31T00:00:00Z'));
  assert.equal(untilTime(Filters.fromFlags(['until=2023-06-01T12:00:00Z']), now), new Date('2023-06-01T12:00:00Z'));
  assert.equal(untilTime(Filters.fromFlags(['until=1136073600']), now), new Date(1136073600 * 1000));
  assert.is(untilTime(new Filters(), now), undefined);
  assert.throws(() => untilTime(Filters.fromFlags(['until=1h', 'until=2h']), now), (e) => e.message === 'more than one until filter specified');
  // the caller may bring its own parser
  assert.equal(untilTime(Filters.fromFlags(['until=x']), now, () => 5_000_000_000n), new Date(5000));
});

test("moby's GetTimestamp table (timestamp_test.go), in a UTC reference zone [time]", () => {
  const now = new Date('2024-01-01T00:00:00Z');
  const utc = now.getTimezoneOffset() === 0;
  const cases = [
    ['2006-01-02T15:04:05.999999999+07:00', '1136189045.999999999'], ['2006-01-02T15:04:05.999999999Z', '1136214245.999999999'],
    ['2006-01-02T15:04:05Z', '1136214245.000000000'], ['2006-01-02T15:04Z', '1136214240.000000000'], ['2006-01-02T15:04+00:00', '1136214240.000000000'],
    ['2006-01-02T15:04-00:00', '1136214240.000000000'], ['2006-01-02T15Z', '1136214000.000000000'], ['2006-01-02T15+00:00', '1136214000.000000000'],
    ['2006-01-02T15-00:00', '1136214000.000000000'], ['2006-01-02T1Z', '1136163600.000000000'], ['2006-01-02+00:00', '1136160000.000000000'],
    ['2006-01-02-00:00', '1136160000.000000000'], ['2006-01-02-00:01', '1136160060.000000000'], ['2006-01-02Z', '1136160000.000000000'],
    ['2015-05-13T20:39:09Z', '1431549549.000000000'], ['1136073600', '1136073600.000000000'], ['1136073600.000000001', '1136073600.000000001'],
    // the reference zone applies to these: UTC here
    ...(utc ? [['2006-01-02T15:04:05.999999999', '1136214245.999999999'], ['2006-01-02T15:04:05', '1136214245.000000000'], ['2006-01-02T15:04', '1136214240.000000000'], ['2006-01-02T15', '1136214000.000000000'], ['2006-01-02T1', '1136163600.000000000'], ['2006-01-02', '1136160000.000000000']] : []),
  ];
  for (const [input, want] of cases) {
    const t = parseTimestamp(input, now);
    assert.is(`${t.seconds}.${String(t.nanos).padStart(9, '0')}`, want, input);
  }
  const dur = (d) => parseTimestamp(d, now).seconds;
  assert.is(dur('1m'), now.getTime() / 1000 - 60);
  assert.is(dur('1.5h'), now.getTime() / 1000 - 5400);
  assert.is(dur('1h30m'), now.getTime() / 1000 - 5400);
  for (const bad of ['2006-01-02T15:04:0Z', '2006-01-02T15:04:0', '2006-01-02T15:0Z', '2006-01-02T15:0', '2006-01-02TZ', '2006-01-02T', 'invalid', '']) {
    assert.throws(() => parseTimestamp(bad, now), (e) => e.kind === 'invalid-argument', bad);
  }
  // Go's time.Parse error text
  assert.throws(() => parseTimestamp('2006-01-02T15:04:0Z', now), (e) => e.message === 'parsing time "2006-01-02T15:04:0Z" as "2006-01-02T15:04:05Z07:00": cannot parse "0Z" as "05"');
  assert.throws(() => parseTimestamp('2006-13-01', now), (e) => e.message === 'parsing time "2006-13-01": month out of range');
});

test("Go's time.ParseDuration: units ns..h, fractions, signs, and its errors [time]", () => {
  assert.is(parseGoDuration('1h'), 3600e9);
  assert.is(parseGoDuration('1h1m1s'), 3661e9);
  assert.is(parseGoDuration('-1.5h'), -5400e9);
  assert.is(parseGoDuration('300ms'), 300e6);
  assert.is(parseGoDuration('1µs') + parseGoDuration('1us'), 2000);
  assert.is(parseGoDuration('.5s'), 0.5e9);
  assert.is(parseGoDuration('0'), 0);
  const errors = [['1d', 'time: unknown unit "d" in duration "1d"'], ['1', 'time: missing unit in duration "1"'], ['', 'time: invalid duration ""'], ['.s', 'time: invalid duration ".s"'], ['-', 'time: invalid duration "-"']];
  for (const [input, message] of errors) assert.throws(() => parseGoDuration(input), (e) => e.message === message, input);
});

test.run();
