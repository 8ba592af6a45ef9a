// Argument comparisons on 64-bit values (two 32-bit BPF words), rule precedence, and jumps longer
// than classic BPF's 8-bit offsets: compiled programs RUN by an independent interpreter and checked
// against BigInt arithmetic.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileProfile, parseProfile, SeccompProfileError } from '../../dist/runtime/seccomp/index.js';
import { Assembler, BPF_JEQ, serializeFilter } from '../../dist/runtime/seccomp/bpf.js';
import { X86_64_SYSCALLS as X } from '../../dist/runtime/seccomp/table-x86_64.js';
import { decide, decodeFilter, runFilter, verifyFilter } from '../fixtures/seccomp/bpf-interpreter.mjs';

const U64 = (1n << 64n) - 1n;
const OPS = {
  SCMP_CMP_EQ: (a, v) => a === v,
  SCMP_CMP_NE: (a, v) => a !== v,
  SCMP_CMP_LT: (a, v) => a < v,
  SCMP_CMP_LE: (a, v) => a <= v,
  SCMP_CMP_GT: (a, v) => a > v,
  SCMP_CMP_GE: (a, v) => a >= v,
  SCMP_CMP_MASKED_EQ: (a, v, v2) => (a & v) === v2,
};

// Deterministic pseudo-random u64s (xorshift64*), so a failure reproduces.
let seed = 0x9e3779b97f4a7c15n;
function rand64() {
  seed ^= seed >> 12n; seed ^= (seed << 25n) & U64; seed ^= seed >> 27n;
  return (seed * 0x2545f4914f6cdd1dn) & U64;
}

const EDGES = [0n, 1n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x100000000n, 0x100000001n,
  0x1ffffffffn, 0xffffffff00000000n, 0xffffffff00000001n, 0x8000000000000000n, 0xdeadbeefcafebaben, U64 - 1n, U64];

/** Values near v that differ in the high word, the low word, or both — where half-compares go wrong. */
function probes(v) {
  const out = new Set([v, ...EDGES]);
  for (const d of [1n, 0x100000000n, 0x100000001n, 0xffffffffn]) {
    out.add((v + d) & U64);
    out.add((v - d) & U64);
  }
  out.add(v ^ 0xffffffffn); // same high word, other low word
  out.add(v ^ 0xffffffff00000000n); // same low word, other high word
  for (let i = 0; i < 6; i++) out.add(rand64());
  return [...out];
}

/** A profile that allows ioctl only when args[index] <op> value, as docker JSON text (u64s kept exact). */
function oneRule(op, index, value, valueTwo = 0n) {
  return `{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"syscalls":[
    {"names":["ioctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":${index},"value":${value},"valueTwo":${valueTwo},"op":"${op}"}]}]}`;
}

function compile(text, caps = []) {
  return serializeFilter(compileProfile(parseProfile(text, 'test.json'), { capabilities: caps, arch: 'x86_64' }).program);
}

test('every operator agrees with 64-bit arithmetic, on every argument slot', () => {
  let checks = 0;
  for (const [op, holds] of Object.entries(OPS)) {
    if (op === 'SCMP_CMP_MASKED_EQ') continue;
    const values = [...EDGES, rand64(), rand64(), rand64()];
    values.forEach((value, n) => {
      const index = n % 6;
      const buf = compile(oneRule(op, index, value));
      verifyFilter(buf);
      for (const a of probes(value)) {
        const args = [0n, 0n, 0n, 0n, 0n, 0n];
        args[index] = a;
        const want = holds(a, value) ? 'ALLOW' : 'ERRNO(1)';
        assert.is(decide(buf, X.ioctl, args), want, `${op} arg${index}=0x${a.toString(16)} vs 0x${value.toString(16)}`);
        checks++;
      }
    });
  }
  assert.ok(checks > 1500, `${checks} checks`);
});

test('MASKED_EQ: (arg & value) == valueTwo on both words', () => {
  const masks = [0xffn, 0x7e020000n, 0xffffffffn, 0xffffffff00000000n, 0x8000000000000001n, U64, 0x0000ffff0000ffffn, rand64()];
  for (const mask of masks) {
    for (const want of [0n, mask, mask & rand64(), mask & 0xf0f0f0f0f0f0f0f0n, (mask | 1n << 40n) ^ mask || 1n << 63n]) {
      const buf = compile(oneRule('SCMP_CMP_MASKED_EQ', 2, mask, want));
      verifyFilter(buf);
      for (const a of [...probes(want), ...probes(mask), want | (~mask & U64), want ^ (1n << 32n), want ^ 1n]) {
        const args = [0n, 0n, a & U64];
        const expected = (a & U64 & mask) === want ? 'ALLOW' : 'ERRNO(1)';
        assert.is(decide(buf, X.ioctl, args), expected, `(0x${a.toString(16)} & 0x${mask.toString(16)}) == 0x${want.toString(16)}`);
      }
    }
  }
});

