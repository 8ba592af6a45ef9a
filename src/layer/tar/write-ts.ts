// Tar header generation in TypeScript: a ustar header, preceded by a pax 'x' header when a
// value does not fit ustar (the Wasm twin, assembly/tar_write.ts, produces the same bytes).
import { BLOCK, padOf } from './constants.js';
import type { HeaderFields } from './types.js';

const TYPE_FLAGS: Record<string, number> = {
  file: 0x30,
  hardlink: 0x31,
  symlink: 0x32,
  char: 0x33,
  block: 0x34,
  dir: 0x35,
  fifo: 0x36,
};

const MAX_OCTAL_7 = 0o7777777; // 8-byte fields
const MAX_OCTAL_11 = 0o77777777777; // 12-byte fields

export function encodeHeaderTs(f: HeaderFields): Buffer {
  const records: Buffer[] = [];
  const name = f.name;
  let nameField = name;
  let prefixField: Buffer | null = null;
  if (name.length > 100 || !isAscii(name)) {
    const split = splitUstarPath(name);
    if (split) [prefixField, nameField] = split;
    else {
      records.push(paxRecord('path', name));
      nameField = name.subarray(0, 100);
    }
  }
  let linkField = f.linkname;
  if (linkField.length > 100 || !isAscii(linkField)) {
    records.push(paxRecord('linkpath', linkField));
    linkField = linkField.subarray(0, 100);
  }
  let sizeField = f.size;
  if (sizeField > MAX_OCTAL_11) {
    records.push(paxRecord('size', ascii(String(sizeField))));
    sizeField = 0;
  }
  let uidField = f.uid;
  if (uidField > MAX_OCTAL_7) {
    records.push(paxRecord('uid', ascii(String(uidField))));
    uidField = 0;
  }
  let gidField = f.gid;
  if (gidField > MAX_OCTAL_7) {
    records.push(paxRecord('gid', ascii(String(gidField))));
    gidField = 0;
  }
  let unameField = f.uname;
  if (unameField.length > 32 || !isAscii(unameField)) {
    records.push(paxRecord('uname', unameField));
    unameField = EMPTY;
  }
  let gnameField = f.gname;
  if (gnameField.length > 32 || !isAscii(gnameField)) {
    records.push(paxRecord('gname', gnameField));
    gnameField = EMPTY;
  }
  let mtimeField = f.mtime;
  if (f.mtimeNsec !== 0 || mtimeField < 0 || mtimeField > MAX_OCTAL_11) {
    records.push(paxRecord('mtime', ascii(paxTime(f.mtime, f.mtimeNsec))));
    mtimeField = clamp(mtimeField, 0, MAX_OCTAL_11);
  }
  for (const [key, value] of f.xattrs) records.push(paxRecord2('SCHILY.xattr.', key, value));

  const header = Buffer.alloc(BLOCK);
  header.set(nameField, 0);
  octal(header, 100, 8, f.mode);
  octal(header, 108, 8, uidField);
  octal(header, 116, 8, gidField);
  octal(header, 124, 12, sizeField);
  octal(header, 136, 12, mtimeField);
  header[156] = TYPE_FLAGS[f.type]!;
  header.set(linkField, 157);
  header.write('ustar\x0000', 257, 'latin1');
  header.set(unameField, 265);
  header.set(gnameField, 297);
  if (f.type === 'char' || f.type === 'block') {
    octal(header, 329, 8, f.devmajor);
    octal(header, 337, 8, f.devminor);
  }
  if (prefixField) header.set(prefixField, 345);
  checksum(header);
  if (records.length === 0) return header;

  const pax = Buffer.concat(records);
  const paxPadded = pax.length + padOf(pax.length);
  const out = Buffer.alloc(BLOCK + paxPadded + BLOCK);
  // The pax header's own name: PaxHeaders/<base name>, ASCII only, at most 100 bytes.
  const paxName = Buffer.concat([PAX_DIR, baseName(name)]).subarray(0, 100);
  for (let i = 0; i < paxName.length; i++) out[i] = paxName[i]! < 0x20 || paxName[i]! > 0x7e ? 0x5f : paxName[i]!;
  octal(out, 100, 8, 0o644);
  octal(out, 108, 8, 0);
  octal(out, 116, 8, 0);
  octal(out, 124, 12, pax.length);
  octal(out, 136, 12, clamp(f.mtime, 0, MAX_OCTAL_11));
  out[156] = 0x78; // 'x'
  out.write('ustar\x0000', 257, 'latin1');
  checksum(out);
  pax.copy(out, BLOCK);
  header.copy(out, BLOCK + paxPadded);
  return out;
}

const EMPTY = Buffer.alloc(0);
const PAX_DIR = Buffer.from('PaxHeaders/');

function ascii(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

function isAscii(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i]! >= 0x80) return false;
  return true;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Go's splitUSTARPath: the last "/" within the first 156 bytes, so that both parts fit. */
function splitUstarPath(name: Buffer): [Buffer, Buffer] | null {
  if (name.length <= 100 || !isAscii(name)) return null;
  let length = name.length;
  if (length > 156) length = 156;
  else if (name[length - 1] === 0x2f) length--;
  const i = name.subarray(0, length).lastIndexOf(0x2f);
  const nlen = name.length - i - 1;
  if (i <= 0 || nlen > 100 || nlen === 0 || i > 155) return null;
  return [name.subarray(0, i), name.subarray(i + 1)];
}

function baseName(name: Buffer): Buffer {
  let end = name.length;
  while (end > 0 && name[end - 1] === 0x2f) end--;
  const slash = name.subarray(0, end).lastIndexOf(0x2f);
  return name.subarray(slash + 1, end);
}

/** An octal field: width-1 zero-padded digits and a NUL. */
function octal(buf: Buffer, off: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  buf.write(digits, off, 'latin1');
  buf[off + width - 1] = 0;
}

function checksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i]!;
  block.write(sum.toString(8).padStart(6, '0'), 148, 'latin1');
  block[154] = 0;
  block[155] = 0x20;
}

function paxRecord(key: string, value: Buffer): Buffer {
  return paxRecord2(key, '', value);
}

/** "%d %s=%s\n" where the length counts itself. */
function paxRecord2(key: string, keySuffix: string, value: Buffer): Buffer {
  const keyBytes = Buffer.from(key + keySuffix, 'utf8');
  const base = keyBytes.length + value.length + 3;
  let len = base + String(base).length;
  if (String(len).length !== String(base).length) len = base + String(len).length;
  const out = Buffer.allocUnsafe(len);
  let p = out.write(`${len} `, 0, 'latin1');
  p += keyBytes.copy(out, p);
  out[p++] = 0x3d;
  p += value.copy(out, p);
  out[p] = 0x0a;
  return out;
}

/** "sec[.frac]" with trailing zeros of the fraction dropped; floor semantics for negatives. */
function paxTime(sec: number, nsec: number): string {
  if (nsec === 0) return String(sec);
  if (sec < 0) {
    // floor(sec) + nsec/1e9 = -(|sec| - 1) - (1e9 - nsec)/1e9
    const whole = sec + 1;
    const frac = String(1_000_000_000 - nsec).padStart(9, '0').replace(/0+$/, '');
    return `${whole === 0 ? '-0' : String(whole)}.${frac}`;
  }
  return `${sec}.${String(nsec).padStart(9, '0').replace(/0+$/, '')}`;
}
