// OCI path cleaning and whiteout classification over UTF-8 bytes; the same rules as
// src/layer/tar/paths.ts ("/" and "." are ASCII, so byte-wise and string-wise agree).
// Result: kind >= 0 (0 normal, 1 whiteout, 2 opaque, 3 internal) or a negative error code
// (-30 empty, -31 escapes the root, -32 NUL, -33 bare ".wh.", -34 invalid whiteout).

const K_NORMAL: i32 = 0;
const K_WHITEOUT: i32 = 1;
const K_OPAQUE: i32 = 2;
const K_INTERNAL: i32 = 3;

// Lengths of the last clean: path at out[0, cPathLen), target at out[cPathLen, cPathLen + cTargetLen).
let cPathLen: u32 = 0;
let cTargetLen: u32 = 0;

/** Clean inp[0, len) into out; target (if any) right after the path. Returns kind or -error. */
export function pathClean(inp: usize, len: u32, out: usize): i32 {
  return cleanOne(inp, len, out);
}

/** Lengths written by the last pathClean. */
export function pathCleanPathLen(): u32 {
  return cPathLen;
}
export function pathCleanTargetLen(): u32 {
  return cTargetLen;
}

/**
 * Clean `count` names: inp holds u32 offsets[count + 1] (relative to the bytes that follow the
 * table), then the bytes. out receives count records (i32 kind, u32 pathOff, u32 pathLen,
 * u32 targetLen; offsets relative to the byte area after the records), then the bytes.
 * Returns the bytes written after the records.
 */
export function pathCleanBatch(inp: usize, count: u32, out: usize): u32 {
  const bytes = inp + (<usize>(count + 1) << 2);
  const outBytes = out + (<usize>count << 4);
  let o: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const a = load<u32>(inp + (<usize>i << 2));
    const b = load<u32>(inp + (<usize>(i + 1) << 2));
    const kind = cleanOne(bytes + a, b - a, outBytes + o);
    const r = out + (<usize>i << 4);
    store<i32>(r, kind, 0);
    store<u32>(r, o, 4);
    if (kind < 0) {
      store<u32>(r, 0, 8);
      store<u32>(r, 0, 12);
      continue;
    }
    store<u32>(r, cPathLen, 8);
    store<u32>(r, cTargetLen, 12);
    o += cPathLen + cTargetLen;
  }
  return o;
}

function cleanOne(inp: usize, len: u32, out: usize): i32 {
  cPathLen = 0;
  cTargetLen = 0;
  if (len == 0) return -30;
  for (let i: u32 = 0; i < len; i++) if (load<u8>(inp + i) == 0) return -32;
  let o: u32 = 0;
  let i: u32 = 0;
  while (i < len) {
    let j = i;
    while (j < len && load<u8>(inp + j) != 0x2f) j++;
    const n = j - i;
    if (n == 0 || (n == 1 && load<u8>(inp + i) == 0x2e)) {
      // empty or "."
    } else if (n == 2 && load<u8>(inp + i) == 0x2e && load<u8>(inp + i + 1) == 0x2e) {
      if (o == 0) return -31;
      let k = o;
      while (k > 0 && load<u8>(out + k - 1) != 0x2f) k--;
      o = k > 0 ? k - 1 : 0;
    } else {
      if (o > 0) store<u8>(out + o++, 0x2f);
      memory.copy(out + o, inp + i, n);
      o += n;
    }
    i = j + 1;
  }
  if (o == 0) {
    store<u8>(out, 0x2e);
    cPathLen = 1;
    return K_NORMAL;
  }
  cPathLen = o;
  // Last component.
  let s = o;
  while (s > 0 && load<u8>(out + s - 1) != 0x2f) s--;
  const baseLen = o - s;
  const base = out + s;
  // ".wh." as a little-endian u32: 2e 77 68 2e
  if (baseLen < 4 || load<u32>(base) != 0x2e68772e) return K_NORMAL;
  const t = out + o;
  if (baseLen == 12 && load<u64>(base + 4) == 0x71706f2e2e68772e /* .wh..opq */) {
    // target: the directory ("." at the root)
    if (s == 0) {
      store<u8>(t, 0x2e);
      cTargetLen = 1;
    } else {
      memory.copy(t, out, s - 1);
      cTargetLen = s - 1;
    }
    return K_OPAQUE;
  }
  if (baseLen >= 8 && load<u32>(base + 4) == 0x2e68772e) return K_INTERNAL;
  if (baseLen == 4) return -33;
  const restLen = baseLen - 4;
  if (load<u8>(base + 4) == 0x2e && (restLen == 1 || (restLen == 2 && load<u8>(base + 5) == 0x2e))) return -34;
  // target: dir/rest (the path without ".wh.")
  memory.copy(t, out, s);
  memory.copy(t + s, base + 4, restLen);
  cTargetLen = s + restLen;
  return K_WHITEOUT;
}
