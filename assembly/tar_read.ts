// Tar header scanner: walks the headers in SCRATCH-placed bytes and writes one record per
// entry (see layout.ts and src/layer/tar/scan-wasm.ts for the record layout). It mirrors
// src/layer/tar/scan-ts.ts check for check, so both report the same records and errors.
import { REC_SIZE, MAX_RECORDS, XSLOT_SIZE, MAX_XSLOTS, STATUS, RECORDS, XSLOTS } from './layout';

const BLOCK: u32 = 512;
const MAX_PAX: u64 = 16 << 20;
const MAX_NAME: u64 = 1 << 20;
const MAX_CHAIN: u64 = MAX_PAX + 2 * MAX_NAME + 8 * 512;
const MAX_XATTRS: u32 = 4096;
const MAX_SAFE: u64 = 9007199254740991;
const MAX_ID: u64 = 0xffffffff;

// Status codes (ScanStatus) and error codes (TarErrorCode), as in constants.ts.
const ST_MORE: i32 = 0;
const ST_DATA: i32 = 1;
const ST_END: i32 = 2;
const ST_ERROR: i32 = 3;

const E_CHECKSUM: i32 = 1;
const E_NUMBER: i32 = 2;
const E_NEGATIVE: i32 = 3;
const E_TOO_BIG: i32 = 4;
const E_PAX_TOO_BIG: i32 = 5;
const E_NAME_TOO_BIG: i32 = 6;
const E_PAX_RECORD: i32 = 7;
const E_PAX_VALUE: i32 = 8;
const E_UNSUPPORTED: i32 = 9;
const E_SPARSE: i32 = 10;
const E_LONE_ZERO: i32 = 11;
const E_ZERO_IN_CHAIN: i32 = 12;
const E_TOO_MANY_XATTRS: i32 = 13;
const E_CHAIN_TOO_BIG: i32 = 14;

const F_MODE: i32 = 1;
const F_UID: i32 = 2;
const F_GID: i32 = 3;
const F_SIZE: i32 = 4;
const F_MTIME: i32 = 5;
const F_CHECKSUM: i32 = 6;
const F_DEVMAJOR: i32 = 7;
const F_DEVMINOR: i32 = 8;

const G_UID: u32 = 1;
const G_GID: u32 = 2;
const G_MTIME: u32 = 4;

// Error state of the current step (0: none).
let errCode: i32 = 0;
let errDetail: i32 = 0;

// Local pax values and GNU long names for the next entry (-1 / 0 length: not given).
let pPath: usize = 0;
let pPathLen: i32 = -1;
let pLink: usize = 0;
let pLinkLen: i32 = -1;
let pSize: i64 = -1;
let pUid: i64 = -1;
let pGid: i64 = -1;
let pMtimeSet: bool = false;
let pMtime: i64 = 0;
let pNsec: u32 = 0;
let lName: usize = 0;
let lNameLen: i32 = -1;
let lLink: usize = 0;
let lLinkLen: i32 = -1;
let xFirst: u32 = 0;
let nx: u32 = 0;

// Globals from 'g' headers: loaded from STATUS at the start of a call, stored back at the end.
let gFlags: u32 = 0;
let gUid: u32 = 0;
let gGid: u32 = 0;
let gMtime: i64 = 0;
let gNsec: u32 = 0;

// Time parse results.
let tSec: i64 = 0;
let tNsec: u32 = 0;

@inline function padOf(n: u64): u64 {
  return (512 - (n & 511)) & 511;
}

function finish(status: i32, consumed: u32, need: u32, nrec: u32): i32 {
  store<i32>(STATUS, status);
  store<u32>(STATUS, consumed, 4);
  store<u32>(STATUS, need, 8);
  store<u32>(STATUS, nrec, 12);
  store<u32>(STATUS, nx, 28);
  store<u32>(STATUS, gFlags, 32);
  store<u32>(STATUS, gUid, 36);
  store<u32>(STATUS, gGid, 40);
  store<u32>(STATUS, gNsec, 44);
  store<f64>(STATUS, <f64>gMtime, 48);
  return status;
}

function fail(code: i32, detail: i32, pos: u32, nrec: u32): i32 {
  store<i32>(STATUS, code, 16);
  store<i32>(STATUS, detail, 20);
  store<u32>(STATUS, pos, 24);
  return finish(ST_ERROR, pos, 0, nrec);
}

