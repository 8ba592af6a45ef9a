// The tar part of build/hx.wasm as the TypeScript side sees it, and views over its memory
// that follow memory growth.
import { hxWasm, type HxWasmCore } from '../../sys/wasm.js';
import { WASM_ABI_VERSION } from './constants.js';

export interface TarWasm extends HxWasmCore {
  statusPtr(): number;
  recordsPtr(): number;
  xslotsPtr(): number;
  scratch(size: number): number;
  layoutInfo(which: number): number;
  tarScan(inp: number, start: number, end: number): number;
  tarEncodeHeader(inp: number, out: number): number;
  pathClean(inp: number, len: number, out: number): number;
  pathCleanPathLen(): number;
  pathCleanTargetLen(): number;
  pathCleanBatch(inp: number, count: number, out: number): number;
}

export class WasmViews {
  readonly wasm: TarWasm;
  private buffer: ArrayBuffer | null = null;
  u8!: Buffer;
  u32!: Uint32Array;
  i32!: Int32Array;
  f64!: Float64Array;

  constructor() {
    this.wasm = hxWasm<TarWasm>(WASM_ABI_VERSION);
    this.refresh();
  }

  /** Re-create the views when memory grew (growth detaches the old ArrayBuffer). */
  refresh(): void {
    const buffer = this.wasm.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.u8 = Buffer.from(buffer);
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
  }

  /** A scratch area of `size` bytes; refreshes the views. */
  scratch(size: number): number {
    const ptr = this.wasm.scratch(size);
    if (ptr === 0) throw new RangeError(`hx.wasm: cannot grow memory to ${size} bytes`);
    this.refresh();
    return ptr;
  }
}

let views: WasmViews | undefined;

/** The shared views (one Wasm instance per process). */
export function wasmViews(): WasmViews {
  views ??= new WasmViews();
  return views;
}

/** Who last copied bytes into the scratch area (so a scanner can tell its bytes are still there). */
export const scratchOwner: { owner: object | null } = { owner: null };