test('conditions on different arguments AND; the same argument twice ORs (as runc splits them)', () => {
  const buf = compile(readFileSync(new URL('../fixtures/seccomp/args.json', import.meta.url), 'utf8'));
  verifyFilter(buf);
  const TCGETS = 0x5401n;
  assert.is(decide(buf, X.ioctl, [0n, TCGETS]), 'ALLOW');
  assert.is(decide(buf, X.ioctl, [1n, TCGETS]), 'ERRNO(1)');
  assert.is(decide(buf, X.ioctl, [0n, TCGETS + 1n]), 'ERRNO(1)');
  assert.is(decide(buf, X.ioctl, [1n << 32n, TCGETS]), 'ERRNO(1)');
  assert.is(decide(buf, X.ioctl, [0n, TCGETS | (1n << 32n)]), 'ERRNO(1)');
  assert.is(decide(buf, X.kill, [123n, 15n]), 'ALLOW');
  assert.is(decide(buf, X.kill, [123n, 9n]), 'ALLOW');
  assert.is(decide(buf, X.kill, [123n, 2n]), 'ERRNO(1)');
  // u64 max survived JSON parsing: NE 2^64-1 refuses exactly that value and nothing below it.
  assert.is(decide(buf, X.mmap, [0, 0, 0, 0, 0, 0xffffffffffffffffn]), 'ERRNO(1)');
  assert.is(decide(buf, X.mmap, [0, 0, 0, 0, 0, 0xfffffffffffffffen]), 'ALLOW');
  assert.is(decide(buf, X.mmap, [0, 0, 0, 0, 0, 0xffffffff00000000n]), 'ALLOW');
  // A conditional rule beats the unconditional one for the same syscall.
  assert.is(decide(buf, X.fchmod, [3n, 0o4755n]), 'ERRNO(13)');
  assert.is(decide(buf, X.fchmod, [3n, 0o755n]), 'ALLOW');
  // includes/excludes: caps, minKernel, arches (Go names).
  assert.is(decide(buf, X.mount), 'ERRNO(1)');
  assert.is(decide(compile(readFileSync(new URL('../fixtures/seccomp/args.json', import.meta.url), 'utf8'), ['CAP_SYS_ADMIN']), X.mount), 'ALLOW');
  assert.is(decide(buf, X.umount2), 'ERRNO(1)'); // minKernel 99.0
  assert.is(decide(buf, X.getpid), 'ERRNO(1)'); // excluded on amd64
  assert.is(decide(buf, X.getppid), 'ERRNO(1)'); // included only on arm64
  assert.is(decide(buf, X.read), 'ALLOW');
});

test('minKernel follows the kernel version given', () => {
  const text = '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4.8"}},' +
    '{"names":["kcmp"],"action":"SCMP_ACT_ALLOW","excludes":{"minKernel":"5.10"}}]}';
  const at = (major, minor) => serializeFilter(compileProfile(parseProfile(text, 't'), { capabilities: [], arch: 'x86_64', kernel: { major, minor } }).program);
  assert.is(decide(at(4, 7), X.ptrace), 'ERRNO(1)');
  assert.is(decide(at(4, 8), X.ptrace), 'ALLOW');
  assert.is(decide(at(6, 1), X.ptrace), 'ALLOW');
  assert.is(decide(at(5, 9), X.kcmp), 'ALLOW');
  assert.is(decide(at(5, 10), X.kcmp), 'ERRNO(1)');
});

