// A container's network helper from start to stop: /dev/net/tun checked first (both
// helpers need it, and a 0600 node on hosts without udev makes them fail cryptically),
// the helper started against /proc/PID/ns/net, its pid and ports recorded in
// DIR/network.json, and stopped by pid + start time (never a recycled pid).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HxError } from '../errors.js';
import { canOpenDevice } from '../host/probes.js';
import { findInPath } from '../host/which.js';
import { processAlive } from '../host/procstat.js';
import { signalPid } from '../sys/spawn.js';
import { killPortRelay, onIPv6, startPortRelay, stopPortRelay } from './portrelay.js';
import { HELPER_ADDRESSES, type HelperRecord, type PortForward } from './types.js';

export const NETWORK_RECORD = 'network.json';

/** /dev/net/tun must be usable by this user, or no helper can make the container's interface. */
export function checkTun(path = '/dev/net/tun'): void {
  const d = canOpenDevice(path);
  if (d.usable) return;
  throw new HxError(`${path} is ${d.exists ? `mode ${d.mode}, not usable by you` : 'missing'}: pasta and slirp4netns cannot create the container's interface`, {
    kind: 'host-setup',
    hint: d.exists
      ? `sudo chmod 0666 ${path} (hosts without udev leave it 0600; a udev rule makes it last: KERNEL=="tun", MODE="0666")`
      : 'sudo modprobe tun',
  });
}

export function helperBinary(helper: 'pasta' | 'slirp4netns'): string {
  const path = findInPath(helper);
  if (!path) throw new HxError(`${helper} is not installed`, { kind: 'host-setup', hint: helper === 'pasta' ? 'sudo apt-get install passt' : 'sudo apt-get install slirp4netns' });
  return path;
}

export interface HelperStart {
  helper: 'pasta' | 'slirp4netns';
  /** The container's pid 1 (its /proc/PID/ns/net is the namespace to connect). */
  pid: number;
  forwards: readonly PortForward[];
  options: readonly string[];
  /** containers/<id>: network.json, the helper's log. */
  dir: string;
  /** RUNTIME/containers/<id>: pid file, API socket. */
  runDir: string;
  /** slirp4netns' --exit-fd: an inherited fd (the monitor holds its other end), or 'pipe'. */
  exitFd?: number | 'pipe';
}

export interface StartedHelper {
  record: HelperRecord;
  /** Ends a slirp4netns started with exitFd 'pipe'. */
  lifetime?: { end(): void };
}

export async function startHelper(s: HelperStart): Promise<StartedHelper> {
  checkTun();
  const binary = helperBinary(s.helper);
  const logFile = join(s.dir, `${s.helper}.log`);
  let started: StartedHelper;
  if (s.helper === 'pasta') {
    const { startPasta } = await import('./pasta.js');
    const pidFile = join(s.runDir, 'pasta.pid');
    rmSync(pidFile, { force: true });
    // pasta 2023-03 loses the answers of UDP from the host's loopback: its UDP ports are relayed
    started = { record: await withRelay(s, (f) => f.proto === 'udp', (rest) => startPasta(binary, { pid: s.pid, forwards: rest, addresses: HELPER_ADDRESSES, options: s.options, pidFile, logFile })) };
  } else {
    const { startSlirp } = await import('./slirp4netns.js');
    // slirp4netns 1.2 forwards IPv4 host addresses only
    let lifetime: StartedHelper['lifetime'];
    const record = await withRelay(s, onIPv6, async (rest) => {
      const r = await startSlirp(binary, { pid: s.pid, forwards: rest, options: s.options, runDir: s.runDir, logFile, exitFd: s.exitFd ?? 'pipe' });
      lifetime = r.lifetime;
      return r.record;
    });
    started = lifetime ? { record, lifetime } : { record };
  }
  writeFileSync(join(s.dir, NETWORK_RECORD), JSON.stringify(started.record), { mode: 0o600 });
  return started;
}