function resetPending(): void {
  pPathLen = -1;
  pLinkLen = -1;
  pSize = -1;
  pUid = -1;
  pGid = -1;
  pMtimeSet = false;
  pMtime = 0;
  pNsec = 0;
  lNameLen = -1;
  lLinkLen = -1;
  xFirst = nx;
}

/**
 * Scan inp[start, end) (positions relative to inp). Returns the status (also in STATUS[0]);
 * records go to RECORDS, xattr slots to XSLOTS.
 */
export function tarScan(inp: usize, start: u32, end: u32): i32 {
  errCode = 0;
  errDetail = 0;
  nx = 0;
  gFlags = load<u32>(STATUS, 32);
  gUid = load<u32>(STATUS, 36);
  gGid = load<u32>(STATUS, 40);
  gNsec = load<u32>(STATUS, 44);
  gMtime = <i64>load<f64>(STATUS, 48);
  let pos: u32 = start;
  let nrec: u32 = 0;
  while (true) {
    if (nrec >= MAX_RECORDS || nx + MAX_XATTRS > MAX_XSLOTS) return finish(ST_MORE, pos, BLOCK, nrec);
    const chainStart = pos;
    resetPending();
    while (true) {
      if (end - pos < BLOCK) return finish(ST_MORE, chainStart, pos + BLOCK - chainStart, nrec);
      const h = inp + pos;
      // Sum the bytes 8 at a time: 16-bit lanes never overflow within one block.
      let lanes: u64 = 0;
      let high: u32 = 0;
      let any: u64 = 0;
      for (let i: usize = 0; i < 512; i += 8) {
        const w = load<u64>(h + i);
        any |= w;
        lanes += (w & 0x00ff00ff00ff00ff) + ((w >> 8) & 0x00ff00ff00ff00ff);
        high += <u32>popcnt<u64>(w & 0x8080808080808080);
      }
      if (any == 0) {
        if (pos != chainStart) return fail(E_ZERO_IN_CHAIN, 0, pos, nrec);
        if (end - pos < 2 * BLOCK) return finish(ST_MORE, chainStart, 2 * BLOCK, nrec);
        if (isZeroBlock(h + 512)) return finish(ST_END, pos + 2 * BLOCK, 0, nrec);
        return fail(E_LONE_ZERO, 0, pos, nrec);
      }
      const sum: u32 = <u32>((lanes & 0xffff) + ((lanes >> 16) & 0xffff) + ((lanes >> 32) & 0xffff) + (lanes >> 48));
      if (!checksumOk(h, sum, high)) return fail(E_CHECKSUM, 0, pos, nrec);
      const tf: u32 = load<u8>(h + 156);
      if (tf == 0x78 || tf == 0x67 || tf == 0x4c || tf == 0x4b) {
        const size = numeric(h + 124, 12, F_SIZE, false);
        if (errCode != 0) return fail(errCode, errDetail, pos, nrec);
        const isPax = tf == 0x78 || tf == 0x67;
        if (isPax ? <u64>size > MAX_PAX : <u64>size > MAX_NAME) {
          return fail(isPax ? E_PAX_TOO_BIG : E_NAME_TOO_BIG, 0, pos, nrec);
        }
        const total: u64 = 512 + <u64>size + padOf(<u64>size);
        if (<u64>(pos - chainStart) + total > MAX_CHAIN) return fail(E_CHAIN_TOO_BIG, 0, pos, nrec);
        if (<u64>(end - pos) < total) return finish(ST_MORE, chainStart, <u32>(<u64>(pos - chainStart) + total), nrec);
        const d = h + 512;
        const dEnd = d + <usize>size;
        if (tf == 0x78) {
          parsePax(d, dEnd, true);
        } else if (tf == 0x67) {
          parsePax(d, dEnd, false);
        } else {
          let n: usize = 0;
          while (n < <usize>size && load<u8>(d + n) != 0) n++;
          if (tf == 0x4c) {
            lName = d;
            lNameLen = <i32>n;
          } else {
            lLink = d;
            lLinkLen = <i32>n;
          }
        }
        if (errCode != 0) return fail(errCode, errDetail, pos, nrec);
        pos += <u32>total;
        continue;
      }
      const rec = RECORDS + <usize>(nrec * REC_SIZE);
      if (!entry(h, tf, rec)) return fail(errCode, errDetail, pos, nrec);
      store<u32>(rec, pos + BLOCK, 60);
      store<u32>(rec, pos, 80);
      nrec++;
      const dataStart = pos + BLOCK;
      const size = <u64>load<f64>(rec, 0);
      const padded: u64 = size + padOf(size);
      if (<u64>(end - dataStart) < padded) return finish(ST_DATA, dataStart, 0, nrec);
      pos = dataStart + <u32>padded;
      break;
    }
  }
  return 0;
}

