// Docker's seccomp profile format (`--security-opt seccomp=FILE.json`): the types and a strict
// parser. Unknown keys are ignored as docker's Go decoder does; known keys with a wrong type, an
// unknown action, operator, architecture or syscall name are errors that name the file and the spot.
import { readFileSync } from 'node:fs';
import { SeccompProfileError } from './errors.js';
import { isKnownSyscallName } from './tables.js';

export const SECCOMP_ACTIONS = [
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_LOG',
] as const;
export type SeccompActionName = (typeof SECCOMP_ACTIONS)[number];

export const SECCOMP_OPERATORS = [
  'SCMP_CMP_EQ',
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_GT',
  'SCMP_CMP_GE',
  'SCMP_CMP_MASKED_EQ',
] as const;
export type SeccompOperator = (typeof SECCOMP_OPERATORS)[number];

/** libseccomp architecture names accepted in `architectures` and `archMap`. */
export const SECCOMP_ARCHES = [
  'SCMP_ARCH_NATIVE', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV32', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
] as const;

/** Filter flags of seccomp(2) that runc accepts in a profile's `flags`. */
export const SECCOMP_FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
] as const;

export interface SeccompArg {
  index: number;
  value: bigint;
  valueTwo: bigint;
  op: SeccompOperator;
}

/** `includes` / `excludes`: caps are CAP_-prefixed upper case; arches are Go names (amd64, arm64, ...). */
export interface SeccompFilter {
  caps: string[];
  arches: string[];
  minKernel?: { major: number; minor: number };
}

export interface SeccompSyscallRule {
  names: string[];
  action: SeccompActionName;
  errnoRet?: number;
  args: SeccompArg[];
  includes: SeccompFilter;
  excludes: SeccompFilter;
  comment?: string;
}

export interface SeccompArchMapEntry {
  architecture: string;
  subArchitectures: string[];
}

export interface SeccompProfile {
  /** The file it came from, or a label such as "the default profile"; used in messages. */
  source: string;
  defaultAction: SeccompActionName;
  defaultErrnoRet?: number;
  architectures: string[];
  archMap: SeccompArchMapEntry[];
  flags: string[];
  syscalls: SeccompSyscallRule[];
}

const MAX_U64 = (1n << 64n) - 1n;
// JSON.parse turns integers above 2^53 into inexact doubles; such literals are rewritten to
// strings with this prefix before parsing so argument values keep all 64 bits.
const BIG_PREFIX = '\u0000u64:';

