// Fixed regions of linear memory (no allocator: the stub runtime never frees, and every hot
// path here works on caller-placed bytes). Layout from __heap_base up:
//   STATUS   256 bytes   results and in/out state of the last call (i32/f64 slots)
//   RECORDS  entry records written by tarScan (REC_SIZE bytes each)
//   XSLOTS   xattr slots referenced by records (XSLOT_SIZE bytes each)
//   SCRATCH  grows on demand: the input the caller copies in, and output areas after it
export const REC_SIZE: u32 = 96;
export const MAX_RECORDS: u32 = 4096;
export const XSLOT_SIZE: u32 = 16;
export const MAX_XSLOTS: u32 = 16384;

export const STATUS: usize = (__heap_base + 15) & ~(15 as usize);
export const RECORDS: usize = STATUS + 256;
export const XSLOTS: usize = RECORDS + (MAX_RECORDS * REC_SIZE as usize);
export const SCRATCH: usize = (XSLOTS + (MAX_XSLOTS * XSLOT_SIZE as usize) + 15) & ~(15 as usize);

/** Make SCRATCH hold at least `size` bytes (growing memory) and return its address. */
export function ensureScratch(size: u32): usize {
  const needEnd: u64 = (SCRATCH as u64) + (size as u64);
  const haveEnd: u64 = (memory.size() as u64) << 16;
  if (needEnd > haveEnd) {
    const pages = ((needEnd - haveEnd + 0xffff) >> 16) as i32;
    if (memory.grow(pages) < 0) return 0;
  }
  return SCRATCH;
}