function isZeroBlock(p: usize): bool {
  let any: u64 = 0;
  for (let i: usize = 0; i < 512; i += 8) any |= load<u64>(p + i);
  return any == 0;
}

/** GNU tar and Go accept the unsigned sum and the (historic) signed-char sum. */
function checksumOk(h: usize, sum: u32, high: u32): bool {
  let fieldSum: u32 = 0;
  let fieldHigh: u32 = 0;
  for (let i: usize = 148; i < 156; i++) {
    const b: u32 = load<u8>(h + i);
    fieldSum += b;
    if (b & 0x80) fieldHigh++;
  }
  const unsigned: i64 = <i64>sum - <i64>fieldSum + 8 * 32;
  const signed: i64 = unsigned - 256 * <i64>(high - fieldHigh);
  const stored = numeric(h + 148, 8, F_CHECKSUM, false);
  if (errCode != 0) {
    errCode = 0;
    errDetail = 0;
    return false;
  }
  return stored == unsigned || stored == signed;
}

/**
 * A numeric header field: octal (leading/trailing spaces and NULs ignored; empty is 0) or
 * GNU base-256 (top bit of the first byte set; bit 6 is the sign). Sets errCode on failure.
 */
function numeric(p: usize, len: usize, field: i32, allowNegative: bool): i64 {
  const first: u32 = load<u8>(p);
  if (first & 0x80) {
    const inv: u32 = first & 0x40 ? 0xff : 0;
    let x: u64 = 0;
    for (let i: usize = 0; i < len; i++) {
      let c: u32 = <u32>load<u8>(p + i) ^ inv;
      if (i == 0) c &= 0x7f;
      x = x * 256 + <u64>c; // x <= 2^53 before: no u64 overflow
      if (x > MAX_SAFE) return setErr(E_TOO_BIG, field);
    }
    if (inv == 0) return <i64>x;
    if (!allowNegative) return setErr(E_NEGATIVE, field);
    return -<i64>x - 1;
  }
  let a = p;
  let b = p + len;
  while (a < b && (load<u8>(a) == 0x20 || load<u8>(a) == 0)) a++;
  while (b > a && (load<u8>(b - 1) == 0x20 || load<u8>(b - 1) == 0)) b--;
  let x: u64 = 0;
  for (let i = a; i < b; i++) {
    const d: u32 = <u32>load<u8>(i) - 0x30;
    if (d > 7) return setErr(E_NUMBER, field);
    x = x * 8 + <u64>d;
  }
  return <i64>x;
}

function setErr(code: i32, detail: i32): i64 {
  errCode = code;
  errDetail = detail;
  return 0;
}

function idField(p: usize, field: i32): u32 {
  const v = numeric(p, 8, field, false);
  if (errCode != 0) return 0;
  if (<u64>v > MAX_ID) {
    setErr(E_TOO_BIG, field);
    return 0;
  }
  return <u32>v;
}

