// --cpuset-cpus / --cpuset-mems: moby parsers.ParseUintList and the daemon's availability check.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCpuList, formatCpuList, canonicalCpuList, validateCpuset, MAX_CPUSET_INDEX } from '../../dist/engine/docker-syntax/cpuset.js';

const list = (s, max) => [...parseCpuList(s, max)].sort((a, b) => a - b);

test("moby's documented forms parse (duplicates allowed, 03 is 3)", () => {
  const cases = [
    ['7', [7]], ['1-6', [1, 2, 3, 4, 5, 6]], ['0,3-4,7,8-10', [0, 3, 4, 7, 8, 9, 10]], ['0-0,0,1-7', [0, 1, 2, 3, 4, 5, 6, 7]],
    ['03,1-3', [1, 2, 3]], ['3,2,1', [1, 2, 3]], ['0-2,3,1', [0, 1, 2, 3]], ['', []], ['+1', [1]],
  ];
  for (const [v, want] of cases) assert.equal(list(v), want, v);
});

test('bad lists: "invalid format: VALUE", and moby\'s "value of out range"', () => {
  for (const v of ['a', '1-', '-1', '2-1', '1,,2', ' 1', '1-2-3', '1--2', ',']) {
    assert.throws(() => parseCpuList(v), (e) => e.message === `invalid format: ${v}`, v);
  }
  assert.throws(() => parseCpuList('8193', MAX_CPUSET_INDEX), (e) => e.message === 'value of out range, maximum is 8192');
  assert.throws(() => parseCpuList('0-9000', 8192), (e) => e.message === 'value of out range, maximum is 8192');
});

test('the canonical form sorts and joins runs', () => {
  assert.is(formatCpuList([3, 0, 1, 1, 5, 6, 7]), '0-1,3,5-7');
  assert.is(canonicalCpuList('3,0-1,1'), '0-1,3');
  assert.is(canonicalCpuList('4'), '4');
  assert.is(canonicalCpuList(''), '');
});

test("the daemon's check against the CPUs present, with its messages", () => {
  assert.equal([...validateCpuset('0-1', '0-1')], [0, 1]);
  assert.equal([...validateCpuset('1', '0-3')], [1]);
  const fail = (value, available, kind, message) => {
    try {
      validateCpuset(value, available, kind);
      assert.unreachable(value);
    } catch (e) {
      assert.is(e.message, message);
      assert.is(e.kind, 'invalid-argument');
    }
  };
  fail('99', '0-1', 'cpus', 'Requested CPUs are not available - requested 99, available: 0-1');
  fail('0-2', '0-1', 'cpus', 'Requested CPUs are not available - requested 0-2, available: 0-1');
  fail('2-1', '0-1', 'cpus', 'Invalid value 2-1 for cpuset cpus: invalid format: 2-1');
  fail('9000', '0-1', 'cpus', 'Invalid value 9000 for cpuset cpus: value of out range, maximum is 8192');
  fail('1', '0', 'mems', 'Requested memory nodes are not available - requested 1, available: 0');
  fail('x', '0', 'mems', 'Invalid value x for cpuset mems: invalid format: x');
});

test.run();
