// Sizes and resources: go-units, docker CLI opts and moby's checks; messages as `docker run` 28.2 prints them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ramInBytes, fromHumanSize, humanSize, bytesSize, parseMemorySwap, validateMemory, defaultMemorySwap, MIN_MEMORY,
  parseNanoCpus, validateNanoCpus, parseCpuShares, adjustCpuShares, cpuSharesToWeight, parseBlkioWeight, validateBlkioWeight,
  parseThrottleBpsDevice, parseThrottleIOpsDevice, parseWeightDevice,
} from '../../dist/engine/docker-syntax/units.js';
import { invalidFlagArgument } from '../../dist/engine/docker-syntax/flag-error.js';

const message = (fn) => {
  try {
    fn();
  } catch (e) {
    assert.is(e.kind, 'invalid-argument');
    return e.message;
  }
  assert.unreachable('accepted');
};

test('RAMInBytes: binary units, optional b/ib, Go floats, truncation', () => {
  const cases = [
    ['512m', 512 * 1024 ** 2], ['1.5g', 1.5 * 1024 ** 3], ['1024', 1024], ['1k', 1024], ['1 g', 1024 ** 3], ['1kib', 1024],
    ['1kb', 1024], ['1KiB', 1024], ['6MB', 6 * 1024 ** 2], ['.5g', 512 * 1024 ** 2], ['1e3', 1000], ['1b', 1], ['0x1p4', 16],
    ['0x10p0k', 16384], ['1.5e3k', 1536000], ['1_000', 1000], ['1.9', 1], ['6291455', 6291455], ['1p', 1024 ** 5],
  ];
  for (const [v, want] of cases) assert.is(ramInBytes(v), want, v);
  const bad = [
    ['1x', "invalid suffix: 'x'"], ['1kibb', "invalid suffix: 'kibb'"], ['1bb', "invalid suffix: 'bb'"],
    ['-1', "invalid size: '-1'"], ['-1m', "invalid size: '-1m'"], ['', "invalid size: ''"], ['abc', "invalid size: 'abc'"],
    ['Inf', "invalid size: 'Inf'"],
    ['1.2.3m', 'strconv.ParseFloat: parsing "1.2.3": invalid syntax'], ['0x10', 'strconv.ParseFloat: parsing "0x10": invalid syntax'],
    [' 1m', 'strconv.ParseFloat: parsing " 1": invalid syntax'], ['1..5m', 'strconv.ParseFloat: parsing "1..5": invalid syntax'],
    ['1__0', 'strconv.ParseFloat: parsing "1__0": invalid syntax'], ['_1', 'strconv.ParseFloat: parsing "_1": invalid syntax'],
    ['0b101', 'strconv.ParseFloat: parsing "0b101": invalid syntax'], ['1e400', 'strconv.ParseFloat: parsing "1e400": value out of range'],
  ];
  for (const [v, want] of bad) assert.is(message(() => ramInBytes(v)), want, v);
});

test('FromHumanSize is decimal; HumanSize and BytesSize print four digits', () => {
  assert.is(fromHumanSize('10m'), 10_000_000);
  assert.is(fromHumanSize('1k'), 1000);
  assert.is(fromHumanSize('44kB'), 44000);
  assert.is(fromHumanSize('1.5GiB'), 1_500_000_000); // go-units reads the letter only
  assert.is(humanSize(2746000), '2.746MB');
  assert.is(humanSize(796000), '796kB');
  assert.is(humanSize(1000), '1kB');
  assert.is(humanSize(999), '999B');
  assert.is(bytesSize(44 * 1024), '44KiB');
  assert.is(bytesSize(17 * 1024 ** 2), '17MiB');
  // an exact tie rounds to the even digit, as Go's %.4g does
  assert.is(bytesSize(74368), '72.62KiB');
  assert.is(bytesSize(1856), '1.812KiB');
  assert.is(humanSize(91125), '91.12kB');
  assert.is(bytesSize(1536), '1.5KiB');
});

test('memory: -1 swap, the 6 MB floor and the daemon\'s swap and reservation rules', () => {
  assert.is(parseMemorySwap('-1'), -1);
  assert.is(parseMemorySwap('1g'), 1024 ** 3);
  assert.is(message(() => parseMemorySwap('-2')), "invalid size: '-2'");
  assert.is(MIN_MEMORY, 6291456);
  validateMemory({ memory: 6291456 });
  validateMemory({ memory: 0, memorySwap: -1 });
  validateMemory({ memorySwap: 1 << 30 }, true);
  assert.is(message(() => validateMemory({ memory: 6291455 })), 'Minimum memory limit allowed is 6MB');
  assert.is(message(() => validateMemory({ memory: 4 * 1024 ** 2 })), 'Minimum memory limit allowed is 6MB');
  assert.is(message(() => validateMemory({ memory: 1 << 30, memorySwap: 1 << 29 })), 'Minimum memoryswap limit should be larger than memory limit, see usage');
  assert.is(message(() => validateMemory({ memorySwap: 1 << 30 })), 'You should always set the Memory limit when using Memoryswap limit, see usage');
  assert.is(message(() => validateMemory({ memoryReservation: 1024 })), 'Minimum memory reservation allowed is 6MB');
  assert.is(message(() => validateMemory({ memory: 1 << 27, memoryReservation: 1 << 28 })), 'Minimum memory limit can not be less than memory reservation limit, see usage');
  assert.is(defaultMemorySwap(1 << 30, 0), 2 ** 31);
  assert.is(defaultMemorySwap(1 << 30, -1), -1);
  assert.is(defaultMemorySwap(0, 0), 0);
});

