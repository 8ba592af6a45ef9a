// run/create/update resource flags: docker CLI's value parsing and moby's daemon checks
// (verifyPlatformContainerResources, adaptContainerSettings) with their messages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  parseResourceFlags, checkResources, limitFlagsSet, validateOomScoreAdj, parseCgroupParent, parseCgroupsMode, NO_RESOURCES,
} from '../../dist/engine/docker-syntax/resources.js';

const HOST = { cpus: 2, cpusetCpus: '0-1', cpusetMems: '0' };
const message = (fn) => {
  try {
    fn();
  } catch (e) {
    assert.is(e.kind, 'invalid-argument', e.message);
    return e.message;
  }
  assert.unreachable('accepted');
};
const check = (flags, host = HOST, update = false) => checkResources(parseResourceFlags(flags), host, update);

test('flag values parse as docker CLI parses them', () => {
  const r = parseResourceFlags({ memory: '512m', memorySwap: '-1', memoryReservation: '256m', cpus: '1.5', cpuShares: '512', pidsLimit: 20, blkioWeight: '300', cpusetCpus: '0', memorySwappiness: 10 });
  assert.equal(r, { Memory: 536870912, MemorySwap: -1, MemoryReservation: 268435456, NanoCpus: 1500000000, CpuShares: 512, PidsLimit: 20, BlkioWeight: 300, CpusetCpus: '0', MemorySwappiness: 10 });
  assert.equal(parseResourceFlags({}), {}, 'nothing given, nothing set');
  assert.equal(parseResourceFlags({ memorySwappiness: -1 }), {}, '-1 is the default: the host\'s swappiness');
  assert.is(message(() => parseResourceFlags({ memory: '1x' })), 'invalid argument "1x" for "-m, --memory" flag: invalid suffix: \'x\'');
  assert.is(message(() => parseResourceFlags({ cpus: 'abc' })), 'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number');
  assert.is(message(() => parseResourceFlags({ cpuShares: '1.5' })), 'invalid argument "1.5" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "1.5": invalid syntax');
  assert.is(message(() => parseResourceFlags({ blkioWeight: '70000' })), 'invalid argument "70000" for "--blkio-weight" flag: strconv.ParseUint: parsing "70000": value out of range');
});

test('device throttles: docker CLI\'s ValidateThrottle*Device, one rule per flag', () => {
  const r = parseResourceFlags({ deviceReadBps: ['/dev/sda:1mb'], deviceWriteIOps: ['/dev/sda:100', '/dev/sdb:5'] });
  assert.equal(r, { BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1048576 }], BlkioDeviceWriteIOps: [{ Path: '/dev/sda', Rate: 100 }, { Path: '/dev/sdb', Rate: 5 }] });
  assert.equal(limitFlagsSet(check({ deviceWriteBps: ['/dev/sda:1mb'] }).resources), ['--device-write-bps']);
  assert.is(message(() => parseResourceFlags({ deviceReadBps: ['sda:1mb'] })), 'invalid argument "sda:1mb" for "--device-read-bps" flag: bad format for device path: sda:1mb');
  assert.match(message(() => parseResourceFlags({ deviceWriteIOps: ['/dev/sda:1.5'] })), /^invalid argument "\/dev\/sda:1.5" for "--device-write-iops" flag: invalid rate for device/);
});

test('the daemon\'s checks and messages', () => {
  assert.is(message(() => check({ memory: '4k' })), 'Minimum memory limit allowed is 6MB');
  assert.is(message(() => check({ cpus: '-1' })), 'range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  assert.is(message(() => check({ cpus: '3' })), 'range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  assert.is(message(() => check({ cpusetCpus: '99' })), 'Requested CPUs are not available - requested 99, available: 0-1');
  assert.is(message(() => check({ cpusetMems: '1' })), 'Requested memory nodes are not available - requested 1, available: 0');
  assert.is(message(() => check({ memory: '32m', memorySwap: '16m' })), 'Minimum memoryswap limit should be larger than memory limit, see usage');
  assert.is(message(() => check({ memorySwap: '64m' })), 'You should always set the Memory limit when using Memoryswap limit, see usage');
  assert.is(message(() => check({ memorySwappiness: 101 })), 'Invalid value: 101, valid memory swappiness range is 0-100');
  assert.is(message(() => check({ cpus: '1', cpuPeriod: 50000 })), 'Conflicting options: Nano CPUs and CPU Period cannot both be set');
  assert.is(message(() => check({ cpus: '1', cpuQuota: 50000 })), 'Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  assert.is(message(() => check({ cpuPeriod: 999 })), 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  assert.is(message(() => check({ cpuQuota: 999 })), 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
  assert.is(message(() => check({ blkioWeight: '5' })), 'Range of blkio weight is from 10 to 1000');
  assert.is(message(() => validateOomScoreAdj(1001)), 'Invalid value 1001, range for oom score adj is [-1000, 1000]');
  validateOomScoreAdj(-1000);
});

test('the daemon\'s adjustments: swap twice the memory, shares in range, pids <= 0 unlimited, kernel memory dropped', () => {
  assert.is(check({ memory: '32m' }).resources.MemorySwap, 64 * 1024 * 1024);
  assert.is(check({ memory: '32m', memorySwap: '-1' }).resources.MemorySwap, -1);
  const shares = check({ cpuShares: '1' });
  assert.is(shares.resources.CpuShares, 2);
  assert.equal(shares.warnings, ['Changing requested CPUShares of 1 to minimum allowed of 2']);
  assert.is(check({ pidsLimit: -1 }).resources.PidsLimit, null);
  assert.is(check({ pidsLimit: 0 }).resources.PidsLimit, null);
  assert.is(check({ pidsLimit: -1 }, HOST, true).resources.PidsLimit, -1, 'update: back to unlimited');
  const kernel = check({ kernelMemory: '64m' });
  assert.is(kernel.resources.KernelMemory, 0);
  assert.match(kernel.warnings[0], /kernel memory limit is deprecated/);
  assert.match(check({ oomKillDisable: true }).warnings[0], /OOM killer is disabled for the container, but no memory limit is set/);
  assert.is(check({ memorySwap: '64m' }, HOST, true).resources.MemorySwap, 64 * 1024 * 1024, 'update may set swap alone');
});

test('which flags set a limit (what needs a cgroup)', () => {
  assert.equal(limitFlagsSet(NO_RESOURCES), []);
  assert.equal(limitFlagsSet(check({ memory: '32m' }).resources), ['--memory'], 'the default swap is not a flag of its own');
  assert.equal(limitFlagsSet(check({ kernelMemory: '32m' }).resources), [], 'ignored, so no cgroup needed');
  assert.equal(limitFlagsSet(check({ cpus: '0.5', pidsLimit: 20, cpusetCpus: '1' }).resources), ['--cpus', '--cpuset-cpus', '--pids-limit']);
  assert.equal(limitFlagsSet(check({ pidsLimit: -1 }).resources), [], 'unlimited is no limit');
});

test('--cgroup-parent and --cgroups', () => {
  assert.is(parseCgroupParent('/a/b/'), 'a/b');
  assert.is(parseCgroupParent('my.slice'), 'my.slice');
  assert.match(message(() => parseCgroupParent('../escape')), /"\.\." is not allowed/);
  assert.is(parseCgroupsMode(undefined), 'enabled');
  assert.is(parseCgroupsMode('disabled'), 'disabled');
  assert.is(message(() => parseCgroupsMode('off')), 'invalid cgroup mode "off"');
  assert.match(message(() => parseCgroupsMode('split')), /podman's and not supported/);
});

test.run();
