// slirp4netns as a container's network helper: it configures tap0 in the container's
// namespace (10.0.2.100/24, gateway 10.0.2.2 which reaches the host's loopback unless
// allow_host_loopback=false, DNS 10.0.2.3), says so on --ready-fd, quits when its
// --exit-fd closes (the container's owner holds the other end), and takes published
// ports over its API socket (add_hostfwd). Options after "slirp4netns:" are podman's:
// allow_host_loopback, enable_ipv6, mtu, outbound_addr, outbound_addr6.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Readable } from 'node:stream';
import { HxError } from '../errors.js';
import { readProcStat } from '../host/procstat.js';
import { HELPER_ADDRESSES, type HelperRecord, type PortForward } from './types.js';

export const SLIRP_SOCKET = 'slirp4netns.sock';

/** podman's slirp4netns options as slirp4netns flags. */
export function slirpOptionFlags(options: readonly string[]): string[] {
  const out: string[] = [];
  let loopback = true;
  let mtu = '65520';
  for (const opt of options) {
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const value = eq < 0 ? 'true' : opt.slice(eq + 1);
    const bool = (): boolean => {
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw new HxError(`slirp4netns option ${key}: ${JSON.stringify(value)} is not true or false`, { kind: 'invalid-argument' });
    };
    if (key === 'allow_host_loopback') loopback = bool();
    else if (key === 'enable_ipv6') {
      if (bool()) out.push('--enable-ipv6');
    } else if (key === 'mtu' && /^\d+$/.test(value)) mtu = value;
    else if (key === 'outbound_addr') out.push(`--outbound-addr=${value}`);
    else if (key === 'outbound_addr6') out.push(`--outbound-addr6=${value}`);
    else if (key === 'port_handler' && value === 'slirp4netns') continue;
    else throw new HxError(`unknown slirp4netns option ${JSON.stringify(opt)}`, { kind: 'invalid-argument', hint: 'use allow_host_loopback=, enable_ipv6=, mtu=, outbound_addr=, outbound_addr6=' });
  }
  if (!loopback) out.push('--disable-host-loopback');
  return [`--mtu=${mtu}`, ...out];
}

export function slirpArgs(netnsPath: string, options: readonly string[]): string[] {
  return ['--configure', ...slirpOptionFlags(options), `--api-socket=${SLIRP_SOCKET}`, '--exit-fd=3', '--ready-fd=4', '--netns-type=path', netnsPath, 'tap0'];
}

export interface SlirpStart {
  pid: number;
  forwards: readonly PortForward[];
  options: readonly string[];
  /** Holds the API socket (relative to it: socket paths are limited to 107 bytes). */
  runDir: string;
  logFile: string;
  /** The fd given to slirp4netns as --exit-fd: it quits when the other end closes. */
  exitFd: number | 'pipe';
}

/** A request on the API socket (one JSON object each way per connection). */
export function slirpApi(runDir: string, request: object): Promise<Record<string, unknown>> {
  const dirFd = openSync(runDir, 'r');
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    const sock = connect(`/proc/self/fd/${dirFd}/${SLIRP_SOCKET}`);
    let text = '';
    sock.once('connect', () => {
      closeSync(dirFd);
      sock.end(JSON.stringify(request));
    });
    sock.on('data', (b: Buffer) => (text += b.toString()));
    sock.once('error', (e) => {
      try {
        closeSync(dirFd);
      } catch {
        /* closed on connect */
      }
      reject(new HxError(`slirp4netns API: ${e.message}`, { kind: 'unavailable', cause: e }));
    });
    sock.once('close', () => {
      try {
        resolve(JSON.parse(text) as Record<string, unknown>);
      } catch {
        reject(new HxError(`slirp4netns API: unreadable answer ${JSON.stringify(text)}`, { kind: 'unavailable' }));
      }
    });
  });
}

export async function addHostForward(runDir: string, f: PortForward): Promise<void> {
  const r = await slirpApi(runDir, {
    execute: 'add_hostfwd',
    arguments: { proto: f.proto, host_addr: f.hostIp || '0.0.0.0', host_port: f.hostPort, guest_addr: HELPER_ADDRESSES.container, guest_port: f.containerPort },
  });
  const err = r.error as { desc?: string } | undefined;
  if (err) throw new HxError(`slirp4netns cannot forward ${f.proto} port ${f.hostPort}: ${err.desc ?? JSON.stringify(err)}`, { kind: 'unavailable' });
}

/** Start slirp4netns for the namespace of PID; resolves once the interface is up and the
 * ports forwarded. The returned stop end (with exitFd 'pipe') ends it when closed. */
export async function startSlirp(binary: string, s: SlirpStart): Promise<{ record: HelperRecord; lifetime?: { end(): void } }> {
  const args = slirpArgs(`/proc/${s.pid}/ns/net`, s.options);
  const log = openSync(s.logFile, 'a', 0o600);
  const child = spawn(binary, args, { cwd: s.runDir, stdio: ['ignore', log, log, s.exitFd, 'pipe'], detached: true });
  closeSync(log);
  const ready = child.stdio[4] as Readable;
  const up = await new Promise<boolean>((resolve) => {
    ready.once('data', () => resolve(true));
    ready.once('end', () => resolve(false));
    child.once('error', () => resolve(false));
    child.once('exit', () => resolve(false));
  });
  ready.destroy();
  const lifetime = s.exitFd === 'pipe' ? (child.stdio[3] as unknown as { end(): void; unref?(): void }) : undefined;
  lifetime?.unref?.();
  child.unref();
  const fail = async (why: string): Promise<never> => {
    lifetime?.end();
    if (child.exitCode === null) child.kill('SIGKILL');
    let text = '';
    try {
      text = readFileSync(s.logFile, 'utf8').trim().split('\n').slice(-3).join('; ');
    } catch {
      /* no log */
    }
    throw new HxError(`slirp4netns failed to set up the container's network: ${why}${text ? `: ${text}` : ''}`, { kind: 'unavailable', hint: `its command line: ${binary} ${args.join(' ')}` });
  };
  if (!up || child.pid === undefined) return fail('it exited before the interface was up');
  const st = readProcStat(child.pid);
  if (!st) return fail('it is gone');
  try {
    for (const f of s.forwards) await addHostForward(s.runDir, f);
  } catch (e) {
    return fail((e as Error).message);
  }
  const record: HelperRecord = { helper: 'slirp4netns', pid: child.pid, startTime: st.startTime, forwards: [...s.forwards], addresses: HELPER_ADDRESSES };
  return lifetime ? { record, lifetime } : { record };
}
