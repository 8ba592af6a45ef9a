// The default profile, compiled to BPF and RUN on seccomp_data inputs by an independent
// interpreter (test/fixtures/seccomp/bpf-interpreter.mjs): what a container may and may not call.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSeccomp, compileProfile, defaultProfile, serializeFilter } from '../../dist/runtime/seccomp/index.js';
import { X86_64_SYSCALLS } from '../../dist/runtime/seccomp/table-x86_64.js';
import { AARCH64_SYSCALLS } from '../../dist/runtime/seccomp/table-aarch64.js';
import {
  AUDIT_ARCH_AARCH64, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, decide, runFilter, verifyFilter,
} from '../fixtures/seccomp/bpf-interpreter.mjs';

const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];
const X = X86_64_SYSCALLS;
const A64 = AARCH64_SYSCALLS;
const CLONE_NEWUSER = 0x10000000n;
const CLONE_NEWNS = 0x00020000n;
const CLONE_NEWNET = 0x40000000n;
const SIGCHLD = 17n;
const THREAD_FLAGS = 0x3d0f00n; // what glibc's pthread_create passes (CLONE_VM|CLONE_FS|...|CLONE_SETTLS...)

const filter = (caps = DOCKER_CAPS, arch = 'x86_64') => compileSeccomp({ profile: 'default', capabilities: caps, arch });
const dflt = filter();
const withAdmin = filter([...DOCKER_CAPS, 'CAP_SYS_ADMIN']);

test('the default profile compiles to a loadable program well under BPF_MAXINSNS', () => {
  const prog = verifyFilter(dflt);
  assert.ok(prog.length < 4096, `${prog.length} instructions`);
  assert.ok(prog.length < 600, `${prog.length} instructions: the interval tree should keep it small`);
  console.log(`    default profile, x86_64, docker caps: ${prog.length} instructions (${dflt.length} bytes)`);
  verifyFilter(withAdmin);
  verifyFilter(filter(DOCKER_CAPS, 'aarch64'));
});

test('the serialized form is struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k, little-endian', () => {
  const { program } = compileProfile(defaultProfile(), { capabilities: DOCKER_CAPS, arch: 'x86_64' });
  const buf = serializeFilter(program);
  assert.is(buf.length, program.length * 8);
  assert.equal(buf, dflt);
  // First instruction: ld [4] (seccomp_data.arch) = BPF_LD|BPF_W|BPF_ABS 0x20, k 4.
  assert.equal([...buf.subarray(0, 8)], [0x20, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00]);
  // Second: jeq #AUDIT_ARCH_X86_64 (0xc000003e).
  assert.is(buf.readUInt16LE(8), 0x15);
  assert.is(buf.readUInt32LE(12), AUDIT_ARCH_X86_64);
  const i = program.findIndex((p) => p.jt > 0 || p.jf > 0);
  assert.is(buf.readUInt8(i * 8 + 2), program[i].jt);
  assert.is(buf.readUInt8(i * 8 + 3), program[i].jf);
});

test('everyday syscalls are allowed', () => {
  for (const name of ['read', 'write', 'openat', 'close', 'mmap', 'execve', 'exit_group', 'rt_sigaction', 'futex',
    'getdents64', 'newfstatat', 'statx', 'fchmodat2', 'arch_prctl', 'set_tid_address', 'rseq', 'prlimit64',
    'wait4', 'pipe2', 'epoll_pwait', 'chroot', 'ptrace', 'mseal', 'getrandom', 'setgroups', 'mknodat', 'capset']) {
    assert.is(decide(dflt, X[name]), 'ALLOW', name);
  }
});

test('every name of the default allowlist that x86_64 has is allowed', () => {
  const first = defaultProfile().syscalls[0];
  assert.ok(first.names.length > 300);
  let checked = 0;
  for (const name of first.names) {
    if (X[name] === undefined) continue;
    assert.is(decide(dflt, X[name]), 'ALLOW', name);
    checked++;
  }
  assert.ok(checked > 280, `${checked}`);
});

test('privileged syscalls give EPERM without their capability', () => {
  for (const name of ['mount', 'umount2', 'unshare', 'setns', 'pivot_root', 'reboot', 'init_module', 'finit_module',
    'delete_module', 'kexec_load', 'bpf', 'keyctl', 'add_key', 'request_key', 'swapon', 'acct', 'settimeofday',
    'clock_settime', 'iopl', 'ioperm', 'syslog', 'sethostname', 'open_by_handle_at', 'kcmp', 'process_madvise',
    'perf_event_open', 'fsopen', 'move_mount', 'open_tree', 'userfaultfd', 'vhangup', 'mbind', 'io_uring_setup',
    'io_uring_enter', 'lookup_dcookie', 'quotactl', 'personality_not_a_syscall'].filter((n) => X[n] !== undefined)) {
    assert.is(decide(dflt, X[name]), 'ERRNO(1)', name);
  }
});

