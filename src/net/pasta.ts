// pasta (Debian's passt package) as a container's network helper: told the addresses
// (so both helpers give the container the same view: 10.0.2.100, gateway 10.0.2.2 mapped
// to the host's loopback, DNS forwarder 10.0.2.3), the published ports as -t/-u specs,
// and nothing else forwarded (-T none -U none: the container cannot reach the host's
// other loopback ports but through the gateway). pasta daemonizes once its ports are
// bound and the interface is configured; the pid file names the daemon. It does not quit
// when a /proc/PID/ns/net namespace goes away (checked with 2023-03), so whoever ends
// the container stops it (helper.ts stopHelper). The namespace is passed as an fd.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { HxError } from '../errors.js';
import { readProcStat } from '../host/procstat.js';
import type { HelperRecord, NetworkAddresses, PortForward } from './types.js';

export interface PastaArgsInput {
  netnsPath: string;
  forwards: readonly PortForward[];
  addresses: NetworkAddresses;
  /** --network pasta:OPTIONS, appended as given (podman does the same). */
  options: readonly string[];
  pidFile: string;
  logFile: string;
}

function spec(f: PortForward): string {
  return `${f.hostIp ? `${f.hostIp}/` : ''}${f.hostPort}:${f.containerPort}`;
}

export function pastaArgs(inp: PastaArgsInput): string[] {
  const a = inp.addresses;
  const args = ['--config-net', '--quiet', '--pid', inp.pidFile, '--log-file', inp.logFile];
  args.push('--address', a.container, '--netmask', String(a.prefixLength), '--gateway', a.gateway, '--dns-forward', a.dns);
  for (const proto of ['tcp', 'udp'] as const) {
    const flag = proto === 'tcp' ? '-t' : '-u';
    const list = inp.forwards.filter((f) => f.proto === proto);
    if (list.length === 0) args.push(flag, 'none');
    for (const f of list) args.push(flag, spec(f));
  }
  args.push('-T', 'none', '-U', 'none', ...inp.options, '--no-netns-quit', '--netns', inp.netnsPath);
  return args;
}

/** Start pasta for the namespace of PID; resolves once it is up (ports bound). */
export async function startPasta(binary: string, inp: Omit<PastaArgsInput, 'netnsPath'> & { pid: number }): Promise<HelperRecord> {
  const args = pastaArgs({ ...inp, netnsPath: '/proc/self/fd/3' }).slice(0, -2);
  const pid = await startPastaOn(binary, `/proc/${inp.pid}/ns/net`, { args, pidFile: inp.pidFile, what: "the container's network" });
  const st = readProcStat(pid);
  if (!st) throw new HxError('pasta started but is gone', { kind: 'unavailable', hint: `read ${inp.logFile}` });
  return { helper: 'pasta', pid, startTime: st.startTime, forwards: [...inp.forwards], addresses: inp.addresses };
}

/** pasta's tap in a container on user networks (its eth0.. are veths): published ports only. */
export const PORTS_IFNAME = 'hxports0';
/** The tap's addresses: link-local, so no user network's subnet can hold them. */
const PORTS_ADDRESS = '169.254.1.2';
const PORTS_GATEWAY = '169.254.1.1';
const PORTS_TABLE = '169';

/** The published ports of a container on user networks: a pasta into its own namespace that
 * configures nothing (the veths carry its routes). Connections from the host's loopback are
 * spliced to the container's loopback; others come through the tap to PORTS_ADDRESS, and the
 * answers go back through it by a source rule (table 169), not by the default route. */
