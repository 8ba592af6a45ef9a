// Tar header generation: the Wasm twin of src/layer/tar/write-ts.ts (same bytes out).
// Inputs (placed by src/layer/tar/write-wasm.ts): numbers in STATUS at W_* offsets; in
// scratch at `inp`: xattr table (nx x [u32 keyLen, u32 valLen]), then name, linkname, uname,
// gname, then each xattr's key and value bytes. Output at `out`; returns its length.
import { STATUS } from './layout';

const W_TYPE: usize = 128;
const W_MODE: usize = 132;
const W_UID: usize = 136;
const W_GID: usize = 140;
const W_NSEC: usize = 144;
const W_DEVMAJOR: usize = 148;
const W_DEVMINOR: usize = 152;
const W_NX: usize = 156;
const W_SIZE: usize = 160;
const W_MTIME: usize = 168;
const W_NAME_LEN: usize = 176;
const W_LINK_LEN: usize = 180;
const W_UNAME_LEN: usize = 184;
const W_GNAME_LEN: usize = 188;

const MAX_OCTAL_7: u64 = 0o7777777;
const MAX_OCTAL_11: i64 = 0o77777777777;

// Pax records are built at paxPtr; paxLen grows.
let paxPtr: usize = 0;
let paxLen: u32 = 0;
// Scratch for number-to-text.
let numBuf: usize = 0;