/** Fill the record for an entry header at h. Returns false with errCode set on failure. */
function entry(h: usize, tf: u32, rec: usize): bool {
  let t: u32 = tf;
  switch (tf) {
    case 0x30:
    case 0x37:
    case 0:
      t = 0x30;
      break;
    case 0x31:
    case 0x32:
    case 0x33:
    case 0x34:
    case 0x35:
    case 0x36:
      break;
    case 0x53:
      setErr(E_SPARSE, 0);
      return false;
    default:
      setErr(E_UNSUPPORTED, <i32>tf);
      return false;
  }
  const mode = numeric(h + 100, 8, F_MODE, false);
  if (errCode != 0) return false;
  let uid: u32;
  if (pUid >= 0) uid = <u32>pUid;
  else if (gFlags & G_UID) uid = gUid;
  else {
    uid = idField(h + 108, F_UID);
    if (errCode != 0) return false;
  }
  let gid: u32;
  if (pGid >= 0) gid = <u32>pGid;
  else if (gFlags & G_GID) gid = gGid;
  else {
    gid = idField(h + 116, F_GID);
    if (errCode != 0) return false;
  }
  let mtime: i64;
  let nsec: u32 = 0;
  if (pMtimeSet) {
    mtime = pMtime;
    nsec = pNsec;
  } else if (gFlags & G_MTIME) {
    mtime = gMtime;
    nsec = gNsec;
  } else {
    mtime = numeric(h + 136, 12, F_MTIME, true);
    if (errCode != 0) return false;
  }
  let size: i64;
  if (pSize >= 0) size = pSize;
  else {
    size = numeric(h + 124, 12, F_SIZE, false);
    if (errCode != 0) return false;
  }
  let devmajor: u32 = 0;
  let devminor: u32 = 0;
  if (t == 0x33 || t == 0x34) {
    devmajor = idField(h + 329, F_DEVMAJOR);
    if (errCode != 0) return false;
    devminor = idField(h + 337, F_DEVMINOR);
    if (errCode != 0) return false;
  }

  // Name: pax path, else GNU long name, else the header (with the ustar prefix).
  let namePtr: usize;
  let nameLen: u32;
  let prefixPtr: usize = 0;
  let prefixLen: u32 = 0;
  if (pPathLen > 0) {
    namePtr = pPath;
    nameLen = <u32>pPathLen;
  } else if (lNameLen >= 0) {
    namePtr = lName;
    nameLen = <u32>lNameLen;
  } else {
    namePtr = h;
    nameLen = cLen(h, 100);
    if (
      load<u8>(h + 257) == 0x75 &&
      load<u8>(h + 258) == 0x73 &&
      load<u8>(h + 259) == 0x74 &&
      load<u8>(h + 260) == 0x61 &&
      load<u8>(h + 261) == 0x72 &&
      load<u8>(h + 262) == 0 &&
      load<u8>(h + 345) != 0
    ) {
      const star = load<u8>(h + 508) == 0x74 && load<u8>(h + 509) == 0x61 && load<u8>(h + 510) == 0x72 && load<u8>(h + 511) == 0;
      prefixPtr = h + 345;
      prefixLen = cLen(h + 345, star ? 131 : 155);
    }
  }
  if (tf == 0) {
    const endsSlash = nameLen > 0 ? load<u8>(namePtr + nameLen - 1) == 0x2f : prefixPtr != 0;
    if (endsSlash) t = 0x35;
  }
  // Header-only types carry no data whatever their size field says (as Go's archive/tar).
  if (t != 0x30) size = 0;
  let linkPtr: usize = 0;
  let linkLen: u32 = 0;
  if (t == 0x31 || t == 0x32) {
    if (pLinkLen > 0) {
      linkPtr = pLink;
      linkLen = <u32>pLinkLen;
    } else if (lLinkLen >= 0) {
      linkPtr = lLink;
      linkLen = <u32>lLinkLen;
    } else {
      linkPtr = h + 157;
      linkLen = cLen(h + 157, 100);
    }
  }
  store<f64>(rec, <f64>size, 0);
  store<f64>(rec, <f64>mtime, 8);
  store<u32>(rec, t, 16);
  store<u32>(rec, <u32>mode & 0o7777, 20);
  store<u32>(rec, uid, 24);
  store<u32>(rec, gid, 28);
  store<u32>(rec, nsec, 32);
  store<u32>(rec, <u32>namePtr, 36);
  store<u32>(rec, nameLen, 40);
  store<u32>(rec, <u32>prefixPtr, 44);
  store<u32>(rec, prefixLen, 48);
  store<u32>(rec, <u32>linkPtr, 52);
  store<u32>(rec, linkLen, 56);
  store<u32>(rec, devmajor, 64);
  store<u32>(rec, devminor, 68);
  store<u32>(rec, xFirst, 72);
  store<u32>(rec, nx - xFirst, 76);
  return true;
}

