// The checks docker makes on values once variables are substituted (so they cannot run
// at parse time): EXPOSE port specs (convert_expose.go parsePortSpecs), STOPSIGNAL
// names (moby/sys/signal ParseSignal), --chmod modes (convert_copy.go), and what a
// COPY/ADD source is (an HTTP URL or a git address). Each throws SyntaxProblem with
// docker's words; the caller adds the place.
import { SyntaxProblem } from './errors.js';

/**
 * EXPOSE values (after expansion) as "port/proto" entries (buildkit's parsePortSpecs):
 * PORT[/PROTO], a range START-END, tcp by default, udp or sctp; an [IP:][HOSTPORT:]
 * prefix is accepted and ignored as buildkit still does.
 */
export function parseExposedPorts(ports: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of ports) {
    const parts = raw.split(':');
    const n = parts.length;
    const ip = n <= 2 ? '' : parts.slice(0, n - 2).join(':');
    const hostPort = n === 1 ? '' : parts[n - 2]!;
    const containerPart = parts[n - 1]!;
    const slash = containerPart.indexOf('/');
    const port = slash === -1 ? containerPart : containerPart.slice(0, slash);
    let proto = slash === -1 ? '' : containerPart.slice(slash + 1).toLowerCase();
    if (port === '') throw new SyntaxProblem(`no port specified: ${containerPart}<empty>`);
    if (proto === '') proto = 'tcp';
    else if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw new SyntaxProblem(`invalid proto: ${proto}`);
    let bareIp = ip;
    if (bareIp.startsWith('[')) {
      if (!bareIp.endsWith(']')) throw new SyntaxProblem(`invalid IP address ${ip}`);
      bareIp = bareIp.slice(1, -1);
    }
    if (bareIp !== '' && !isIP(bareIp)) throw new SyntaxProblem(`invalid IP address: ${bareIp}`);
    const range = portRange(port);
    if (range === undefined) throw new SyntaxProblem(`invalid containerPort: ${port}`);
    if (hostPort !== '') {
      const host = portRange(hostPort);
      if (host === undefined) throw new SyntaxProblem(`invalid hostPort: ${hostPort}`);
      if (range[1] - range[0] !== host[1] - host[0] && range[1] !== range[0]) {
        throw new SyntaxProblem(`invalid ranges specified for container and host Ports: ${port} and ${hostPort}`);
      }
    }
    for (let p = range[0]; p <= range[1]; p++) out.push(`${p}/${proto}`);
  }
  return out;
}

/** strconv.ParseUint(s, 10, 16) of a port or "START-END". */
function portRange(text: string): [number, number] | undefined {
  const one = (s: string) => (/^[0-9]+$/.test(s) && Number(s) <= 65535 ? Number(s) : undefined);
  if (!text.includes('-')) {
    const p = one(text);
    return p === undefined ? undefined : [p, p];
  }
  const parts = text.split('-');
  if (parts.length !== 2) return undefined;
  const start = one(parts[0]!);
  const end = one(parts[1]!);
  if (start === undefined || end === undefined || end < start) return undefined;
  return [start, end];
}

function isIP(s: string): boolean {
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s)) return true;
  return s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s) && (s.match(/::/g) ?? []).length <= 1;
}

/** The signals moby/sys/signal knows on Linux, without the SIG prefix. */
const SIGNALS: ReadonlySet<string> = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF', 'PWR', 'QUIT',
  'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ',
  'RTMIN', 'RTMAX',
  ...Array.from({ length: 15 }, (_, i) => `RTMIN+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `RTMAX-${i + 1}`),
]);

/** moby/sys/signal ParseSignal: a non-zero number, or a name with or without SIG. */
export function checkStopSignal(signal: string): void {
  if (/^[+-]?[0-9]+$/.test(signal)) {
    if (Number(signal) === 0) throw new SyntaxProblem(`invalid signal: ${signal}`);
    return;
  }
  const upper = signal.toUpperCase();
  if (!SIGNALS.has(upper.startsWith('SIG') ? upper.slice(3) : upper)) throw new SyntaxProblem(`invalid signal: ${signal}`);
}

/** chmod as COPY/ADD --chmod takes it: octal up to 07777, or chmod(1) symbolic clauses. */
export function checkChmod(value: string): void {
  const nonOctal = new SyntaxProblem(`invalid chmod parameter: '${value}'. it should be octal string and between 0 and 07777`);
  if (/^[0-7]+$/.test(value)) {
    if (Number.parseInt(value, 8) > 0o7777) throw nonOctal;
    return;
  }
  // A value that starts like a number is read as one and fails as one.
  if (/^[0-9]/.test(value)) throw nonOctal;
  const clause = /^[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+$/;
  if (!value.split(',').every((c) => clause.test(c))) throw new SyntaxProblem(`invalid chmod parameter: '${value}'. it should be octal or symbolic (u=rwX,go=rX)`);
}

export function isHTTPSource(src: string): boolean {
  return (src.startsWith('http://') || src.startsWith('https://')) && !isGitSource(src);
}

/** Git addresses ADD clones: git@host:..., ssh:// git:// URLs, and http(s) URLs of *.git. */
export function isGitSource(src: string): boolean {
  if (/^git@[^:]+:/.test(src) || src.startsWith('git://') || src.startsWith('ssh://')) return true;
  return /^https?:\/\/[^#]+\.git(?:#.*)?$/.test(src);
}