export function tarEncodeHeader(inp: usize, out: usize): u32 {
  const nx = load<u32>(STATUS + W_NX);
  const nameLen = load<u32>(STATUS + W_NAME_LEN);
  const linkLen = load<u32>(STATUS + W_LINK_LEN);
  const unameLen = load<u32>(STATUS + W_UNAME_LEN);
  const gnameLen = load<u32>(STATUS + W_GNAME_LEN);
  const table = inp;
  const name = inp + (<usize>nx << 3);
  const link = name + nameLen;
  const uname = link + linkLen;
  const gname = uname + unameLen;
  let xbytes = gname + gnameLen;

  const type = load<u32>(STATUS + W_TYPE);
  const mode = load<u32>(STATUS + W_MODE);
  const uid = load<u32>(STATUS + W_UID);
  const gid = load<u32>(STATUS + W_GID);
  const nsec = load<u32>(STATUS + W_NSEC);
  const size = <i64>load<f64>(STATUS + W_SIZE);
  const mtime = <i64>load<f64>(STATUS + W_MTIME);

  // Pax records go after a 512-byte hole for their header; the entry header is placed last.
  paxPtr = out + 512;
  paxLen = 0;
  numBuf = out; // the first block is free until the pax header is written

  let nameField = name;
  let nameFieldLen = nameLen;
  let prefix: usize = 0;
  let prefixLen: u32 = 0;
  if (nameLen > 100 || !isAscii(name, nameLen)) {
    const i = splitUstar(name, nameLen);
    if (i > 0) {
      prefix = name;
      prefixLen = <u32>i;
      nameField = name + <usize>i + 1;
      nameFieldLen = nameLen - <u32>i - 1;
    } else {
      record(str('path'), 4, name, nameLen);
      nameFieldLen = nameLen < 100 ? nameLen : 100;
    }
  }
  let linkFieldLen = linkLen;
  if (linkLen > 100 || !isAscii(link, linkLen)) {
    record(str('linkpath'), 8, link, linkLen);
    linkFieldLen = 100;
  }
  let sizeField = size;
  if (size > MAX_OCTAL_11) {
    numRecord('size', 4, size, 0);
    sizeField = 0;
  }
  let uidField: u64 = uid;
  if (<u64>uid > MAX_OCTAL_7) {
    numRecord('uid', 3, <i64>uid, 0);
    uidField = 0;
  }
  let gidField: u64 = gid;
  if (<u64>gid > MAX_OCTAL_7) {
    numRecord('gid', 3, <i64>gid, 0);
    gidField = 0;
  }
  let unameFieldLen = unameLen;
  if (unameLen > 32 || !isAscii(uname, unameLen)) {
    record(str('uname'), 5, uname, unameLen);
    unameFieldLen = 0;
  }
  let gnameFieldLen = gnameLen;
  if (gnameLen > 32 || !isAscii(gname, gnameLen)) {
    record(str('gname'), 5, gname, gnameLen);
    gnameFieldLen = 0;
  }
  let mtimeField = mtime;
  if (nsec != 0 || mtime < 0 || mtime > MAX_OCTAL_11) {
    numRecord('mtime', 5, mtime, nsec);
    mtimeField = mtime < 0 ? 0 : mtime > MAX_OCTAL_11 ? MAX_OCTAL_11 : mtime;
  }
  for (let i: u32 = 0; i < nx; i++) {
    const kl = load<u32>(table + (<usize>i << 3));
    const vl = load<u32>(table + (<usize>i << 3) + 4);
    xattrRecord(xbytes, kl, xbytes + kl, vl);
    xbytes += kl + vl;
  }

  const hasPax = paxLen > 0;
  const paxPadded: u32 = (paxLen + 511) & ~511;
  const h = hasPax ? out + 512 + paxPadded : out;
  memory.fill(h, 0, 512);
  memory.copy(h, nameField, <usize>min<u32>(nameFieldLen, 100));
  octal(h + 100, 8, mode);
  octal(h + 108, 8, uidField);
  octal(h + 116, 8, gidField);
  octal(h + 124, 12, <u64>sizeField);
  octal(h + 136, 12, <u64>mtimeField);
  store<u8>(h + 156, <u8>type);
  memory.copy(h + 157, link, linkFieldLen < linkLen ? linkFieldLen : linkLen);
  magic(h);
  memory.copy(h + 265, uname, unameFieldLen);
  memory.copy(h + 297, gname, gnameFieldLen);
  if (type == 0x33 || type == 0x34) {
    octal(h + 329, 8, load<u32>(STATUS + W_DEVMAJOR));
    octal(h + 337, 8, load<u32>(STATUS + W_DEVMINOR));
  }
  if (prefixLen > 0) memory.copy(h + 345, prefix, prefixLen);
  checksum(h);
  if (!hasPax) return 512;

  // The pax header: PaxHeaders/<base name> (ASCII, at most 100 bytes), mode 0644, ids 0.
  memory.fill(paxPtr + paxLen, 0, paxPadded - paxLen);
  memory.fill(out, 0, 512);
  const pd = str('PaxHeaders/');
  memory.copy(out, pd, 11);
  let end = nameLen;
  while (end > 0 && load<u8>(name + end - 1) == 0x2f) end--;
  let b = end;
  while (b > 0 && load<u8>(name + b - 1) != 0x2f) b--;
  let n: u32 = end - b;
  if (n > 89) n = 89;
  for (let i: u32 = 0; i < n; i++) {
    const c = load<u8>(name + b + i);
    store<u8>(out + 11 + i, c < 0x20 || c > 0x7e ? 0x5f : c);
  }
  octal(out + 100, 8, 0o644);
  octal(out + 108, 8, 0);
  octal(out + 116, 8, 0);
  octal(out + 124, 12, paxLen);
  octal(out + 136, 12, <u64>(mtime < 0 ? 0 : mtime > MAX_OCTAL_11 ? MAX_OCTAL_11 : mtime));
  store<u8>(out + 156, 0x78);
  magic(out);
  checksum(out);
  return 512 + paxPadded + 512;
}

// A string literal's UTF-16 code units as ASCII bytes, at a fixed static spot.
let strBuf: usize = 0;
function str(s: string): usize {
  if (strBuf == 0) strBuf = memory.data(64);
  for (let i = 0; i < s.length; i++) store<u8>(strBuf + i, <u8>s.charCodeAt(i));
  return strBuf;
}

function isAscii(p: usize, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) if (load<u8>(p + i) >= 0x80) return false;
  return true;
}

/** Go's splitUSTARPath: returns the prefix length, or 0 when the name cannot be split. */
function splitUstar(name: usize, len: u32): i32 {
  if (len <= 100 || !isAscii(name, len)) return 0;
  let length = len;
  if (length > 156) length = 156;
  else if (load<u8>(name + length - 1) == 0x2f) length--;
  let i: i32 = <i32>length - 1;
  while (i >= 0 && load<u8>(name + i) != 0x2f) i--;
  const nlen = <i32>len - i - 1;
  if (i <= 0 || nlen > 100 || nlen == 0 || i > 155) return 0;
  return i;
}

