// Wasm hot paths over bytes: tar header reading (tar_read.ts) and writing (tar_write.ts),
// whiteout classification and path cleaning (paths.ts). The TypeScript side
// (src/layer/tar/*-wasm.ts) places bytes in SCRATCH and decodes results from memory.
// ABI_VERSION must match WASM_ABI_VERSION in src/layer/tar/constants.ts.
import { REC_SIZE, MAX_RECORDS, XSLOT_SIZE, MAX_XSLOTS, STATUS, RECORDS, XSLOTS, ensureScratch } from './layout';

export const ABI_VERSION: i32 = 1;

export function abiVersion(): i32 {
  return ABI_VERSION;
}

export function statusPtr(): usize {
  return STATUS;
}
export function recordsPtr(): usize {
  return RECORDS;
}
export function xslotsPtr(): usize {
  return XSLOTS;
}
/** Layout constants, so the TypeScript side can check it decodes the same records. */
export function layoutInfo(which: i32): u32 {
  if (which == 0) return REC_SIZE;
  if (which == 1) return MAX_RECORDS;
  if (which == 2) return XSLOT_SIZE;
  return MAX_XSLOTS;
}
/** Address of a scratch area of at least `size` bytes (0 when memory cannot grow). */
export function scratch(size: u32): usize {
  return ensureScratch(size);
}

export { tarScan } from './tar_read';
export { pathClean, pathCleanPathLen, pathCleanTargetLen, pathCleanBatch } from './paths';
export { tarEncodeHeader } from './tar_write';