test('capabilities unlock their syscalls (includes.caps)', () => {
  const cases = [
    ['CAP_SYS_ADMIN', ['mount', 'umount2', 'unshare', 'setns', 'sethostname', 'bpf', 'fsopen', 'clone3']],
    ['CAP_SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise']],
    ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
    ['CAP_SYS_TIME', ['settimeofday', 'clock_settime']],
    ['CAP_SYS_BOOT', ['reboot']],
    ['CAP_SYS_RAWIO', ['iopl', 'ioperm']],
    ['CAP_SYS_NICE', ['mbind', 'set_mempolicy', 'get_mempolicy', 'set_mempolicy_home_node']],
    ['CAP_SYSLOG', ['syslog']],
    ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
    ['CAP_SYS_PACCT', ['acct']],
    ['CAP_SYS_TTY_CONFIG', ['vhangup']],
    ['CAP_PERFMON', ['perf_event_open']],
    ['CAP_BPF', ['bpf']],
  ];
  for (const [cap, names] of cases) {
    const f = filter([...DOCKER_CAPS, cap]);
    for (const name of names) {
      assert.is(decide(f, X[name]), 'ALLOW', `${name} with ${cap}`);
      assert.not.equal(decide(dflt, X[name]), 'ALLOW', `${name} without ${cap}`);
    }
  }
  // Short names ("SYS_ADMIN") name the same capability.
  assert.equal(filter([...DOCKER_CAPS, 'sys_admin']), withAdmin);
  // Dropping SYS_CHROOT takes chroot away.
  assert.is(decide(filter(DOCKER_CAPS.filter((c) => c !== 'CAP_SYS_CHROOT')), X.chroot), 'ERRNO(1)');
});

test('clone: plain forks and threads pass, namespace flags need CAP_SYS_ADMIN', () => {
  assert.is(decide(dflt, X.clone, [SIGCHLD]), 'ALLOW');
  assert.is(decide(dflt, X.clone, [THREAD_FLAGS]), 'ALLOW');
  for (const ns of [CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, 0x02000000n, 0x04000000n, 0x08000000n, 0x20000000n]) {
    assert.is(decide(dflt, X.clone, [ns | SIGCHLD]), 'ERRNO(1)', `flag 0x${ns.toString(16)}`);
    assert.is(decide(withAdmin, X.clone, [ns | SIGCHLD]), 'ALLOW', `flag 0x${ns.toString(16)} with SYS_ADMIN`);
  }
  // The mask only covers the low word: bits in the high word do not make a plain fork a namespace clone.
  assert.is(decide(dflt, X.clone, [(1n << 32n) | SIGCHLD]), 'ALLOW');
  // unshare(CLONE_NEWUSER) is refused outright without SYS_ADMIN.
  assert.is(decide(dflt, X.unshare, [CLONE_NEWUSER]), 'ERRNO(1)');
  assert.is(decide(withAdmin, X.unshare, [CLONE_NEWUSER]), 'ALLOW');
});

test('clone3 gives ENOSYS (so libc falls back to clone) unless CAP_SYS_ADMIN', () => {
  assert.is(decide(dflt, X.clone3, [0x1000n, 88n]), 'ERRNO(38)');
  assert.is(decide(withAdmin, X.clone3, [0x1000n, 88n]), 'ALLOW');
});

test('personality: only docker\'s values, compared on all 64 bits', () => {
  for (const v of [0n, 8n, 0x20000n, 0x20008n, 0xffffffffn]) assert.is(decide(dflt, X.personality, [v]), 'ALLOW', `0x${v.toString(16)}`);
  for (const v of [0x0040000n, 0x1n, 0x20001n, 0xfffffffen]) assert.is(decide(dflt, X.personality, [v]), 'ERRNO(1)', `0x${v.toString(16)}`);
  // Same low word as an allowed value, different high word: refused.
  assert.is(decide(dflt, X.personality, [1n << 32n]), 'ERRNO(1)');
  assert.is(decide(dflt, X.personality, [(1n << 32n) | 8n]), 'ERRNO(1)');
  assert.is(decide(dflt, X.personality, [0xffffffffffffffffn]), 'ERRNO(1)');
});

