// Places validated header fields in Wasm memory for assembly/tar_write.ts and copies the
// encoded header block(s) out.
import type { HeaderFields } from './types.js';
import { scratchOwner, wasmViews } from './wasm.js';

const TYPE_FLAGS: Record<string, number> = {
  file: 0x30,
  hardlink: 0x31,
  symlink: 0x32,
  char: 0x33,
  block: 0x34,
  dir: 0x35,
  fifo: 0x36,
};

export function encodeHeaderWasm(f: HeaderFields): Buffer {
  const v = wasmViews();
  const nx = f.xattrs.length;
  const keys = f.xattrs.map(([k]) => Buffer.from(k, 'utf8'));
  let strings = f.name.length + f.linkname.length + f.uname.length + f.gname.length;
  for (let i = 0; i < nx; i++) strings += keys[i]!.length + f.xattrs[i]![1].length;
  const inSize = nx * 8 + strings;
  // Output bound: two header blocks, the pax records (each input byte at most once, plus
  // per-record overhead) and block padding.
  const outBound = 3 * 512 + strings + (nx + 8) * 48 + 512;
  const inp = v.scratch(inSize + 16 + outBound);
  scratchOwner.owner = null;
  const out = (inp + inSize + 15) & ~15;
  const status = v.wasm.statusPtr();
  const s32 = status >>> 2;
  const { u8, u32, f64 } = v;
  u32[s32 + 32] = TYPE_FLAGS[f.type]!;
  u32[s32 + 33] = f.mode;
  u32[s32 + 34] = f.uid;
  u32[s32 + 35] = f.gid;
  u32[s32 + 36] = f.mtimeNsec;
  u32[s32 + 37] = f.devmajor;
  u32[s32 + 38] = f.devminor;
  u32[s32 + 39] = nx;
  f64[(status + 160) >>> 3] = f.size;
  f64[(status + 168) >>> 3] = f.mtime;
  u32[s32 + 44] = f.name.length;
  u32[s32 + 45] = f.linkname.length;
  u32[s32 + 46] = f.uname.length;
  u32[s32 + 47] = f.gname.length;
  let p = inp + nx * 8;
  for (let i = 0; i < nx; i++) {
    u32[(inp >>> 2) + 2 * i] = keys[i]!.length;
    u32[(inp >>> 2) + 2 * i + 1] = f.xattrs[i]![1].length;
  }
  for (const b of [f.name, f.linkname, f.uname, f.gname]) {
    u8.set(b, p);
    p += b.length;
  }
  for (let i = 0; i < nx; i++) {
    u8.set(keys[i]!, p);
    p += keys[i]!.length;
    u8.set(f.xattrs[i]![1], p);
    p += f.xattrs[i]![1].length;
  }
  const len = v.wasm.tarEncodeHeader(inp, out);
  return Buffer.from(u8.subarray(out, out + len));
}
