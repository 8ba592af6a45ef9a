// A tiny, independent ustar/pax writer for tests: crafts layer tars, including broken
// ones (bad checksum, truncated, hostile names), without using hx's own tar code.
const TYPES = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6', pax: 'x' };

function field(buf, off, len, value) {
  buf.write(value, off, len, 'utf8');
}

function octal(n, len) {
  return n.toString(8).padStart(len - 1, '0') + '\0';
}

/** One header block. e: { name, type, mode, uid, gid, size, mtime, linkname, badChecksum, sizeField } */
export function header(e) {
  const h = Buffer.alloc(512);
  field(h, 0, 100, e.name);
  field(h, 100, 8, octal(e.mode ?? (e.type === 'dir' ? 0o755 : 0o644), 8));
  field(h, 108, 8, octal(e.uid ?? 0, 8));
  field(h, 116, 8, octal(e.gid ?? 0, 8));
  field(h, 124, 12, e.sizeField ?? octal(e.size ?? 0, 12));
  field(h, 136, 12, octal(e.mtime ?? 1700000000, 12));
  h[156] = (TYPES[e.type ?? 'file'] ?? e.type).charCodeAt(0);
  field(h, 157, 100, e.linkname ?? '');
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  field(h, 329, 8, octal(e.devmajor ?? 0, 8));
  field(h, 337, 8, octal(e.devminor ?? 0, 8));
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  if (e.badChecksum) sum += 1;
  field(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

function pad(n) {
  return Buffer.alloc((512 - (n % 512)) % 512);
}

function paxRecords(records) {
  let out = '';
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    out += `${len}${body}`;
  }
  return Buffer.from(out, 'utf8');
}

/**
 * A whole tar from entries: { name, type, mode, uid, gid, mtime, data (string|Buffer), linkname,
 * pax: {key: value}, badChecksum }. opts.end = false leaves out the end-of-archive blocks.
 */
export function makeTar(entries, opts = {}) {
  const parts = [];
  for (const e of entries) {
    if (e.pax) {
      const body = paxRecords(e.pax);
      parts.push(header({ name: 'PaxHeader', type: 'pax', size: body.length }), body, pad(body.length));
    }
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    parts.push(header({ ...e, size: e.type === undefined || e.type === 'file' ? data.length : 0 }));
    if (data.length) parts.push(data, pad(data.length));
  }
  if (opts.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
