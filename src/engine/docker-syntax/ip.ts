// Go's net.ParseIP and IP.String, which docker uses to check and print addresses
// (--dns, --add-host, -p's host IP). Go (1.22+, via netip.ParseAddr) refuses IPv4 octets
// with leading zeros and IPv6 zones; it prints IPv4-mapped addresses as IPv4 and others
// in RFC 5952 form. Kept here rather than node:net: no module load, and Go's exact rules.

/** 16 bytes, IPv4 stored IPv4-mapped (::ffff:a.b.c.d), as Go's net.IP. */
export type IPBytes = Uint8Array;

function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out.push(v);
  }
  return out;
}

function parseIPv6(s: string): number[] | undefined {
  const bytes: number[] = [];
  let ellipsis = -1;
  let rest = s;
  if (rest.startsWith('::')) {
    ellipsis = 0;
    rest = rest.slice(2);
    if (rest === '') return new Array(16).fill(0);
  }
  while (rest !== '') {
    const m = /^[0-9a-fA-F]{1,4}/.exec(rest);
    if (!m) return undefined;
    // An IPv4 tail fills the last four bytes.
    if (rest.length > m[0].length && rest[m[0].length] === '.') {
      if (ellipsis < 0 && bytes.length !== 12) return undefined;
      if (bytes.length + 4 > 16) return undefined;
      const v4 = parseIPv4(rest);
      if (!v4) return undefined;
      bytes.push(...v4);
      rest = '';
      break;
    }
    const group = Number.parseInt(m[0], 16);
    bytes.push(group >> 8, group & 0xff);
    rest = rest.slice(m[0].length);
    if (bytes.length > 16) return undefined;
    if (rest === '') break;
    if (rest[0] !== ':') return undefined;
    if (rest.startsWith('::')) {
      if (ellipsis >= 0) return undefined;
      ellipsis = bytes.length;
      rest = rest.slice(2);
      continue;
    }
    rest = rest.slice(1);
    if (rest === '') return undefined; // a trailing single colon
  }
  if (ellipsis < 0) return bytes.length === 16 ? bytes : undefined;
  if (bytes.length >= 16) return undefined; // "::" must stand for at least one group
  const fill = new Array(16 - bytes.length).fill(0);
  return [...bytes.slice(0, ellipsis), ...fill, ...bytes.slice(ellipsis)];
}

/** net.ParseIP: the 16-byte address, or undefined where Go returns nil. */
export function parseIP(s: string): IPBytes | undefined {
  const v4 = parseIPv4(s);
  if (v4) return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]);
  if (!s.includes(':')) return undefined;
  const v6 = parseIPv6(s);
  return v6 ? Uint8Array.from(v6) : undefined;
}

function isV4Mapped(ip: IPBytes): boolean {
  return ip.slice(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
}

/** Whether the address came from (or maps to) IPv4: Go's ip.To4() != nil. */
export function isIPv4(ip: IPBytes): boolean {
  return isV4Mapped(ip);
}

/** IP.String: dotted IPv4 for mapped addresses, else RFC 5952 (longest zero run as ::). */
export function formatIP(ip: IPBytes): string {
  if (isV4Mapped(ip)) return Array.from(ip.slice(12)).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip[i]! << 8) | ip[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}
