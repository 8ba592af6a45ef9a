// -p/--publish, --expose and -P as docker turns them into Config.ExposedPorts and
// HostConfig.PortBindings. The rules and messages are go-connections nat (ParsePortSpecs,
// ParsePortSpec, ParsePortRange, SplitProtoPort, as vendored by docker CLI 28) and docker
// CLI's container opts (convertToStandardNotation, the --expose loop); checked against
// `docker run` 28.2 on this machine.
import { UsageError } from '../../errors.js';
import { GoNumError, goParseUint } from './go.js';
import { parseIP } from './ip.js';

/** "80/tcp" or "80-90/udp": docker's nat.Port. */
export type PortKey = string;

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** HostConfig.PortBindings: container port -> host bindings, in the order given. */
export type PortMap = Record<PortKey, PortBinding[]>;

export interface PublishResult {
  /** Config.ExposedPorts keys, first-seen order. */
  exposed: PortKey[];
  bindings: PortMap;
}

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

function invalid(message: string, hint?: string): UsageError {
  return new UsageError(message, hint ?? 'use [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp|sctp], e.g. -p 8080:80 or -p 127.0.0.1:8000-8010:80-90/udp');
}

/** nat.SplitProtoPort: "80/udp" -> [udp, 80]; a bare port is tcp; "" or "/x" -> ["", ""]. */
export function splitProtoPort(raw: string): [proto: string, port: string] {
  const parts = raw.split('/');
  if (raw === '' || parts[0] === '') return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1] === '') return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

/**
 * nat.ParsePortRange: "80" or "80-90" as 16-bit numbers. Like Go it reads only the first
 * two fields of "1-2-3". Throws Go's message (strconv errors, "invalid range specified").
 */
export function parsePortRange(ports: string): [start: number, end: number] {
  if (ports === '') throw new Error('empty string specified for ports');
  if (!ports.includes('-')) {
    const v = Number(goParseUint(ports, 16));
    return [v, v];
  }
  const parts = ports.split('-');
  const start = Number(goParseUint(parts[0]!, 16));
  const end = Number(goParseUint(parts[1]!, 16));
  if (end < start) throw new Error(`invalid range specified for port: ${ports}`);
  return [start, end];
}

function tryRange(ports: string): [number, number] | undefined {
  try {
    return parsePortRange(ports);
  } catch (e) {
    if (e instanceof GoNumError || e instanceof Error) return undefined;
    throw e;
  }
}

/** nat splitParts: the last two colons split IP, host port and container port. */
function splitParts(raw: string): [ip: string, hostPort: string, containerPort: string] {
  const parts = raw.split(':');
  const n = parts.length;
  const containerPort = parts[n - 1]!;
  if (n === 1) return ['', '', containerPort];
  if (n === 2) return ['', parts[0]!, containerPort];
  if (n === 3) return [parts[0]!, parts[1]!, containerPort];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2]!, containerPort];
}

/** Go net.SplitHostPort's host part, or its AddrError text. */
function splitHostPortHost(hostport: string): string {
  const addrErr = (why: string): Error => new Error(`address ${hostport}: ${why}`);
  const i = hostport.lastIndexOf(':');
  if (i < 0) throw addrErr('missing port in address');
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0) throw addrErr("missing ']' in address");
    if (end + 1 === hostport.length) throw addrErr('missing port in address');
    if (end + 1 !== i) throw addrErr(hostport[end + 1] === ':' ? 'too many colons in address' : 'missing port in address');
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) throw addrErr('too many colons in address');
  }
  if (hostport.slice(j).includes('[')) throw addrErr("unexpected '[' in address");
  if (hostport.slice(k).includes(']')) throw addrErr("unexpected ']' in address");
  return host;
}

export interface PortMapping {
  port: PortKey;
  binding: PortBinding;
}

