// The published ports no helper forwards, relayed by build/hx-portrelay
// (native/portrelay/main.c), docker-proxy's job: UDP with pasta 2023-03 (Debian 12), which
// splices UDP from the host's loopback into the namespace and loses the answers (the
// container's server gets the datagram, the client nothing: reproduced with pasta alone); and
// IPv6 host addresses where the container has IPv4 only (slirp4netns 1.2 forwards IPv4 host
// addresses only; the rootful firewall's DNAT cannot turn IPv6 into IPv4). The relay binds the
// host ports, then enters the container's network namespace (passed as fd 3, for the reason
// pasta gets it so: the ptrace rule) and connects each client to 127.0.0.1:PORT there; the
// container sees 127.0.0.1 as every client, as with pasta's splice. It ends with the
// container's first process; its record is kept with the helper's (or the bridge's).
import { closeSync, existsSync, openSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { HxError } from '../errors.js';
import { processAlive, readProcStat } from '../host/procstat.js';
import { signalPid } from '../sys/spawn.js';
import { buildDir } from '../sys/install.js';
import type { PortForward } from './types.js';

export interface RelayRecord {
  pid: number;
  startTime: string;
}

/** A forward on an IPv6 host address (the container's side is IPv4). */
export const onIPv6 = (f: PortForward): boolean => f.hostIp.includes(':');

/** The relay of FORWARDS into the namespace of PID; resolves once it is bound and in. */
export async function startPortRelay(pid: number, forwards: readonly PortForward[], logFile: string): Promise<RelayRecord> {
  const bin = join(buildDir(), 'hx-portrelay');
  if (!existsSync(bin)) throw new HxError(`${bin} is missing`, { kind: 'host-setup', hint: 'build hx again (npm run build)' });
  let nsFd: number;
  try {
    nsFd = openSync(`/proc/${pid}/ns/net`, 'r');
  } catch (e) {
    throw new HxError(`cannot open the network namespace for the published ports: ${(e as Error).message}`, { kind: 'unavailable' });
  }
  const log = openSync(logFile, 'a', 0o600);
  let child;
  try {
    // its container's pid: it ends with it, also when the hx that started it was killed
    const args = [String(pid), ...forwards.flatMap((f) => [f.proto, f.hostIp, String(f.hostPort), String(f.containerPort)])];
    child = spawn(bin, args, { detached: true, stdio: ['ignore', 'pipe', log, nsFd] });
  } finally {
    closeSync(nsFd);
    closeSync(log);
  }
  const ready = await new Promise<boolean>((resolve) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready\n')) resolve(true);
    });
    child.once('error', () => resolve(false));
    child.once('exit', () => resolve(false));
  });
  child.stdout!.destroy();
  child.unref();
  const st = child.pid !== undefined ? readProcStat(child.pid) : undefined;
  if (!ready || !st) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw new HxError('the relay of the published ports failed to start', { kind: 'unavailable', hint: `read ${logFile}` });
  }
  return { pid: child.pid!, startTime: st.startTime };
}

function signalQuietly(r: RelayRecord, signal: number): void {
  try {
    signalPid(r.pid, r.startTime, signal);
  } catch {
    /* gone meanwhile */
  }
}

/** The relay R stopped; it holds host ports, so it is waited for (up to a second: it has no
 * tap, its exit is quick). */
export async function stopPortRelay(r: RelayRecord | undefined): Promise<void> {
  if (!r || !processAlive(r.pid, r.startTime)) return;
  signalQuietly(r, 15);
  const deadline = Date.now() + 1000;
  for (let delay = 1; Date.now() < deadline && processAlive(r.pid, r.startTime); delay = Math.min(delay * 2, 10)) await new Promise((res) => setTimeout(res, delay));
  if (processAlive(r.pid, r.startTime)) signalQuietly(r, 9);
}

/** The sweep's stop (it cannot wait). */
export function killPortRelay(r: RelayRecord | undefined): void {
  if (r && processAlive(r.pid, r.startTime)) signalQuietly(r, 9);
}