test('socket: common families pass, AF_VSOCK and AF_ALG do not, high words count', () => {
  for (const af of [1, 2, 10, 16, 17, 29, 44, 45]) assert.is(decide(dflt, X.socket, [af, 1]), 'ALLOW', `AF ${af}`);
  for (const af of [12, 19, 20, 23, 25, 34, 37, 38, 40, 46, 255, 0xffffffff]) assert.is(decide(dflt, X.socket, [af, 1]), 'ERRNO(1)', `AF ${af}`);
  // docker allows the range below the first gap with one `<` rule; AF_UNSPEC (0) falls in it, and
  // the kernel refuses to create it anyway (EAFNOSUPPORT).
  assert.is(decide(dflt, X.socket, [0, 1]), 'ALLOW');
  // AF_INET in the low word but a nonzero high word: the < range check must look at the high word.
  assert.is(decide(dflt, X.socket, [(1n << 32n) | 2n, 1]), 'ERRNO(1)');
  assert.is(decide(dflt, X.socket, [(1n << 32n) | 16n, 1]), 'ERRNO(1)');
  // socketpair is not argument-filtered.
  assert.is(decide(dflt, X.socketpair, [40, 1]), 'ALLOW');
});

test('numbers the kernel table lacks give ENOSYS; known but unlisted ones EPERM', () => {
  assert.is(decide(dflt, 337), 'ERRNO(38)'); // gap 337-423
  assert.is(decide(dflt, 400), 'ERRNO(38)');
  assert.is(decide(dflt, 423), 'ERRNO(38)');
  assert.is(decide(dflt, 471), 'ERRNO(38)'); // past the table
  assert.is(decide(dflt, 100000), 'ERRNO(38)');
  assert.is(decide(dflt, 0x3fffffff), 'ERRNO(38)');
  assert.is(decide(dflt, X.listns), 'ERRNO(1)');
  assert.is(decide(dflt, X.uselib), 'ERRNO(1)');
});

test('x32 syscalls (__X32_SYSCALL_BIT) and other ABIs are refused', () => {
  const X32 = 0x40000000;
  assert.is(decide(dflt, X32 | 0), 'ERRNO(38)'); // x32 read
  assert.is(decide(dflt, X32 | 512), 'ERRNO(38)'); // x32 rt_sigaction
  assert.is(decide(dflt, X32 | X.mount), 'ERRNO(38)');
  assert.is(decide(dflt, 0xffffffff), 'ERRNO(38)'); // nr -1 (a tracer skipping the call)
  // i386 via int 0x80: nr 1 is exit there, but the table is x86_64's: kill, never interpret.
  assert.is(decide(dflt, 1, [], AUDIT_ARCH_I386), 'KILL_PROCESS');
  assert.is(decide(dflt, X.read, [], AUDIT_ARCH_AARCH64), 'KILL_PROCESS');
});

test('aarch64: its own numbers and arch check', () => {
  const f = filter(DOCKER_CAPS, 'aarch64');
  const run = (name, args = []) => decide(f, A64[name], args, AUDIT_ARCH_AARCH64);
  assert.is(run('read'), 'ALLOW');
  assert.is(run('openat'), 'ALLOW');
  assert.is(A64.mount, 40);
  assert.is(run('mount'), 'ERRNO(1)');
  assert.is(run('clone', [SIGCHLD]), 'ALLOW');
  assert.is(run('clone', [CLONE_NEWUSER | SIGCHLD]), 'ERRNO(1)');
  assert.is(run('clone3'), 'ERRNO(38)');
  assert.is(decide(f, 250, [], AUDIT_ARCH_AARCH64), 'ERRNO(38)'); // arch-specific range, unused on arm64
  assert.is(decide(f, 63, [], AUDIT_ARCH_X86_64), 'KILL_PROCESS');
  // arch_prctl and modify_ldt are amd64-only in the profile; aarch64 has no such syscalls anyway.
  assert.is(A64.arch_prctl, undefined);
});

test('lookups are a few jumps deep (binary search), not a linear scan', () => {
  let worst = 0;
  for (let nr = 0; nr < 480; nr++) worst = Math.max(worst, runFilter(dflt, { nr, args: [2, 1] }).steps);
  assert.ok(worst < 160, `worst path ${worst} instructions`);
  assert.ok(runFilter(dflt, { nr: X.read }).steps < 15);
});

test('unconfined compiles to nothing', () => {
  assert.is(compileSeccomp({ profile: 'unconfined', capabilities: DOCKER_CAPS }), null);
});

test('the host arch is the default', () => {
  const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : null;
  if (!arch) return;
  assert.equal(compileSeccomp({ profile: 'default', capabilities: DOCKER_CAPS }), filter(DOCKER_CAPS, arch));
});

test.run();
