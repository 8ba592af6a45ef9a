// --add-host, --dns, --dns-search and --dns-option as docker CLI's opts check them
// (opts/hosts.go ValidateExtraHost, opts/opts.go ValidateIPAddress and ValidateDNSSearch);
// the messages are the ones `docker run` 28.2 prints after pflag's prefix.
import { UsageError } from '../../errors.js';
import { goQuote } from './go.js';
import { formatIP, parseIP } from './ip.js';

/** The special --add-host address that means "the host, as the container reaches it". */
export const HOST_GATEWAY = 'host-gateway';

export interface ExtraHost {
  name: string;
  /** the address as given (brackets removed), or "host-gateway" */
  address: string;
}

/**
 * ValidateExtraHost: NAME:ADDR or NAME=ADDR; only the first separator counts (so
 * NAME:::1 works), a name may not hold ':', the address may be bracketed. Returns
 * docker's normalised "NAME:ADDR" form alongside the parts.
 */
export function parseExtraHost(value: string): ExtraHost & { normalized: string } {
  let sep = value.indexOf('=');
  if (sep < 0) sep = value.indexOf(':');
  const name = sep < 0 ? '' : value.slice(0, sep);
  let address = sep < 0 ? '' : value.slice(sep + 1);
  if (sep < 0 || name === '' || name.includes(':')) {
    throw new UsageError(`bad format for add-host: ${goQuote(value)}`, 'use --add-host NAME:IP or NAME=IP (IP may be host-gateway)');
  }
  if (address !== HOST_GATEWAY) {
    if (address.length > 2 && address[0] === '[' && address[address.length - 1] === ']') address = address.slice(1, -1);
    if (!parseIP(address.trim())) {
      throw new UsageError(`invalid IP address in add-host: ${goQuote(address)}`, 'use an IPv4 or IPv6 address, or host-gateway');
    }
  }
  return { name, address, normalized: `${name}:${address}` };
}

/** ValidateIPAddress (--dns): surrounding spaces allowed; returns Go's canonical form. */
export function validateIPAddress(value: string): string {
  const ip = parseIP(value.trim());
  if (!ip) throw new UsageError(`IP address is not correctly formatted: ${value}`, 'use an IPv4 or IPv6 address such as 1.1.1.1');
  return formatIP(ip);
}

// docker's domainRegexp, optional ':' quirks included ("(:?" where "(?:" was meant).
const LABEL = '(?:[a-zA-Z0-9]|(?:[a-zA-Z0-9][a-zA-Z0-9\\-]*[a-zA-Z0-9]))';
const DOMAIN = new RegExp(`^(:?${LABEL}(:?\\.${LABEL})*)\\.?\\s*$`);

/**
 * ValidateDNSSearch: "." (no search domain) or a domain with at least one letter; a
 * trailing dot and trailing whitespace are dropped; at most 254 characters.
 */
export function validateDnsSearch(value: string): string {
  const v = value.replace(/^ +| +$/g, '');
  if (v === '.') return v;
  const bad = (): UsageError => new UsageError(`${v} is not a valid domain`, 'use a domain name such as example.com, or . for none');
  if (!/[a-zA-Z]/.test(v)) throw bad();
  const m = DOMAIN.exec(v);
  if (!m || m[1]!.length >= 255) throw bad();
  return m[1]!;
}

/** --dns-option: docker passes these to resolv.conf's options line unchecked. */
export function validateDnsOption(value: string): string {
  return value;
}
