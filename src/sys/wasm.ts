// The Wasm loader: build/hx.wasm (compiled from assembly/) is instantiated once, synchronously,
// on first use, so commands that never touch tar data never pay for it. The module has no
// imports beyond `env.abort` (AssemblyScript's stub runtime).
import { HxError } from '../errors.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDir } from './install.js';

/** Linear memory as seen from JS (lib "dom" is not in this project's tsconfig). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** Exports every part of hx.wasm has; the modules that use it declare the functions they call. */
export interface HxWasmCore {
  readonly memory: WasmMemory;
  abiVersion(): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let instance: { exports: object } | undefined;

export class WasmLoadError extends HxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { kind: 'host-setup', hint: 'rebuild hx: `npm run build` in its directory', ...options });
    this.name = 'WasmLoadError';
  }
}

/**
 * The exports of build/hx.wasm, typed as the caller's view of them. `abi` is the ABI version
 * the caller was written against; a different build is refused (rebuild with `npm run build`).
 */
export function hxWasm<T extends HxWasmCore>(abi: number): T {
  if (!instance) {
    const path = join(buildDir(), 'hx.wasm');
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new WasmLoadError(`${path} is missing: run \`npm install\` (or \`npm run build\`) in the hx directory`, { cause: e });
    }
    const module = new wasmApi.Module(bytes);
    instance = new wasmApi.Instance(module, {
      env: {
        abort(_msg: number, _file: number, line: number, column: number): never {
          throw new WasmLoadError(`hx.wasm aborted at ${line}:${column}`);
        },
      },
    });
  }
  const exports = instance.exports as unknown as T;
  const have = exports.abiVersion();
  if (have !== abi) {
    throw new WasmLoadError(`build/hx.wasm has ABI ${have}, this code needs ${abi}: rebuild with \`npm run build\``);
  }
  return exports;
}