test('--cpus: a rational times 1e9; docker\'s messages', () => {
  const cases = [
    ['1.5', 1500000000n], ['3/2', 1500000000n], ['1e-9', 1n], ['0.001', 1000000n], ['-1', -1000000000n], ['0x1', 1000000000n],
    ['1_0', 10000000000n], ['1.', 1000000000n], ['.5', 500000000n], ['+1', 1000000000n], ['0x1p-1', 500000000n],
    ['0b1', 1000000000n], ['0o7', 7000000000n], ['-3/2', -1500000000n], ['07', 7000000000n], ['0x1.8', 1500000000n], ['010/8', 1000000000n],
  ];
  for (const [v, want] of cases) assert.is(parseNanoCpus(v), want, v);
  for (const v of ['0.0000000001', '1e-10']) assert.is(message(() => parseNanoCpus(v)), 'value is too precise', v);
  for (const v of ['abc', '', ' 1', '1/0', 'inf', '3/2/1', '1.5/2']) {
    assert.is(message(() => parseNanoCpus(v)), `failed to parse ${v} as a rational number`, v);
  }
  validateNanoCpus(2000000000n, 2);
  validateNanoCpus(0n, 2);
  assert.is(message(() => validateNanoCpus(2000000001n, 2)), 'range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  assert.is(message(() => validateNanoCpus(-1n, 4)), 'range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs available');
});

test('--cpu-shares and --blkio-weight: Go integer flags, moby\'s ranges', () => {
  assert.is(parseCpuShares('512'), 512n);
  assert.is(parseCpuShares('-1'), -1n);
  assert.is(message(() => parseCpuShares('abc')), 'strconv.ParseInt: parsing "abc": invalid syntax');
  assert.is(message(() => parseCpuShares('1.5')), 'strconv.ParseInt: parsing "1.5": invalid syntax');
  assert.equal(adjustCpuShares(1), { shares: 2, warning: 'Changing requested CPUShares of 1 to minimum allowed of 2' });
  assert.equal(adjustCpuShares(300000), { shares: 262144, warning: 'Changing requested CPUShares of 300000 to maximum allowed of 262144' });
  assert.equal(adjustCpuShares(1024), { shares: 1024 });
  assert.equal(adjustCpuShares(0), { shares: 0 });
  assert.equal([cpuSharesToWeight(2), cpuSharesToWeight(1024), cpuSharesToWeight(262144)], [1, 39, 10000]);
  assert.is(parseBlkioWeight('500'), 500);
  assert.is(message(() => parseBlkioWeight('70000')), 'strconv.ParseUint: parsing "70000": value out of range');
  assert.is(message(() => parseBlkioWeight('-1')), 'strconv.ParseUint: parsing "-1": invalid syntax');
  validateBlkioWeight(0);
  validateBlkioWeight(10);
  validateBlkioWeight(1000);
  for (const w of [5, 1001]) assert.is(message(() => validateBlkioWeight(w)), 'Range of blkio weight is from 10 to 1000', String(w));
});

test('device throttles and weights', () => {
  assert.equal(parseThrottleBpsDevice('/dev/sda:1mb'), { Path: '/dev/sda', Rate: 1048576 });
  assert.equal(parseThrottleBpsDevice('/dev/sda:1.5m'), { Path: '/dev/sda', Rate: 1572864 });
  assert.equal(parseThrottleIOpsDevice('/dev/sda:1000'), { Path: '/dev/sda', Rate: 1000 });
  assert.equal(parseWeightDevice('/dev/sda:100'), { Path: '/dev/sda', Weight: 100 });
  assert.equal(parseWeightDevice('/dev/sda:0'), { Path: '/dev/sda', Weight: 0 });
  const bps = (v) => `invalid rate for device: ${v}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`;
  const bad = [
    [parseThrottleBpsDevice, '/dev/sda', 'bad format: /dev/sda'], [parseThrottleBpsDevice, ':1mb', 'bad format: :1mb'],
    [parseThrottleBpsDevice, 'sda:1mb', 'bad format for device path: sda:1mb'],
    [parseThrottleBpsDevice, '/dev/sda:abc', bps('/dev/sda:abc')], [parseThrottleBpsDevice, '/dev/sda:-1', bps('/dev/sda:-1')],
    [parseThrottleBpsDevice, '/dev/sda:', bps('/dev/sda:')], [parseThrottleBpsDevice, '/dev/sda:1:2', bps('/dev/sda:1:2')],
    [parseThrottleIOpsDevice, '/dev/sda:1m', 'invalid rate for device: /dev/sda:1m. The correct format is <device-path>:<number>. Number must be a positive integer'],
    [parseThrottleIOpsDevice, 'sda:100', 'bad format for device path: sda:100'],
    [parseWeightDevice, '/dev/sda:5', 'invalid weight for device: /dev/sda:5'], [parseWeightDevice, '/dev/sda:1001', 'invalid weight for device: /dev/sda:1001'],
    [parseWeightDevice, '/dev/sda:1m', 'invalid weight for device: /dev/sda:1m'], [parseWeightDevice, '/dev/sda', 'bad format: /dev/sda'],
  ];
  for (const [fn, v, want] of bad) assert.is(message(() => fn(v)), want, v);
});

test("pflag's wrapper gives docker's full line", () => {
  const inner = (() => {
    try {
      ramInBytes('1x');
    } catch (e) {
      return e;
    }
  })();
  assert.is(invalidFlagArgument('1x', '-m, --memory', inner).message, `invalid argument "1x" for "-m, --memory" flag: invalid suffix: 'x'`);
  assert.is(invalidFlagArgument('a\tb', '--cpus', new Error('x')).message, 'invalid argument "a\\tb" for "--cpus" flag: x');
});

test.run();