/** nat.ParsePortSpec: one -p value as one mapping per container port. */
export function parsePortSpec(raw: string): PortMapping[] {
  let [ip, hostPort, containerPort] = splitParts(raw);
  let proto: string;
  [proto, containerPort] = splitProtoPort(containerPort);
  if (ip !== '' && ip[0] === '[') {
    try {
      ip = splitHostPortHost(`${ip}:`);
    } catch (e) {
      throw invalid(`invalid IP address ${ip}: ${(e as Error).message}`);
    }
  }
  if (ip !== '' && !parseIP(ip)) throw invalid(`invalid IP address: ${ip}`);
  if (containerPort === '') throw invalid(`no port specified: ${raw}<empty>`);
  const cRange = tryRange(containerPort);
  if (!cRange) throw invalid(`invalid containerPort: ${containerPort}`);
  const [startPort, endPort] = cRange;
  let startHost = 0;
  let endHost = 0;
  if (hostPort !== '') {
    const hRange = tryRange(hostPort);
    if (!hRange) throw invalid(`invalid hostPort: ${hostPort}`);
    [startHost, endHost] = hRange;
  }
  // A host range with one container port is the range to pick a free host port from.
  if (hostPort !== '' && endPort - startPort !== endHost - startHost && endPort !== startPort) {
    throw invalid(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`,
      'give host and container ranges of the same length, or one container port with a host range');
  }
  const protoLower = proto.toLowerCase();
  if (!PROTOCOLS.has(protoLower)) throw invalid(`invalid proto: ${proto}`, 'use tcp, udp or sctp');
  const out: PortMapping[] = [];
  for (let i = 0; i <= endPort - startPort; i++) {
    let hp = hostPort === '' ? '' : String(startHost + i);
    if (startPort === endPort && startHost !== endHost) hp = `${hp}-${endHost}`;
    out.push({ port: `${startPort + i}/${protoLower}`, binding: { HostIp: ip, HostPort: hp } });
  }
  return out;
}

/**
 * docker CLI convertToStandardNotation: the long form `published=8080,target=80,
 * protocol=udp[,mode=host]` becomes "8080:80/udp"; anything without '=' is kept.
 */
export function toStandardNotation(publish: string): string {
  if (!publish.includes('=')) return publish;
  const params: Record<string, string> = { protocol: 'tcp' };
  for (const param of publish.split(',')) {
    const eq = param.indexOf('=');
    if (eq <= 0) throw invalid(`invalid publish opts format (should be name=value but got '${param}')`);
    params[param.slice(0, eq)] = param.slice(eq + 1);
  }
  return `${params.published ?? ''}:${params.target ?? ''}/${params.protocol}`;
}

function addExposed(result: PublishResult, seen: Set<string>, port: PortKey): void {
  if (seen.has(port)) return;
  seen.add(port);
  result.exposed.push(port);
}

/** nat.ParsePortSpecs over every -p value (short or long form): exposed ports and bindings. */
export function parsePublish(specs: readonly string[]): PublishResult {
  const result: PublishResult = { exposed: [], bindings: {} };
  const seen = new Set<string>();
  for (const spec of specs) {
    for (const m of parsePortSpec(toStandardNotation(spec))) {
      addExposed(result, seen, m.port);
      (result.bindings[m.port] ??= []).push(m.binding);
    }
  }
  return result;
}

/**
 * docker CLI's --expose loop: PORT[/PROTO] or START-END[/PROTO], no host part. Each port
 * becomes an exposed port; the protocol is not checked here (docker does not either).
 */
export function parseExpose(value: string): PortKey[] {
  if (value.includes(':')) throw invalid(`invalid port format for --expose: ${value}`, 'use PORT[/PROTO] or START-END[/PROTO]');
  const [proto, port] = splitProtoPort(value);
  let range: [number, number];
  try {
    range = parsePortRange(port);
  } catch (e) {
    throw invalid(`invalid range format for --expose: ${value}, error: ${(e as Error).message}`, 'use PORT[/PROTO] or START-END[/PROTO]');
  }
  const out: PortKey[] = [];
  for (let p = range[0]; p <= range[1]; p++) out.push(`${p}/${proto}`);
  return out;
}

/** -p values plus --expose values, merged as docker CLI's parse() does. */
export function parsePorts(publish: readonly string[], expose: readonly string[] = []): PublishResult {
  const result = parsePublish(publish);
  const seen = new Set(result.exposed);
  for (const e of expose) for (const p of parseExpose(e)) addExposed(result, seen, p);
  return result;
}

/**
 * -P/--publish-all: every exposed port (the image's EXPOSE keys plus --expose and -p)
 * that has no binding yet gets one on an ephemeral host port, HostPort "" as in moby's
 * network setup; the explicit bindings are kept as given.
 */
export function publishAll(bindings: PortMap, exposed: readonly PortKey[]): PortMap {
  const out: PortMap = {};
  for (const [k, v] of Object.entries(bindings)) out[k] = v.map((b) => ({ ...b }));
  for (const raw of exposed) {
    const port = normalizeExposedKey(raw);
    if (!out[port]) out[port] = [{ HostIp: '', HostPort: '' }];
  }
  return out;
}

/** An image's EXPOSE key ("80", "80/TCP", "53/udp") in nat.Port form ("80/tcp"). */
export function normalizeExposedKey(key: string): PortKey {
  const [proto, port] = splitProtoPort(key);
  return `${port}/${proto.toLowerCase()}`;
}