test('a rule block longer than 255 instructions is reached through ja trampolines', () => {
  // 300 allowed ioctl requests make one leaf of ~1200 instructions in the middle of the tree.
  const values = Array.from({ length: 300 }, (_, i) => 0x5400 + i * 3);
  const rules = values.map((v) => `{"names":["ioctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":${v},"op":"SCMP_CMP_EQ"}]}`);
  const text = `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","close","openat","exit_group","rt_sigreturn","pipe2","getpid"],"action":"SCMP_ACT_ALLOW"},${rules.join(',')}]}`;
  const buf = compile(text);
  const prog = verifyFilter(buf);
  assert.ok(prog.length > 1000 && prog.length < 4096, `${prog.length}`);
  assert.ok(prog.some((p) => p.code === 0x05), 'a ja trampoline was needed');
  for (const v of values) assert.is(decide(buf, X.ioctl, [1, v]), 'ALLOW', `ioctl 0x${v.toString(16)}`);
  for (const v of [0x53ff, 0x5401, 0x5400 + 300 * 3, 0]) assert.is(decide(buf, X.ioctl, [1, v]), 'ERRNO(1)');
  assert.is(decide(buf, X.ioctl, [1, (1n << 32n) | 0x5400n]), 'ERRNO(1)');
  // Syscalls on both sides of the big leaf in the tree still resolve.
  for (const name of ['read', 'write', 'close', 'rt_sigreturn', 'getpid', 'exit_group', 'openat', 'pipe2']) assert.is(decide(buf, X[name]), 'ALLOW', name);
  for (const name of ['mount', 'mkdir', 'socket', 'clone']) assert.is(decide(buf, X[name]), 'ERRNO(1)', name);
});

test('the assembler fixes jumps that a trampoline pushes out of range, repeatedly', () => {
  const asm = new Assembler();
  const a = asm.newLabel('a');
  const b = asm.newLabel('b');
  const mid = asm.newLabel('mid');
  const n1 = asm.newLabel('n1');
  asm.loadWord(0);
  asm.jump(BPF_JEQ, 1, n1, a); // `a` is exactly 255 away until the jump below grows a trampoline
  asm.place(n1);
  asm.jump(BPF_JEQ, 2, mid, b); // `b` is far: gets a trampoline, pushing `a` to 256
  asm.place(mid);
  for (let i = 0; i < 254; i++) asm.ret(0x7fff0000); // filler: ALLOW
  asm.place(a);
  asm.ret(0x00050000 | 11); // ERRNO(11)
  for (let i = 0; i < 300; i++) asm.ret(0x00050000 | 22);
  asm.place(b);
  asm.ret(0x00050000 | 33);
  const buf = serializeFilter(asm.assemble());
  verifyFilter(buf);
  const prog = decodeFilter(buf);
  assert.is(prog.filter((p) => p.code === 0x05).length, 2, 'both jumps needed a trampoline');
  assert.is(decide(buf, 0), 'ERRNO(11)'); // nr != 1 -> a
  assert.is(decide(buf, 1), 'ERRNO(33)'); // nr == 1, != 2 -> b
});

test('a profile too big for the kernel is a typed error naming the instruction count', () => {
  const rules = Array.from({ length: 1100 }, (_, i) => `{"names":["ioctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":${i},"op":"SCMP_CMP_EQ"}]}`);
  const text = `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[${rules.join(',')}]}`;
  try {
    compile(text);
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, SeccompProfileError);
    assert.match(error.message, /test\.json compiles to \d+ BPF instructions, more than the kernel's limit of 4096/);
    assert.is(error.exitCode, 125);
  }
});

test('actions encode as the kernel expects', () => {
  const buf = compile(readFileSync(new URL('../fixtures/seccomp/denylist.json', import.meta.url), 'utf8'));
  verifyFilter(buf);
  assert.is(decide(buf, X.read), 'ALLOW');
  assert.is(decide(buf, X.mkdir), 'ERRNO(13)');
  assert.is(decide(buf, X.mkdirat), 'ERRNO(13)');
  assert.is(decide(buf, X.reboot), 'KILL_PROCESS');
  assert.is(decide(buf, X.kexec_load), 'KILL_THREAD');
  assert.is(decide(buf, X.chmod), 'LOG');
  assert.is(decide(buf, X.swapon), 'TRAP');
  assert.is(decide(buf, X.ptrace), 'TRACE(7)');
  assert.is(runFilter(buf, { nr: X.reboot }).ret, 0x80000000);
  // With an allow-by-default profile, numbers the table lacks are left to the kernel (which says
  // ENOSYS itself), but x32 calls are still refused: the rules above never see their numbers.
  assert.is(decide(buf, 400), 'ALLOW');
  assert.is(decide(buf, 0x40000000 | X.mkdir), 'ERRNO(38)');
});

test.run();