export function loadProfile(path: string): SeccompProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(error)})`;
    throw new SeccompProfileError(`seccomp profile ${path} ${why}`, 'pass --security-opt seccomp=FILE.json with a readable docker seccomp profile, or seccomp=unconfined');
  }
  return parseProfile(text, path);
}

export function parseProfile(text: string, source: string): SeccompProfile {
  const fail = (where: string, problem: string, hint?: string): never => {
    throw new SeccompProfileError(`seccomp profile ${source}: ${where ? `${where}: ` : ''}${problem}`, hint ?? 'see docker\'s seccomp profile format (moby profiles/seccomp/default.json)');
  };
  let raw: unknown;
  const protectedText = protectBigIntegers(text);
  try {
    raw = JSON.parse(protectedText);
  } catch (error) {
    fail('', `malformed JSON (${describeJsonError(error, protectedText)})`, 'fix the JSON syntax of the file');
  }
  if (!isObject(raw)) return fail('', 'the top level must be a JSON object');

  const defaultAction = parseAction(raw.defaultAction, 'defaultAction', fail, true)!;
  const defaultErrnoRet = optionalErrno(raw.defaultErrnoRet, 'defaultErrnoRet', fail);
  const architectures = stringList(raw.architectures, 'architectures', fail);
  for (const [i, a] of architectures.entries()) checkArch(a, `architectures[${i}]`, fail);
  const archMap: SeccompArchMapEntry[] = [];
  if (raw.archMap !== undefined && raw.archMap !== null) {
    if (!Array.isArray(raw.archMap)) fail('archMap', 'must be an array');
    for (const [i, entry] of (raw.archMap as unknown[]).entries()) {
      const where = `archMap[${i}]`;
      if (!isObject(entry)) return fail(where, 'must be an object');
      if (typeof entry.architecture !== 'string') return fail(`${where}.architecture`, 'must be a string');
      checkArch(entry.architecture, `${where}.architecture`, fail);
      const subArchitectures = stringList(entry.subArchitectures, `${where}.subArchitectures`, fail);
      for (const [j, a] of subArchitectures.entries()) checkArch(a, `${where}.subArchitectures[${j}]`, fail);
      archMap.push({ architecture: entry.architecture, subArchitectures });
    }
  }
  if (architectures.length > 0 && archMap.length > 0) {
    fail('', "'architectures' and 'archMap' are both given", "use either 'architectures' or 'archMap', as docker requires");
  }
  const flags = stringList(raw.flags, 'flags', fail);
  for (const [i, f] of flags.entries()) {
    if (!(SECCOMP_FLAGS as readonly string[]).includes(f)) fail(`flags[${i}]`, `unknown flag ${JSON.stringify(f)}`, `known flags: ${SECCOMP_FLAGS.join(', ')}`);
  }
  if (raw.listenerPath !== undefined && raw.listenerPath !== '') {
    fail('listenerPath', 'seccomp notify listeners are not supported by hx');
  }

  const syscalls: SeccompSyscallRule[] = [];
  if (raw.syscalls !== undefined && raw.syscalls !== null) {
    if (!Array.isArray(raw.syscalls)) fail('syscalls', 'must be an array');
    for (const [i, entry] of (raw.syscalls as unknown[]).entries()) syscalls.push(parseRule(entry, `syscalls[${i}]`, fail));
  }
  const profile: SeccompProfile = { source, defaultAction, architectures, archMap, flags, syscalls };
  if (defaultErrnoRet !== undefined) {
    if (defaultAction !== 'SCMP_ACT_ERRNO' && defaultAction !== 'SCMP_ACT_TRACE') {
      fail('defaultErrnoRet', `is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${defaultAction}`);
    }
    profile.defaultErrnoRet = defaultErrnoRet;
  }
  return profile;
}

type Fail = (where: string, problem: string, hint?: string) => never;

function parseRule(entry: unknown, where: string, fail: Fail): SeccompSyscallRule {
  if (!isObject(entry)) return fail(where, 'must be an object');
  const names = stringList(entry.names, `${where}.names`, fail);
  if (entry.name !== undefined && entry.name !== '') {
    if (typeof entry.name !== 'string') fail(`${where}.name`, 'must be a string');
    if (names.length > 0) fail(where, "both 'name' and 'names' are given", "use 'names' only");
    names.push(entry.name as string);
  }
  if (names.length === 0) fail(where, "has no syscall names ('names' is empty)");
  for (const [i, name] of names.entries()) {
    if (!isKnownSyscallName(name)) {
      fail(`${where}.names[${i}]`, `unknown syscall ${JSON.stringify(name)}`, 'names are those of the kernel syscall tables (e.g. openat, clone3); check the spelling');
    }
  }
  const action = parseAction(entry.action, `${where}.action`, fail, true)!;
  const errnoRet = optionalErrno(entry.errnoRet, `${where}.errnoRet`, fail);
  if (errnoRet !== undefined && action !== 'SCMP_ACT_ERRNO' && action !== 'SCMP_ACT_TRACE') {
    fail(`${where}.errnoRet`, `is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${action}`);
  }
  const args: SeccompArg[] = [];
  if (entry.args !== undefined && entry.args !== null) {
    if (!Array.isArray(entry.args)) fail(`${where}.args`, 'must be an array');
    for (const [i, a] of (entry.args as unknown[]).entries()) args.push(parseArg(a, `${where}.args[${i}]`, fail));
  }
  const rule: SeccompSyscallRule = {
    names,
    action,
    args,
    includes: parseFilter(entry.includes, `${where}.includes`, fail),
    excludes: parseFilter(entry.excludes, `${where}.excludes`, fail),
  };
  if (errnoRet !== undefined) rule.errnoRet = errnoRet;
  if (typeof entry.comment === 'string' && entry.comment) rule.comment = entry.comment;
  return rule;
}

function parseArg(a: unknown, where: string, fail: Fail): SeccompArg {
  if (!isObject(a)) return fail(where, 'must be an object');
  const index = a.index;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) {
    fail(`${where}.index`, `must be an argument index 0-5, got ${JSON.stringify(index)}`);
  }
  if (typeof a.op !== 'string' || !(SECCOMP_OPERATORS as readonly string[]).includes(a.op)) {
    fail(`${where}.op`, `unknown operator ${JSON.stringify(a.op)}`, `operators: ${SECCOMP_OPERATORS.join(', ')}`);
  }
  return {
    index: index as number,
    value: u64(a.value, `${where}.value`, fail),
    valueTwo: a.valueTwo === undefined ? 0n : u64(a.valueTwo, `${where}.valueTwo`, fail),
    op: a.op as SeccompOperator,
  };
}

function parseFilter(f: unknown, where: string, fail: Fail): SeccompFilter {
  const filter: SeccompFilter = { caps: [], arches: [] };
  if (f === undefined || f === null) return filter;
  if (!isObject(f)) return fail(where, 'must be an object');
  filter.caps = stringList(f.caps, `${where}.caps`, fail).map(normalizeCapability);
  filter.arches = stringList(f.arches, `${where}.arches`, fail);
  if (f.minKernel !== undefined && f.minKernel !== null && f.minKernel !== '') {
    const m = typeof f.minKernel === 'string' ? /^(\d+)\.(\d+)$/.exec(f.minKernel) : null;
    if (!m) return fail(`${where}.minKernel`, `must be a kernel version like "4.8", got ${JSON.stringify(f.minKernel)}`);
    filter.minKernel = { major: Number(m[1]), minor: Number(m[2]) };
  }
  return filter;
}

function parseAction(value: unknown, where: string, fail: Fail, required: boolean): SeccompActionName | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || !(SECCOMP_ACTIONS as readonly string[]).includes(value)) {
    const notify = value === 'SCMP_ACT_NOTIFY' ? ' (seccomp notify is not supported by hx)' : '';
    return fail(where, `unknown action ${JSON.stringify(value)}${notify}`, `actions: ${SECCOMP_ACTIONS.join(', ')}`);
  }
  return value as SeccompActionName;
}

function optionalErrno(value: unknown, where: string, fail: Fail): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff) {
    return fail(where, `must be an integer 0-65535, got ${JSON.stringify(value)}`);
  }
  return value;
}

function u64(value: unknown, where: string, fail: Fail): bigint {
  if (typeof value === 'string' && value.startsWith(BIG_PREFIX)) {
    const big = BigInt(value.slice(BIG_PREFIX.length));
    if (big > MAX_U64) fail(where, `${big} does not fit in 64 bits`);
    return big;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    return fail(where, `must be an unsigned 64-bit integer, got ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

function stringList(value: unknown, where: string, fail: Fail): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return fail(where, 'must be an array of strings');
  return [...(value as string[])];
}

function checkArch(name: string, where: string, fail: Fail): void {
  if (!(SECCOMP_ARCHES as readonly string[]).includes(name)) {
    fail(where, `unknown architecture ${JSON.stringify(name)}`, 'architectures are libseccomp names such as SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64');
  }
}

/** "sys_admin", "SYS_ADMIN" and "CAP_SYS_ADMIN" all name CAP_SYS_ADMIN. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rewrites integer literals too big for a double (outside strings) into prefixed strings. */
function protectBigIntegers(text: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c !== '-' && (c < '0' || c > '9')) continue;
    let j = i + 1;
    while (j < text.length && /[0-9.eE+-]/.test(text[j]!)) j++;
    const literal = text.slice(i, j);
    if (/^\d{16,}$/.test(literal)) {
      out += `${text.slice(last, i)}"\\u0000u64:${literal}"`;
      last = j;
    }
    i = j - 1;
  }
  return last === 0 ? text : out + text.slice(last);
}

function describeJsonError(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const m = /position (\d+)/.exec(message);
  if (!m) return message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${column}`;
}
