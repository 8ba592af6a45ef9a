// Docker's JSON profile format: what parses, and bad profiles as typed one-line errors (exit 125)
// that name the file and the problem.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatError } from '../../dist/cli/errors.js';
import {
  compileSeccomp, defaultProfile, loadProfile, parseProfile, SeccompProfileError,
} from '../../dist/runtime/seccomp/index.js';
import { X86_64_SYSCALLS as X } from '../../dist/runtime/seccomp/table-x86_64.js';
import { decide, verifyFilter } from '../fixtures/seccomp/bpf-interpreter.mjs';

const fixture = (name) => new URL(`../fixtures/seccomp/${name}`, import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'hx-seccomp-'));
const DOCKER_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];

/** The profile as docker writes it (bigints as JSON numbers). */
function toDockerJson(profile) {
  const { source, ...rest } = profile;
  void source;
  const text = JSON.stringify(rest, (_k, v) => (typeof v === 'bigint' ? `@@${v}@@` : v), 2);
  return text.replace(/"@@(\d+)@@"/g, '$1').replace(/"minKernel": \{\s*"major": (\d+),\s*"minor": (\d+)\s*\}/g, '"minKernel": "$1.$2"');
}

function expectError(run, pattern, hintPattern) {
  try {
    run();
  } catch (error) {
    assert.instance(error, SeccompProfileError);
    assert.is(error.exitCode, 125);
    assert.match(error.message, pattern);
    if (hintPattern) assert.match(error.hint ?? '', hintPattern);
    // The CLI prints it as one line plus the hint, exit 125.
    const { text, exitCode } = formatError(error);
    assert.is(exitCode, 125);
    assert.is(text.split('\n')[0], `hx: ${error.message}`);
    assert.not.match(error.message, /\n/);
    return error;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

test('the default profile written as docker JSON parses back to the same filter', () => {
  const path = join(tmp, 'default.json');
  writeFileSync(path, toDockerJson(defaultProfile()));
  for (const caps of [DOCKER_CAPS, [...DOCKER_CAPS, 'CAP_SYS_ADMIN'], []]) {
    const fromFile = compileSeccomp({ profile: { path }, capabilities: caps, arch: 'x86_64' });
    const builtIn = compileSeccomp({ profile: 'default', capabilities: caps, arch: 'x86_64' });
    assert.equal(fromFile, builtIn);
  }
  const parsed = loadProfile(path);
  assert.is(parsed.source, path);
  assert.is(parsed.defaultAction, 'SCMP_ACT_ERRNO');
  assert.is(parsed.defaultErrnoRet, 1);
  assert.is(parsed.syscalls.length, defaultProfile().syscalls.length);
});

test('fixture profiles parse: old single `name`, flags-free, i386-only names skipped', () => {
  const deny = loadProfile(fixture('denylist.json'));
  assert.is(deny.defaultAction, 'SCMP_ACT_ALLOW');
  assert.equal(deny.syscalls[1].names, ['reboot']);
  assert.equal(deny.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const args = loadProfile(fixture('args.json'));
  assert.is(args.syscalls.find((s) => s.names[0] === 'mmap').args[0].value, 18446744073709551615n);
  const buf = compileSeccomp({ profile: { path: fixture('args.json') }, capabilities: [], arch: 'x86_64' });
  verifyFilter(buf);
  assert.is(decide(buf, X.write), 'ALLOW');
});

test('a missing file, a directory', () => {
  expectError(() => loadProfile(join(tmp, 'nope.json')), /^seccomp profile .*nope\.json does not exist$/, /seccomp=unconfined/);
  expectError(() => compileSeccomp({ profile: { path: tmp }, capabilities: [] }), /is a directory/);
});

test('malformed JSON names the file and the line', () => {
  const e = expectError(() => loadProfile(fixture('malformed.json')), /malformed\.json: malformed JSON \(.*line 5/, /JSON syntax/);
  assert.match(e.message, /^seccomp profile \/.*\/malformed\.json: /);
  expectError(() => parseProfile('', 'empty.json'), /empty\.json: malformed JSON/);
  expectError(() => parseProfile('[1,2]', 'a.json'), /a\.json: the top level must be a JSON object/);
});

test('unknown action, operator, syscall name: each named with its place', () => {
  expectError(() => loadProfile(fixture('unknown-action.json')), /unknown-action\.json: syscalls\[0\]\.action: unknown action "SCMP_ACT_PERMIT"/, /SCMP_ACT_ALLOW/);
  expectError(() => loadProfile(fixture('unknown-op.json')), /unknown-op\.json: syscalls\[0\]\.args\[0\]\.op: unknown operator "SCMP_CMP_BETWEEN"/, /SCMP_CMP_MASKED_EQ/);
  expectError(() => loadProfile(fixture('unknown-syscall.json')), /unknown-syscall\.json: syscalls\[0\]\.names\[1\]: unknown syscall "opne"/);
  expectError(() => parseProfile('{"defaultAction":"SCMP_ACT_NOTIFY"}', 'n.json'), /defaultAction: unknown action "SCMP_ACT_NOTIFY" \(seccomp notify is not supported/);
  expectError(() => parseProfile('{"syscalls":[]}', 'd.json'), /d\.json: defaultAction: unknown action undefined/);
});

test('wrong shapes and values', () => {
  const bad = [
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":{}}', /syscalls: must be an array/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":[],"action":"SCMP_ACT_ALLOW"}]}', /syscalls\[0\]: has no syscall names/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":"read","action":"SCMP_ACT_ALLOW"}]}', /syscalls\[0\]\.names: must be an array of strings/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"read","names":["write"],"action":"SCMP_ACT_ALLOW"}]}', /syscalls\[0\]: both 'name' and 'names'/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}', /syscalls\[0\]\.args\[0\]\.index: must be an argument index 0-5, got 6/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":-1,"op":"SCMP_CMP_EQ"}]}]}', /syscalls\[0\]\.args\[0\]\.value: must be an unsigned 64-bit integer, got -1/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1.5,"op":"SCMP_CMP_EQ"}]}]}', /syscalls\[0\]\.args\[0\]\.value: must be an unsigned 64-bit integer, got 1\.5/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551616,"op":"SCMP_CMP_EQ"}]}]}', /syscalls\[0\]\.args\[0\]\.value: 18446744073709551616 does not fit in 64 bits/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","errnoRet":1}]}', /syscalls\[0\]\.errnoRet: is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":70000}', /defaultErrnoRet: must be an integer 0-65535/],
    ['{"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":1}', /defaultErrnoRet: is only valid with/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}', /'architectures' and 'archMap' are both given/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","architectures":["x86_64"]}', /architectures\[0\]: unknown architecture "x86_64"/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","flags":["SECCOMP_FILTER_FLAG_NOPE"]}', /flags\[0\]: unknown flag/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4"}}]}', /syscalls\[0\]\.includes\.minKernel: must be a kernel version like "4\.8"/],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","excludes":{"caps":"CAP_SYS_ADMIN"}}]}', /syscalls\[0\]\.excludes\.caps: must be an array of strings/],
  ];
  for (const [text, pattern] of bad) expectError(() => parseProfile(text, 'p.json'), new RegExp(`^seccomp profile p\\.json: ${pattern.source}`));
});

test('names of other arches are accepted and skipped; unknown top-level keys are ignored', () => {
  const p = parseProfile('{"defaultAction":"SCMP_ACT_ERRNO","someFutureKey":{"x":1},"syscalls":[{"names":["socketcall","s390_runtime_instr","arm_fadvise64_64","riscv_flush_icache","read"],"action":"SCMP_ACT_ALLOW","comment":"x"}]}', 'p.json');
  assert.is(p.syscalls[0].comment, 'x');
  const path = join(tmp, 'other.json');
  writeFileSync(path, toDockerJson(p));
  const buf = compileSeccomp({ profile: { path }, capabilities: [], arch: 'x86_64' });
  assert.is(decide(buf, X.read), 'ALLOW');
  assert.is(decide(buf, X.write), 'ERRNO(1)');
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();
