// Outbound access for user networks (rootless): one pasta attached to hx's held network
// namespace, as rootless podman does. pasta's tap (hxtap0) gets HELPER_ADDRESSES (10.0.2.100,
// default route via 10.0.2.2, which pasta maps to the host's loopback), the namespace routes
// between its bridges and the tap (ip_forward), and iptables there masquerades what leaves
// through the tap. FORWARD's policy is DROP: a network's bridge gets its accept rule to the
// tap only when it is not --internal, so neither internal networks nor one network to
// another are routed. iptables only ever runs inside the held namespace (nsenter --net).
// pasta is started with the namespace and stopped before it is released (the record in
// RUNTIME/networks/outbound.json: pid and start time, never a recycled pid).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HxError } from '../errors.js';
import { processAlive, readProcStat } from '../host/procstat.js';
import { signalPid } from '../sys/spawn.js';
import { checkTun, helperBinary } from './helper.js';
import { firewall } from './firewall.js';
import { inNetns } from './netns.js';
import { HELPER_ADDRESSES } from './types.js';

/** pasta's interface in the held namespace. */
export const OUTBOUND_IFNAME = 'hxtap0';
const RECORD = 'outbound.json';

interface OutboundRecord {
  pid: number;
  startTime: string;
}

function readRecord(plane: string): OutboundRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(plane, RECORD), 'utf8')) as OutboundRecord;
  } catch {
    return undefined;
  }
}

/** Whether the held namespace's pasta (recorded in PLANE) runs. */
export function outboundAlive(plane: string): boolean {
  const rec = readRecord(plane);
  return rec !== undefined && processAlive(rec.pid, rec.startTime);
}

/** pasta for the held namespace NS, routing and masquerade in it (call under the plane lock;
 * nothing when it already runs). */
export async function ensureOutbound(plane: string, ns: string): Promise<void> {
  if (outboundAlive(plane)) return;
  checkTun();
  const binary = helperBinary('pasta');
  // routing first: FORWARD drops until a bridge is allowed out
  const fwd = inNetns(ns, ['sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
  if (fwd.status !== 0) throw new HxError(`cannot enable forwarding in hx's network namespace: ${fwd.stderr.trim()}`, { kind: 'unavailable' });
  firewall().heldBase(ns, OUTBOUND_IFNAME);
  const pidFile = join(plane, 'pasta.pid');
  rmSync(pidFile, { force: true });
  const a = HELPER_ADDRESSES;
  const { startPastaOn } = await import('./pasta.js');
  const pid = await startPastaOn(binary, ns, {
    args: ['--config-net', '--quiet', '-4', '--pid', pidFile, '--log-file', join(plane, 'pasta.log'), '--address', a.container, '--netmask', String(a.prefixLength), '--gateway', a.gateway, '--dns-forward', a.dns, '-I', OUTBOUND_IFNAME, '-t', 'none', '-u', 'none', '-T', 'none', '-U', 'none', '--no-netns-quit'],
    pidFile,
    what: "hx's network namespace (outbound access of user networks)",
  });
  const st = readProcStat(pid);
  if (!st) throw new HxError('pasta for user networks started but is gone', { kind: 'unavailable', hint: `read ${join(plane, 'pasta.log')}` });
  writeFileSync(join(plane, RECORD), JSON.stringify({ pid, startTime: st.startTime } satisfies OutboundRecord), { mode: 0o600 });
}

/** BRIDGE's containers reach each other, and out through pasta unless INTERNAL. */
export function allowBridge(ns: string, bridge: string, internal: boolean): void {
  firewall().heldAllowBridge(ns, bridge, OUTBOUND_IFNAME, internal);
}

/** BRIDGE's accept rules gone (its network removed while the namespace stays held). */
export function dropBridge(ns: string, bridge: string): void {
  firewall().heldDropBridge(ns, bridge, OUTBOUND_IFNAME);
}

/** A pasta whose start was cut short (hx killed before outbound.json was written): named by
 * its pid file, and only if that pid's command line is the one hx gave it (not a reused pid). */
function startedPasta(plane: string): OutboundRecord | undefined {
  const pidFile = join(plane, 'pasta.pid');
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!(pid > 0) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(pidFile)) return undefined;
    const st = readProcStat(pid);
    return st ? { pid, startTime: st.startTime } : undefined;
  } catch {
    return undefined;
  }
}

/** Stop the held namespace's pasta (before the namespace is released). */
export function stopOutbound(plane: string): void {
  const rec = readRecord(plane) ?? startedPasta(plane);
  if (rec && processAlive(rec.pid, rec.startTime)) {
    try {
      signalPid(rec.pid, rec.startTime, 9);
    } catch {
      /* gone meanwhile */
    }
  }
  rmSync(join(plane, RECORD), { force: true });
  rmSync(join(plane, 'pasta.pid'), { force: true });
}