/** The published ports of a container on user networks (pasta into its namespace, ports
 * only), recorded in DIR/network.json like a helper: hx port, inspect and the stop read it. */
export async function startPortsHelper(s: { pid: number; forwards: readonly PortForward[]; dir: string; runDir: string }): Promise<HelperRecord> {
  checkTun();
  const binary = helperBinary('pasta');
  const { startPortsPasta } = await import('./pasta.js');
  const pidFile = join(s.runDir, 'pasta.pid');
  rmSync(pidFile, { force: true });
  const record = await withRelay(s, (f) => f.proto === 'udp', (rest) => startPortsPasta(binary, { pid: s.pid, forwards: rest, pidFile, logFile: join(s.dir, 'pasta.log') }));
  writeFileSync(join(s.dir, NETWORK_RECORD), JSON.stringify(record), { mode: 0o600 });
  return record;
}

/** The helper started (START) with the forwards it can do, the RELAYED ones given to
 * hx-portrelay (net/portrelay.ts); the record has them all. Whichever fails, the other goes. */
async function withRelay(s: { pid: number; forwards: readonly PortForward[]; dir: string }, relayed: (f: PortForward) => boolean, start: (rest: PortForward[]) => Promise<HelperRecord>): Promise<HelperRecord> {
  const mine = s.forwards.filter(relayed);
  const rest = s.forwards.filter((f) => !relayed(f));
  if (!mine.length) return start(rest);
  const relay = await startPortRelay(s.pid, mine, join(s.dir, 'portrelay.log'));
  try {
    const record = await start(rest);
    return { ...record, forwards: [...s.forwards], relay };
  } catch (e) {
    killPortRelay(relay);
    throw e;
  }
}

export function readHelperRecord(dir: string): HelperRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, NETWORK_RECORD), 'utf8')) as HelperRecord;
  } catch {
    return undefined;
  }
}

/** Is the helper recorded in DIR still running? */
export function helperAlive(rec: HelperRecord | undefined): boolean {
  return rec !== undefined && processAlive(rec.pid, rec.startTime);
}

/** Stop the helper DIR records (if it still runs); if it held host ports, wait up to a second
 * for it to go, so they are free again. Its exit waits in the kernel for its tap device's
 * unregistering (10-30 ms here): without ports nothing needs that, so nothing waits for it. */
export async function stopHelper(dir: string): Promise<void> {
  const kill = signalPid;
  const rec = readHelperRecord(dir);
  if (rec && processAlive(rec.pid, rec.startTime)) {
    try {
      kill(rec.pid, rec.startTime, 15);
    } catch {
      /* gone meanwhile */
    }
    const deadline = Date.now() + 1000;
    // polled from 1 ms up: most of a helper's exit is one RCU grace period or two
    for (let delay = 1; rec.forwards.length && Date.now() < deadline && processAlive(rec.pid, rec.startTime); delay = Math.min(delay * 2, 10)) {
      await new Promise((r) => setTimeout(r, delay));
    }
    if (rec.forwards.length && processAlive(rec.pid, rec.startTime)) {
      try {
        kill(rec.pid, rec.startTime, 9);
      } catch {
        /* gone */
      }
    }
  }
  await stopPortRelay(rec?.relay);
  // a stopped container publishes nothing (docker shows no ports for it either)
  rmSync(join(dir, NETWORK_RECORD), { force: true });
}

/** The sweep's stop (it cannot wait): SIGKILL to the recorded helper, if it still runs. */
export function killHelperNow(dir: string): void {
  const rec = readHelperRecord(dir);
  killPortRelay(rec?.relay);
  if (rec && processAlive(rec.pid, rec.startTime)) {
    try {
      signalPid(rec.pid, rec.startTime, 9);
    } catch {
      /* gone */
    }
  }
  rmSync(join(dir, NETWORK_RECORD), { force: true });
}
