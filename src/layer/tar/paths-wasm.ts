// The Wasm twins of cleanPath/classifyWhiteout (assembly/paths.ts): one name at a time, or a
// batch of names placed in Wasm memory at once (the bench compares both with paths.ts).
import { tarNameError } from './errors.js';
import type { ClassifiedName, WhiteoutKind } from './paths.js';
import { scratchOwner, wasmViews } from './wasm.js';

const KINDS: WhiteoutKind[] = ['normal', 'whiteout', 'opaque', 'internal'];

/** classifyWhiteout in Wasm. Throws TarFormatError like the TypeScript version. */
export function classifyWhiteoutWasm(name: string): ClassifiedName {
  const v = wasmViews();
  const max = Buffer.byteLength(name);
  const inp = v.scratch(3 * max + 8);
  scratchOwner.owner = null;
  const len = v.u8.write(name, inp, 'utf8');
  const out = inp + len;
  const kind = v.wasm.pathClean(inp, len, out);
  if (kind < 0) throw tarNameError(-kind, name);
  const pathLen = v.wasm.pathCleanPathLen();
  const targetLen = v.wasm.pathCleanTargetLen();
  return {
    path: v.u8.toString('utf8', out, out + pathLen),
    kind: KINDS[kind]!,
    target: targetLen > 0 ? v.u8.toString('utf8', out + pathLen, out + pathLen + targetLen) : '',
  };
}

/** cleanPath in Wasm. */
export function cleanPathWasm(name: string): string {
  const v = wasmViews();
  const max = Buffer.byteLength(name);
  const inp = v.scratch(3 * max + 8);
  scratchOwner.owner = null;
  const len = v.u8.write(name, inp, 'utf8');
  const out = inp + len;
  const kind = v.wasm.pathClean(inp, len, out);
  if (kind < 0 && kind !== -33 && kind !== -34) throw tarNameError(-kind, name);
  return v.u8.toString('utf8', out, out + v.wasm.pathCleanPathLen());
}

/**
 * Classify many names in one call: each result is a ClassifiedName or the TarFormatError the
 * single-name functions would throw.
 */
export function classifyWhiteoutBatchWasm(names: readonly string[]): Array<ClassifiedName | Error> {
  const v = wasmViews();
  const count = names.length;
  let total = 0;
  for (const n of names) total += Buffer.byteLength(n);
  const tableBytes = (count + 1) * 4;
  const inSize = tableBytes + total;
  const outSize = count * 16 + 2 * total + 2 * count;
  const inp = v.scratch(inSize + 8 + outSize);
  scratchOwner.owner = null;
  const u32 = v.u32;
  const u8 = v.u8;
  const bytes = inp + tableBytes;
  let off = 0;
  for (let i = 0; i < count; i++) {
    u32[(inp >>> 2) + i] = off;
    off += u8.write(names[i]!, bytes + off, 'utf8');
  }
  u32[(inp >>> 2) + count] = off;
  const out = (inp + inSize + 7) & ~7;
  v.wasm.pathCleanBatch(inp, count, out);
  const outBytes = out + count * 16;
  const results: Array<ClassifiedName | Error> = new Array(count);
  const i32 = v.i32;
  for (let i = 0; i < count; i++) {
    const r = (out >>> 2) + i * 4;
    const kind = i32[r]!;
    if (kind < 0) {
      results[i] = tarNameError(-kind, names[i]!);
      continue;
    }
    const p = outBytes + u32[r + 1]!;
    const pathLen = u32[r + 2]!;
    const targetLen = u32[r + 3]!;
    results[i] = {
      path: u8.toString('utf8', p, p + pathLen),
      kind: KINDS[kind]!,
      target: targetLen > 0 ? u8.toString('utf8', p + pathLen, p + pathLen + targetLen) : '',
    };
  }
  return results;
}