function cLen(p: usize, max: u32): u32 {
  let n: u32 = 0;
  while (n < max && load<u8>(p + n) != 0) n++;
  return n;
}

/** Parse pax records "%d %s=%s\n" in [p, end) into the local (x) or global (g) state. */
function parsePax(p: usize, end: usize, local: bool): void {
  while (p < end) {
    if (load<u8>(p) == 0) {
      for (let i = p; i < end; i++) {
        if (load<u8>(i) != 0) {
          setErr(E_PAX_RECORD, 0);
          return;
        }
      }
      return;
    }
    let len: usize = 0;
    let q = p;
    while (q < end && load<u8>(q) >= 0x30 && load<u8>(q) <= 0x39) {
      len = len * 10 + <usize>(load<u8>(q) - 0x30);
      if (len > end - p) {
        setErr(E_PAX_RECORD, 0);
        return;
      }
      q++;
    }
    if (q == p || q >= end || load<u8>(q) != 0x20) {
      setErr(E_PAX_RECORD, 0);
      return;
    }
    const recEnd = p + len;
    if (recEnd > end || recEnd <= q + 1 || load<u8>(recEnd - 1) != 0x0a) {
      setErr(E_PAX_RECORD, 0);
      return;
    }
    const k = q + 1;
    let eq = k;
    while (eq < recEnd - 1 && load<u8>(eq) != 0x3d) eq++;
    if (eq >= recEnd - 1 || eq == k) {
      setErr(E_PAX_RECORD, 0);
      return;
    }
    applyPax(k, eq, eq + 1, recEnd - 1, local);
    if (errCode != 0) return;
    p = recEnd;
  }
}

// Key words as little-endian integers for quick comparison.
@inline function keyIs4(k: usize, kEnd: usize, w: u32): bool {
  return kEnd - k == 4 && load<u32>(k) == w;
}

function keyStarts(k: usize, kEnd: usize, prefix: string): bool {
  const n = <usize>prefix.length;
  if (kEnd - k <= n) return false;
  for (let i: usize = 0; i < n; i++) if (<u32>load<u8>(k + i) != <u32>prefix.charCodeAt(<i32>i)) return false;
  return true;
}

function keyIs(k: usize, kEnd: usize, word: string): bool {
  const n = <usize>word.length;
  if (kEnd - k != n) return false;
  for (let i: usize = 0; i < n; i++) if (<u32>load<u8>(k + i) != <u32>word.charCodeAt(<i32>i)) return false;
  return true;
}

function applyPax(k: usize, kEnd: usize, v: usize, vEnd: usize, local: bool): void {
  for (let i = k; i < kEnd; i++) {
    if (load<u8>(i) == 0) {
      setErr(E_PAX_RECORD, 0);
      return;
    }
  }
  const c: u32 = load<u8>(k);
  if (c == 0x70 && keyIs4(k, kEnd, 0x68746170 /* path */)) {
    if (!local) return;
    if (!nameValue(v, vEnd)) return;
    pPath = v;
    pPathLen = vEnd == v ? -1 : <i32>(vEnd - v);
  } else if (c == 0x6c && keyIs(k, kEnd, 'linkpath')) {
    if (!local) return;
    if (!nameValue(v, vEnd)) return;
    pLink = v;
    pLinkLen = vEnd == v ? -1 : <i32>(vEnd - v);
  } else if (c == 0x73 && keyIs4(k, kEnd, 0x657a6973 /* size */)) {
    if (!local) return;
    pSize = vEnd == v ? -1 : decimal(v, vEnd, F_SIZE, MAX_SAFE);
  } else if (c == 0x75 && keyIs(k, kEnd, 'uid')) {
    const id = vEnd == v ? -1 : decimal(v, vEnd, F_UID, MAX_ID);
    if (errCode != 0) return;
    if (local) pUid = id;
    else if (id < 0) gFlags &= ~G_UID;
    else {
      gFlags |= G_UID;
      gUid = <u32>id;
    }
  } else if (c == 0x67 && keyIs(k, kEnd, 'gid')) {
    const id = vEnd == v ? -1 : decimal(v, vEnd, F_GID, MAX_ID);
    if (errCode != 0) return;
    if (local) pGid = id;
    else if (id < 0) gFlags &= ~G_GID;
    else {
      gFlags |= G_GID;
      gGid = <u32>id;
    }
  } else if (c == 0x6d && keyIs(k, kEnd, 'mtime')) {
    if (vEnd == v) {
      if (local) pMtimeSet = false;
      else gFlags &= ~G_MTIME;
      return;
    }
    if (!paxTime(v, vEnd)) return;
    if (local) {
      pMtimeSet = true;
      pMtime = tSec;
      pNsec = tNsec;
    } else {
      gFlags |= G_MTIME;
      gMtime = tSec;
      gNsec = tNsec;
    }
  } else if (c == 0x53 && keyStarts(k, kEnd, 'SCHILY.xattr.')) {
    if (local) addXattr(k + 13, kEnd, v, vEnd, 0);
  } else if (c == 0x4c && keyStarts(k, kEnd, 'LIBARCHIVE.xattr.')) {
    if (local) addXattr(k + 17, kEnd, v, vEnd, 0x80000000);
  } else if (c == 0x47 && keyStarts(k, kEnd, 'GNU.sparse.')) {
    setErr(E_SPARSE, 0);
  }
}

