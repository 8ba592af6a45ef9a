// The published UDP ports of a container with pasta, relayed by build/hx-udprelay
// (native/udprelay/main.c): pasta 2023-03 (Debian 12) splices UDP from the host's loopback
// into the namespace and loses the answers (the container's server gets the datagram, the
// client nothing: reproduced with pasta alone), so hx gives pasta the TCP ports only. The
// relay binds the host ports, then enters the container's network namespace (passed as fd 3,
// for the reason pasta gets it so: the ptrace rule) and sends each client's datagrams from a
// socket of its own to 127.0.0.1:PORT there. The container sees 127.0.0.1 as every client's
// address, as with pasta's splice. Recorded in the helper's record; stopped with the helper.
import { closeSync, existsSync, openSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { HxError } from '../errors.js';
import { readProcStat } from '../host/procstat.js';
import { buildDir } from '../sys/install.js';
import type { PortForward } from './types.js';

export interface RelayRecord {
  pid: number;
  startTime: string;
}

/** The relay of FORWARDS (UDP) into the namespace of PID; resolves once it is bound and in. */
export async function startUdpRelay(pid: number, forwards: readonly PortForward[], logFile: string): Promise<RelayRecord> {
  const bin = join(buildDir(), 'hx-udprelay');
  if (!existsSync(bin)) throw new HxError(`${bin} is missing`, { kind: 'host-setup', hint: 'build hx again (npm run build)' });
  let nsFd: number;
  try {
    nsFd = openSync(`/proc/${pid}/ns/net`, 'r');
  } catch (e) {
    throw new HxError(`cannot open the network namespace for the published UDP ports: ${(e as Error).message}`, { kind: 'unavailable' });
  }
  const log = openSync(logFile, 'a', 0o600);
  let child;
  try {
    // its container's pid: it ends with it, also when the hx that started it was killed
    const args = [String(pid), ...forwards.flatMap((f) => [f.hostIp, String(f.hostPort), String(f.containerPort)])];
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
    throw new HxError('the relay of the published UDP ports failed to start', { kind: 'unavailable', hint: `read ${logFile}` });
  }
  return { pid: child.pid!, startTime: st.startTime };
}
