import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildIdMap, describeIdMap, disjointRanges, overlappingRanges, idMapContains, idMapSize, parseIdMap, parseSubordinateRanges, rangeContains, sameIdMap } from '../../dist/host/idmap.js';

test('subordinate ranges match by name or id, skip comments and junk', () => {
  const text = '# comment\nalice:100000:65536\nbob:165536:65536\n1001:300000:10\nalice:bad:1\nalice:5:0\n';
  assert.equal(parseSubordinateRanges(text, 'alice', 1000), [{ start: 100000, count: 65536 }]);
  assert.equal(parseSubordinateRanges(text, 'carol', 1001), [{ start: 300000, count: 10 }]);
  assert.equal(parseSubordinateRanges(text, 'dave', 7), []);
});

test('the map puts the own id at 0 and ranges from 1, skipping a range that holds the own id', () => {
  assert.equal(buildIdMap(1000, [{ start: 100000, count: 65536 }]), [
    { inside: 0, outside: 1000, count: 1 },
    { inside: 1, outside: 100000, count: 65536 },
  ]);
  assert.equal(buildIdMap(1000, [{ start: 900, count: 200 }, { start: 5000, count: 10 }]), [
    { inside: 0, outside: 1000, count: 1 },
    { inside: 1, outside: 5000, count: 10 },
  ]);
  assert.ok(rangeContains([{ start: 900, count: 200 }], 1000));
  assert.not.ok(rangeContains([{ start: 900, count: 100 }], 1000));
});

test('parseIdMap reads /proc/PID/uid_map text and sameIdMap compares', () => {
  const m = parseIdMap('         0       1001          1\n         1     200000      65536\n');
  assert.equal(m, [{ inside: 0, outside: 1001, count: 1 }, { inside: 1, outside: 200000, count: 65536 }]);
  assert.ok(sameIdMap(m, buildIdMap(1001, [{ start: 200000, count: 65536 }])));
  assert.not.ok(sameIdMap(m, buildIdMap(1001, [{ start: 100000, count: 65536 }])));
});

test('a map\'s extent as the ids inside: merged ranges, single ids, gaps', () => {
  const full = parseIdMap('0 1001 1\n1 200000 65536\n');
  assert.is(describeIdMap(full), '0-65536');
  assert.is(idMapSize(full), 65537);
  assert.ok(idMapContains(full, 65536));
  assert.not.ok(idMapContains(full, 65537));
  assert.is(describeIdMap(parseIdMap('0 1001 1\n')), '0');
  assert.is(describeIdMap(parseIdMap('0 1001 1\n100 5000 10\n')), '0 and 100-109');
  assert.is(describeIdMap(parseIdMap('0 1 1\n5 2 1\n9 3 2\n')), '0, 5, 9-10');
  assert.is(describeIdMap([]), 'no ids');
});

test('overlapping subordinate lines are found and cut into disjoint pieces inside each line', () => {
  const a = { start: 200000, count: 65536 };
  const b = { start: 230000, count: 65536 };
  assert.equal(overlappingRanges([a, b]), [[a, b]]);
  assert.equal(overlappingRanges([a, { start: 265536, count: 10 }]), []);
  assert.equal(disjointRanges([b, a]), [a, { start: 265536, count: 30000 }]);
  assert.equal(disjointRanges([a, a]), [a]);
  assert.equal(disjointRanges([a, { start: 210000, count: 5 }]), [a]);
  const unchanged = [b, { start: 100, count: 5 }];
  assert.is(disjointRanges(unchanged), unchanged);
  assert.equal(buildIdMap(1000, [a, b]), [
    { inside: 0, outside: 1000, count: 1 },
    { inside: 1, outside: 200000, count: 65536 },
    { inside: 65537, outside: 265536, count: 30000 },
  ]);
});

test.run();
