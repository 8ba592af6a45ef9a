// From ContainerOptions to the spawn plan, and the plan's wire format.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildPlan, containerCapabilities } from '../../dist/runtime/spec.js';
import { CLONE, encodePlan, FD_NULL, FD_TTY, PlanOption } from '../../dist/runtime/plan.js';
import { capabilityMask, DEFAULT_CAPABILITIES, resolveCapabilities } from '../../dist/runtime/capabilities.js';
import { parsePasswd, parseGroup } from '../../dist/runtime/user.js';

const facts = { setgroupsAllowed: true, ttyGroupMapped: true, lastCap: 40, initBinary: '/hx/build/init' };
const files = { passwd: parsePasswd('root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n'), group: parseGroup('wheel:x:10:alice\n') };
const plan = (options, extra = {}) => {
  const o = { rootfs: '/r', args: ['sh'], ...options };
  return buildPlan({ options: o, facts, files, hostname: 'h', capabilities: containerCapabilities(o, 40), seccomp: null, stdio: [FD_NULL, 1, 2], ...extra });
};

test('docker\'s default capability set is 0xa80425fb', () => {
  assert.is(capabilityMask(DEFAULT_CAPABILITIES), 0xa80425fbn);
  const p = plan({});
  assert.is(p.caps.bounding, 0xa80425fbn);
  assert.is(p.caps.effective, 0xa80425fbn);
  assert.is(p.caps.inheritable, 0n);
  assert.is(p.caps.ambient, 0n);
});

test('--cap-add/--cap-drop/--privileged', () => {
  assert.ok(resolveCapabilities({ add: ['net_admin'] }, 40).includes('CAP_NET_ADMIN'));
  assert.not.ok(resolveCapabilities({ drop: ['CAP_CHOWN'] }, 40).includes('CAP_CHOWN'));
  assert.equal(resolveCapabilities({ drop: ['ALL'], add: ['KILL'] }, 40), ['CAP_KILL']);
  assert.is(resolveCapabilities({ privileged: true }, 40).length, 41);
  assert.is(resolveCapabilities({ add: ['ALL'] }, 37).length, 38);
  assert.throws(() => resolveCapabilities({ add: ['FOO'] }, 40), /unknown capability: "FOO"/);
  assert.throws(() => resolveCapabilities({ add: ['BPF'] }, 37), /not supported by this kernel/);
});

test('namespaces: everything but user; net only with --network none', () => {
  const p = plan({});
  const all = CLONE.NEWNS | CLONE.NEWPID | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWCGROUP;
  assert.is(p.namespaces, all | CLONE.NEWNET);
  assert.ok(p.options & PlanOption.LOOPBACK_UP);
  const h = plan({ network: 'host' });
  assert.is(h.namespaces, all);
  assert.not.ok(h.options & PlanOption.LOOPBACK_UP);
});

test('user, groups (primary first, like docker), HOME and default env', () => {
  const p = plan({ user: 'alice', env: ['A=1'] });
  assert.equal(p.user, { uid: 1000, gid: 1000, groups: [1000, 10] });
  assert.equal(p.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1', 'HOSTNAME=h', 'HOME=/home/alice']);
  assert.ok(plan({ tty: true }).env.includes('TERM=xterm'));
  assert.ok(plan({ env: ['HOME=/x', 'PATH=/p'] }).env.includes('HOME=/x'));
});

test('setgroups only when the namespace allows it; devpts gid 5 only when mapped', () => {
  assert.ok(plan({}).options & PlanOption.SETGROUPS);
  const single = plan({}, { facts: { ...facts, setgroupsAllowed: false, ttyGroupMapped: false } });
  assert.not.ok(single.options & PlanOption.SETGROUPS);
  assert.is(single.ttyGid, 0);
  assert.not.match(single.mounts.find((m) => m.target === '/dev/pts').data, /gid=5/);
});

test('tty makes all three stdio slots the terminal; init and workdir', () => {
  assert.equal(plan({ tty: true }).stdio, [FD_TTY, FD_TTY, FD_TTY]);
  assert.equal(plan({}).stdio, [FD_NULL, 1, 2]);
  const p = plan({ init: true, cwd: '/work' });
  assert.is(p.init, '/dev/init');
  assert.ok(p.mounts.some((m) => m.target === '/dev/init' && m.source === '/hx/build/init'));
  assert.ok(p.mounts.some((m) => m.kind === 5 && m.target === '/work'));
  assert.throws(() => plan({ cwd: 'rel' }), /not an absolute path/);
  assert.throws(() => plan({ args: [] }), /no command specified/);
});

test('the wire format: magic, then tag/length records', () => {
  const p = plan({ user: 'alice', ulimits: [{ name: 'nofile', resource: 7, soft: 10n, hard: 20n }] }, { seccomp: Buffer.alloc(16) });
  const buf = encodePlan(p);
  assert.is(buf.readUInt32LE(0), 0x31505848);
  const tags = [];
  for (let off = 8; off < buf.length; ) {
    const tag = buf.readUInt16LE(off);
    const len = buf.readUInt32LE(off + 4);
    tags.push(tag);
    off += 8 + len;
    assert.ok(off <= buf.length, 'records stay inside the buffer');
  }
  for (const t of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14]) assert.ok(tags.includes(t), `tag ${t}`);
  assert.throws(() => encodePlan({ ...p, args: ['a\0b'] }), /NUL/);
});

test('cgroup v1 tasks fds: one CGROUP record (count, fds), absent without; --cgroupns host keeps the namespace', () => {
  const records = (buf) => {
    const out = new Map();
    for (let off = 8; off < buf.length; ) {
      const len = buf.readUInt32LE(off + 4);
      out.set(buf.readUInt16LE(off), buf.subarray(off + 8, off + 8 + len));
      off += 8 + len;
    }
    return out;
  };
  const withFds = plan({ cgroupFds: [17, 18, 19] });
  assert.equal(withFds.cgroupFds, [17, 18, 19]);
  const rec = records(encodePlan(withFds)).get(16);
  assert.ok(rec, 'tag 16');
  assert.equal([0, 1, 2, 3].map((i) => rec.readInt32LE(i * 4)), [3, 17, 18, 19]);
  assert.not.ok(records(encodePlan(plan({}))).has(16));
  assert.ok(plan({}).namespaces & CLONE.NEWCGROUP);
  assert.not.ok(plan({ cgroupns: 'host' }).namespaces & CLONE.NEWCGROUP);
});

test.run();
