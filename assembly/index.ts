// Wasm hot paths (tar reading and writing, whiteouts, path sets). See docs/ARCHITECTURE.md.
export const ABI_VERSION: i32 = 1;

export function abiVersion(): i32 {
  return ABI_VERSION;
}