function magic(h: usize): void {
  // "ustar\0" "00"
  store<u32>(h + 257, 0x61747375); // u s t a
  store<u8>(h + 261, 0x72);
  store<u8>(h + 262, 0);
  store<u8>(h + 263, 0x30);
  store<u8>(h + 264, 0x30);
}

function octal(p: usize, width: u32, value: u64): void {
  let v = value;
  for (let i: i32 = <i32>width - 2; i >= 0; i--) {
    store<u8>(p + i, <u8>(0x30 + (v & 7)));
    v >>= 3;
  }
  store<u8>(p + width - 1, 0);
}

function checksum(h: usize): void {
  memory.fill(h + 148, 0x20, 8);
  let sum: u32 = 0;
  for (let i: usize = 0; i < 512; i++) sum += load<u8>(h + i);
  octal(h + 148, 7, sum);
  store<u8>(h + 155, 0x20);
}

function digits(n: u64): u32 {
  let d: u32 = 1;
  while (n >= 10) {
    n /= 10;
    d++;
  }
  return d;
}

/** Append "%d %s=%s\n" (the length counts itself); the key may be a prefix + a suffix. */
function record2(k1: usize, k1Len: u32, k2: usize, k2Len: u32, v: usize, vLen: u32): void {
  const base: u64 = <u64>k1Len + <u64>k2Len + <u64>vLen + 3;
  let len = base + digits(base);
  if (digits(len) != digits(base)) len = base + digits(len);
  let p = paxPtr + paxLen;
  p += writeDecimal(p, len);
  store<u8>(p++, 0x20);
  memory.copy(p, k1, k1Len);
  p += k1Len;
  memory.copy(p, k2, k2Len);
  p += k2Len;
  store<u8>(p++, 0x3d);
  memory.copy(p, v, vLen);
  p += vLen;
  store<u8>(p, 0x0a);
  paxLen += <u32>len;
}

function record(k: usize, kLen: u32, v: usize, vLen: u32): void {
  record2(k, kLen, 0, 0, v, vLen);
}

function xattrRecord(k: usize, kLen: u32, v: usize, vLen: u32): void {
  // "SCHILY.xattr." is copied to a stable spot first (str() reuses one buffer).
  const prefix = str('SCHILY.xattr.');
  record2(prefix, 13, k, kLen, v, vLen);
}

function writeDecimal(p: usize, n: u64): u32 {
  const d = digits(n);
  let v = n;
  for (let i: i32 = <i32>d - 1; i >= 0; i--) {
    store<u8>(p + i, <u8>(0x30 + v % 10));
    v /= 10;
  }
  return d;
}

/** A numeric pax record; mtime with a fraction and floor semantics for negatives. */
function numRecord(key: string, keyLen: u32, value: i64, nsec: u32): void {
  let p = numBuf + 64; // text of the value, built in the free first block
  let n: u32 = 0;
  if (nsec == 0) {
    if (value < 0) {
      store<u8>(p + n++, 0x2d);
      n += writeDecimal(p + n, <u64>-value);
    } else {
      n += writeDecimal(p + n, <u64>value);
    }
  } else {
    let whole = value;
    let frac = nsec;
    if (value < 0) {
      whole = value + 1;
      frac = 1000000000 - nsec;
      store<u8>(p + n++, 0x2d);
      n += writeDecimal(p + n, <u64>-whole);
    } else {
      n += writeDecimal(p + n, <u64>whole);
    }
    store<u8>(p + n++, 0x2e);
    // nine digits, trailing zeros dropped
    let f = frac;
    let digitsLeft: i32 = 9;
    while (f % 10 == 0) {
      f /= 10;
      digitsLeft--;
    }
    for (let i: i32 = digitsLeft - 1; i >= 0; i--) {
      store<u8>(p + n + i, <u8>(0x30 + f % 10));
      f /= 10;
    }
    n += <u32>digitsLeft;
  }
  const k = str(key);
  record(k, keyLen, p, n);
}
