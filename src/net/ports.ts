// Published ports: docker's PortBindings turned into forwards with fixed host ports, each
// checked before the container starts (rootless hx cannot bind below the unprivileged
// port start; a port something else holds fails now, not inside the helper). Free host
// ports (-P, "-p 80", "-p 8000-8010:80") are found by binding port 0 or a range's ports.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { HxError } from '../errors.js';
import type { PortBindingRequest, PortForward } from './types.js';

export interface PortPolicy {
  rootless: boolean;
  /** net.ipv4.ip_unprivileged_port_start (1024 when unreadable). */
  unprivilegedPortStart: number;
}

/** Try to bind PROTO HOST:PORT (0: any); resolves with the port bound, or the errno code. */
export function tryBind(proto: 'tcp' | 'udp', host: string, port: number): Promise<{ port: number } | { error: string }> {
  const address = host || '0.0.0.0';
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const sock = createSocket(address.includes(':') ? 'udp6' : 'udp4');
      sock.once('error', (e: NodeJS.ErrnoException) => {
        sock.close();
        resolve({ error: e.code ?? e.message });
      });
      sock.bind({ port, address, exclusive: true }, () => {
        const bound = sock.address().port;
        sock.close(() => resolve({ port: bound }));
      });
      return;
    }
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    srv.listen({ port, host: address, exclusive: true }, () => {
      const a = srv.address();
      const bound = typeof a === 'object' && a ? a.port : port;
      srv.close(() => resolve({ port: bound }));
    });
  });
}

function shown(hostIp: string, port: number): string {
  const ip = hostIp || '0.0.0.0';
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function privileged(port: number, policy: PortPolicy): HxError {
  // rootlesskit's words, which podman prints too
  return new HxError(
    `cannot expose privileged port ${port}, you can add 'net.ipv4.ip_unprivileged_port_start=${port}' to /etc/sysctl.conf (currently ${policy.unprivilegedPortStart}), or choose a larger port number (>= ${policy.unprivilegedPortStart})`,
    { kind: 'permission', hint: `sudo sysctl net.ipv4.ip_unprivileged_port_start=${port}, or publish on a port >= ${policy.unprivilegedPortStart}` },
  );
}

export function inUse(hostIp: string, port: number, proto: string): HxError {
  return new HxError(`Bind for ${shown(hostIp, port)} failed: port is already allocated`, {
    kind: 'conflict',
    hint: `choose another host port, or stop what listens on ${proto} port ${port} (ss -lnp 'sport = :${port}')`,
  });
}

function parseHostPorts(text: string, key: string): [number, number] | undefined {
  if (text === '') return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  const start = m ? Number(m[1]) : NaN;
  const end = m?.[2] ? Number(m[2]) : start;
  if (!m || start < 1 || end > 65535 || end < start) throw new HxError(`invalid host port ${text} for ${key}`, { kind: 'invalid-argument' });
  return [start, end];
}

/**
 * The forwards of BINDINGS ("80/tcp" -> [{HostIp, HostPort}]) with every host port fixed
 * and free now. sctp is refused: neither helper forwards it.
 */
export async function resolveForwards(bindings: Record<string, PortBindingRequest[]>, policy: PortPolicy): Promise<PortForward[]> {
  const out: PortForward[] = [];
  const taken = new Set<string>();
  for (const [key, list] of Object.entries(bindings)) {
    const m = /^(\d+)\/(tcp|udp|sctp)$/.exec(key);
    if (!m) throw new HxError(`invalid port ${key}`, { kind: 'invalid-argument', hint: 'use PORT/tcp or PORT/udp' });
    const proto = m[2]!;
    if (proto === 'sctp') throw new HxError(`publishing sctp port ${m[1]} is not supported by pasta or slirp4netns`, { kind: 'not-implemented', hint: 'publish tcp or udp ports' });
    const containerPort = Number(m[1]);
    for (const b of list) {
      const range = parseHostPorts(b.HostPort, key);
      let hostPort: number | undefined;
      if (!range) {
        const r = await tryBind(proto as 'tcp' | 'udp', b.HostIp, 0);
        if ('error' in r) throw new HxError(`cannot find a free host port on ${b.HostIp || '0.0.0.0'}: ${r.error}`, { kind: 'unavailable' });
        hostPort = r.port;
      } else {
        for (let p = range[0]; p <= range[1] && hostPort === undefined; p++) {
          const id = `${proto}:${b.HostIp}:${p}`;
          if (taken.has(id)) continue;
          if (policy.rootless && p < policy.unprivilegedPortStart) throw privileged(p, policy);
          const r = await tryBind(proto as 'tcp' | 'udp', b.HostIp, p);
          if (!('error' in r)) hostPort = p;
          else if (r.error === 'EACCES') throw privileged(p, policy);
          else if (r.error !== 'EADDRINUSE') throw new HxError(`cannot bind ${proto} ${shown(b.HostIp, p)}: ${r.error}`, { kind: 'unavailable', hint: 'is the host address one of this machine\'s?' });
        }
        if (hostPort === undefined) throw inUse(b.HostIp, range[0], proto);
      }
      const id = `${proto}:${b.HostIp}:${hostPort}`;
      if (taken.has(id)) throw inUse(b.HostIp, hostPort, proto);
      taken.add(id);
      out.push({ proto: proto as 'tcp' | 'udp', hostIp: b.HostIp, hostPort, containerPort });
    }
  }
  return out;
}

/** docker's ps PORTS text: "127.0.0.1:18080->8080/tcp, 0.0.0.0:32768->80/tcp". */
export function describeForwards(forwards: readonly PortForward[]): string {
  return forwards.map((f) => `${shown(f.hostIp, f.hostPort)}->${f.containerPort}/${f.proto}`).join(', ');
}

/** inspect's NetworkSettings.Ports: every exposed port, bound ones with their host side. */
export function portsDocument(exposed: readonly string[], forwards: readonly PortForward[]): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const doc: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const k of exposed) doc[k] = null;
  for (const f of forwards) {
    const key = `${f.containerPort}/${f.proto}`;
    const list = doc[key] ?? [];
    list.push({ HostIp: f.hostIp || '0.0.0.0', HostPort: String(f.hostPort) });
    doc[key] = list;
  }
  return doc;
}