function addXattr(k: usize, kEnd: usize, v: usize, vEnd: usize, kind: u32): void {
  if (nx - xFirst >= MAX_XATTRS) {
    setErr(E_TOO_MANY_XATTRS, 0);
    return;
  }
  const slot = XSLOTS + <usize>(nx * XSLOT_SIZE);
  store<u32>(slot, <u32>k, 0);
  store<u32>(slot, <u32>(kEnd - k) | kind, 4);
  store<u32>(slot, <u32>v, 8);
  store<u32>(slot, <u32>(vEnd - v), 12);
  nx++;
}

function nameValue(v: usize, vEnd: usize): bool {
  if (<u64>(vEnd - v) > MAX_NAME) {
    setErr(E_NAME_TOO_BIG, 0);
    return false;
  }
  for (let i = v; i < vEnd; i++) {
    if (load<u8>(i) == 0) {
      setErr(E_PAX_RECORD, 0);
      return false;
    }
  }
  return true;
}

function decimal(v: usize, vEnd: usize, field: i32, max: u64): i64 {
  if (load<u8>(v) == 0x2d) return setErr(E_NEGATIVE, field);
  let x: u64 = 0;
  for (let i = v; i < vEnd; i++) {
    const d: u32 = <u32>load<u8>(i) - 0x30;
    if (d > 9) return setErr(E_PAX_VALUE, field);
    x = x * 10 + <u64>d;
    if (x > max) return setErr(E_TOO_BIG, field);
  }
  return <i64>x;
}

/** "[-]sec[.frac]" -> tSec (floor), tNsec; digits past the ninth are dropped. */
function paxTime(v: usize, vEnd: usize): bool {
  let i = v;
  const negative = load<u8>(i) == 0x2d;
  if (negative) i++;
  let sec: u64 = 0;
  const digitsStart = i;
  for (; i < vEnd && load<u8>(i) != 0x2e; i++) {
    const d: u32 = <u32>load<u8>(i) - 0x30;
    if (d > 9) {
      setErr(E_PAX_VALUE, F_MTIME);
      return false;
    }
    sec = sec * 10 + <u64>d;
    if (sec > MAX_SAFE) {
      setErr(E_TOO_BIG, F_MTIME);
      return false;
    }
  }
  if (i == digitsStart) {
    setErr(E_PAX_VALUE, F_MTIME);
    return false;
  }
  let nsec: u32 = 0;
  if (i < vEnd) {
    i++;
    let scale: u32 = 100000000;
    if (i == vEnd) {
      setErr(E_PAX_VALUE, F_MTIME);
      return false;
    }
    for (; i < vEnd; i++) {
      const d: u32 = <u32>load<u8>(i) - 0x30;
      if (d > 9) {
        setErr(E_PAX_VALUE, F_MTIME);
        return false;
      }
      nsec += d * scale;
      scale = scale / 10;
    }
  }
  if (!negative) {
    tSec = <i64>sec;
    tNsec = nsec;
  } else if (nsec == 0) {
    tSec = -<i64>sec;
    tNsec = 0;
  } else {
    tSec = -<i64>sec - 1;
    tNsec = 1000000000 - nsec;
  }
  return true;
}
