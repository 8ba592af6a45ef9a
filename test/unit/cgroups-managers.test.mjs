// The cgroup managers' file work. cgroup v2 cannot be exercised on the development host
// (every controller is on v1, the unified tree is empty and not delegated), so the v2
// manager runs here against a directory laid out like cgroupfs: what it enables in each
// level's cgroup.subtree_control, the files and values it writes (runc's conversions),
// what it reads back. The v1 manager is run for real by test/root/cgroups.test.mjs; here
// only its mount-table parsing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CgroupV2, cpuMax, ioMax, sharesToWeight, v1Mounts } from '../../dist/runtime/cgroups/index.js';
import { NO_RESOURCES } from '../../dist/engine/docker-syntax/resources.js';
import { removeTree, tempDir } from '../lib/hx.mjs';

const work = tempDir('hx-cg-unit-');
const read = (p) => readFileSync(p, 'utf8');

test('v1 mounts: each controller of a cgroup mount, co-mounted ones sharing a point', () => {
  const mounts = [
    'cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0',
    'cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0',
    'cgroup /sys/fs/cgroup/systemd cgroup rw,nosuid,nodev,noexec,relatime,xattr,name=systemd 0 0',
    'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime 0 0',
    'cgroup /sys/fs/cgroup/devices cgroup rw,devices 0 0',
  ].join('\n');
  const m = v1Mounts(mounts);
  assert.equal(Object.fromEntries(m), { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct' });
});

test('runc\'s conversions: shares to weight, CPUs to cpu.max', () => {
  assert.is(sharesToWeight(2), 1);
  assert.is(sharesToWeight(1024), 39);
  assert.is(sharesToWeight(262144), 10000);
  assert.is(cpuMax({ NanoCpus: 500000000 }), '50000 100000');
  assert.is(cpuMax({ NanoCpus: 1500000000 }), '150000 100000');
  assert.is(cpuMax({ CpuQuota: 20000, CpuPeriod: 50000 }), '20000 50000');
  assert.is(cpuMax({ CpuPeriod: 50000 }), 'max 50000');
  assert.is(cpuMax({}), undefined);
  const numbers = { '/dev/sda': '8:0', '/dev/vdb': '254:16' };
  const lines = ioMax({ BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1048576 }], BlkioDeviceWriteIOps: [{ Path: '/dev/sda', Rate: 100 }, { Path: '/dev/vdb', Rate: 0 }] }, (p) => numbers[p]);
  assert.equal(lines, ['8:0 rbps=1048576 wiops=100', '254:16 wiops=max'], 'one io.max line per device; 0 lifts the limit');
});

function fakeRoot(name, controllers) {
  const root = join(work, name);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'cgroup.controllers'), `${controllers.join(' ')}\n`);
  writeFileSync(join(root, 'cgroup.subtree_control'), '');
  return root;
}

test('v2 create: controllers enabled at every level above, limits written with v2 names', () => {
  const root = fakeRoot('v2', ['cpuset', 'cpu', 'io', 'memory', 'pids', 'hugetlb']);
  const m = new CgroupV2(root, new Set(['cpuset', 'cpu', 'io', 'memory', 'pids', 'hugetlb']), 'hx.slice');
  const path = 'hx.slice/hx-abc';
  // a real cgroupfs makes these on mkdir; the fake needs the ones whose presence matters
  mkdirSync(join(root, path), { recursive: true });
  writeFileSync(join(root, path, 'memory.swap.max'), 'max\n');
  m.create(path, { ...NO_RESOURCES, Memory: 33554432, MemorySwap: 67108864, MemoryReservation: 16777216, NanoCpus: 500000000, CpuShares: 512, PidsLimit: 20, CpusetCpus: '0', BlkioWeight: 300 });
  assert.is(read(join(root, 'cgroup.subtree_control')), '+cpuset +cpu +io +memory +pids', 'hugetlb is not one hx sets');
  assert.is(read(join(root, 'hx.slice', 'cgroup.subtree_control')), '+cpuset +cpu +io +memory +pids');
  assert.not.ok(existsSync(join(root, path, 'cgroup.subtree_control')), 'the container\'s own level enables nothing (it holds processes)');
  const got = (f) => read(join(root, path, f));
  assert.is(got('memory.max'), '33554432');
  assert.is(got('memory.swap.max'), '33554432', 'docker\'s MemorySwap is memory + swap; v2 counts swap alone');
  assert.is(got('memory.low'), '16777216');
  assert.is(got('cpu.max'), '50000 100000');
  assert.is(got('cpu.weight'), String(sharesToWeight(512)));
  assert.is(got('pids.max'), '20');
  assert.is(got('cpuset.cpus'), '0');
  assert.is(got('io.weight'), '300');
  m.apply(path, { Memory: 0, PidsLimit: -1 });
  assert.is(got('memory.max'), 'max', 'update to unlimited');
  assert.is(got('pids.max'), 'max');
  m.add(path, 4242);
  assert.is(got('cgroup.procs'), '4242');
  assert.equal(m.procsFiles(path), [join(root, path, 'cgroup.procs')]);
});

test('v2 reads: OOM kills from memory.events, frozen from cgroup.freeze, a sample from the stat files', () => {
  const root = fakeRoot('v2r', ['cpu', 'memory', 'pids', 'io']);
  const m = new CgroupV2(root, new Set(['cpu', 'memory', 'pids', 'io']), 'hx.slice');
  const d = join(root, 'c');
  mkdirSync(d);
  writeFileSync(join(d, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n');
  writeFileSync(join(d, 'cgroup.freeze'), '0\n');
  writeFileSync(join(d, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n');
  writeFileSync(join(d, 'memory.current'), '10485760\n');
  writeFileSync(join(d, 'memory.stat'), 'anon 4096\nfile 8192\ninactive_file 1048576\n');
  writeFileSync(join(d, 'memory.max'), 'max\n');
  writeFileSync(join(d, 'pids.current'), '3\n');
  writeFileSync(join(d, 'io.stat'), '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n259:0 rbytes=1 wbytes=2\n');
  assert.is(m.oomKills('c'), 1);
  assert.is(m.frozen('c'), false);
  writeFileSync(join(d, 'cgroup.freeze'), '1\n');
  assert.is(m.frozen('c'), true);
  assert.equal(m.sample('c'), { cpuNs: 1500000, memUsage: 10485760 - 1048576, memLimit: 0, pids: 3, blkRead: 4097, blkWrite: 8194 });
  assert.is(m.sample('gone'), undefined);
  assert.is(m.missing('cpuset'), 'the cpuset controller is not enabled in the cgroup hx may use');
  assert.is(m.missing('blkio'), undefined, 'blkio is io on v2');
});

test.after(() => removeTree(work));
test.run();