export async function startPortsPasta(binary: string, inp: { pid: number; forwards: readonly PortForward[]; pidFile: string; logFile: string }): Promise<HelperRecord> {
  const addresses: NetworkAddresses = { container: PORTS_ADDRESS, prefixLength: 32, gateway: PORTS_GATEWAY, dns: '' };
  const args = ['--quiet', '--pid', inp.pidFile, '--log-file', inp.logFile, '-I', PORTS_IFNAME, '-a', PORTS_ADDRESS, '-n', '32', '-g', PORTS_GATEWAY];
  for (const proto of ['tcp', 'udp'] as const) {
    const list = inp.forwards.filter((f) => f.proto === proto);
    const flag = proto === 'tcp' ? '-t' : '-u';
    if (list.length === 0) args.push(flag, 'none');
    for (const f of list) args.push(flag, spec(f));
  }
  args.push('-T', 'none', '-U', 'none', '--no-dhcp', '--no-dhcpv6', '--no-ndp', '--no-ra', '--no-netns-quit');
  if (process.getuid?.() === 0) args.push('--runas', '0'); // as root it would become nobody, who cannot open the namespace
  const nsPath = `/proc/${inp.pid}/ns/net`;
  const pid = await startPastaOn(binary, nsPath, { args, pidFile: inp.pidFile, what: "the container's published ports" });
  const st = readProcStat(pid);
  if (!st) throw new HxError('pasta for the published ports started but is gone', { kind: 'unavailable', hint: `read ${inp.logFile}` });
  const { inNetns } = await import('./netns.js');
  const lines = [`link set ${PORTS_IFNAME} up`, `addr add ${PORTS_ADDRESS}/32 dev ${PORTS_IFNAME}`, `route add default via ${PORTS_GATEWAY} dev ${PORTS_IFNAME} onlink table ${PORTS_TABLE}`, `rule add from ${PORTS_ADDRESS} lookup ${PORTS_TABLE}`];
  const r = inNetns(nsPath, ['ip', '-batch', '-'], lines.join('\n') + '\n');
  if (r.status !== 0) {
    process.kill(pid, 'SIGKILL');
    throw new HxError(`cannot configure the published ports' interface: ${r.stderr.trim()}`, { kind: 'unavailable', hint: 'HX_DEBUG=1 shows the commands' });
  }
  return { helper: 'pasta', pid, startTime: st.startTime, forwards: [...inp.forwards], addresses };
}

export interface PastaLaunch {
  /** Every option but --netns (which is added: the namespace as fd 3). */
  args: string[];
  pidFile: string;
  /** What it sets up, for the error ("the container's network"). */
  what: string;
}

/** Start pasta on the network namespace at NSPATH; resolves with the daemon's pid once it
 * went into the background (set up, ports bound). */
export async function startPastaOn(binary: string, nsPath: string, l: PastaLaunch): Promise<number> {
  // pasta drops its capabilities before it opens the namespace, and then may not open
  // /proc/PID/ns/net of a container in its own user namespace (the ptrace rule: the
  // container holds capabilities pasta no longer has). Its own fd it may always open.
  const args = [...l.args, '--netns', '/proc/self/fd/3'];
  let nsFd: number;
  try {
    nsFd = openSync(nsPath, 'r');
  } catch (e) {
    throw new HxError(`cannot open the network namespace for ${l.what}: ${(e as Error).message}`, { kind: 'unavailable' });
  }
  let child;
  try {
    child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe', nsFd] });
  } finally {
    closeSync(nsFd);
  }
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  // it forks into the background once set up; one that stays (--foreground, --debug) is stopped
  const code = await new Promise<number>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      stderr += 'it did not go into the background within 30 s (options that keep it in the foreground cannot be used)';
    }, 30_000);
    child.once('error', () => resolve(-1));
    child.once('close', (c) => {
      clearTimeout(timer);
      resolve(c ?? -1);
    });
  });
  const why = stderr.split('\n').filter((l) => l && !l.startsWith('Failed to send') && !/unknown version/.test(l)).join('; ');
  if (code !== 0) {
    throw new HxError(`pasta failed to set up ${l.what}${why ? `: ${why}` : ` (exit ${code})`}`, {
      kind: 'unavailable',
      hint: `its command line: ${binary} ${args.join(' ')}`,
    });
  }
  const pid = Number(readFileSync(l.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new HxError(`pasta for ${l.what} wrote no pid`, { kind: 'unavailable', hint: `read ${l.pidFile}` });
  return pid;
}
