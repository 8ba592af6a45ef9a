// The Wasm header scanner: copies a window of the chunk into Wasm memory, lets
// assembly/tar_read.ts walk the headers there, and decodes the records it wrote.
import { ScanStatus } from './constants.js';
import { tarScanError } from './errors.js';
import { addXattr, emptyGlobals, type HeaderScanner, type PaxGlobals, type ScanResult } from './scanner.js';
import type { TarEntry, TarEntryType } from './types.js';
import { scratchOwner, wasmViews, type WasmViews } from './wasm.js';

/**
 * Bytes copied into Wasm memory at a time: a scan starts with a small window (a large file's
 * data right after a header is then never copied) and doubles it while headers keep coming.
 */
export const WASM_WINDOW = 8 * 1024 * 1024;
export const WASM_FIRST_WINDOW = 64 * 1024;

/** Bytes copied into Wasm memory so far, by all Wasm scanners (the bench reports it). */
export const wasmCopyStats = { bytes: 0 };

const TYPES: Record<number, TarEntryType> = {
  0x30: 'file',
  0x31: 'hardlink',
  0x32: 'symlink',
  0x33: 'char',
  0x34: 'block',
  0x35: 'dir',
  0x36: 'fifo',
};

const REC_SIZE = 96;
const XSLOT_SIZE = 16;

export class WasmHeaderScanner implements HeaderScanner {
  readonly globals: PaxGlobals = emptyGlobals();
  private readonly v: WasmViews;
  private readonly status: number;
  private readonly records: number;
  private readonly xslots: number;
  // What this scanner last copied into scratch: buf[loadedStart, loadedEnd) at address loadedPtr.
  private loadedBuf: Buffer | null = null;
  private loadedStart = 0;
  private loadedEnd = 0;
  private loadedPtr = 0;

  constructor(private readonly window = WASM_WINDOW) {
    this.v = wasmViews();
    this.status = this.v.wasm.statusPtr();
    this.records = this.v.wasm.recordsPtr();
    this.xslots = this.v.wasm.xslotsPtr();
    if (this.v.wasm.layoutInfo(0) !== REC_SIZE || this.v.wasm.layoutInfo(2) !== XSLOT_SIZE) {
      throw new Error('build/hx.wasm record layout differs from scan-wasm.ts: rebuild with `npm run build`');
    }
  }

  /** Forget what was copied (the caller may reuse a Buffer object for new bytes). */
  beginChunk(): void {
    this.loadedBuf = null;
  }

  scan(buf: Buffer, start: number, end: number, base: number): ScanResult {
    const entries: TarEntry[] = [];
    let winStart = start;
    let needHint = 0;
    let window = Math.min(WASM_FIRST_WINDOW, this.window);
    for (;;) {
      const winEnd = Math.min(end, winStart + Math.max(window, needHint));
      const rel = this.load(buf, winStart, winEnd);
      const status = this.run(rel, rel + (winEnd - winStart));
      const v = this.v;
      const s32 = this.status >>> 2;
      const nrec = v.u32[s32 + 3]!;
      this.decode(nrec, base + this.loadedStart, entries);
      const consumed = this.loadedStart + v.u32[s32 + 1]!;
      if (status === ScanStatus.More) {
        const need = v.u32[s32 + 2]!;
        if (consumed < end && consumed + need <= end) {
          // The records area filled up, or the window ended before `end`: go on from `consumed`.
          if (consumed === winStart && nrec === 0 && consumed + need <= winEnd) {
            throw new Error('hx.wasm tarScan made no progress');
          }
          winStart = consumed;
          needHint = need;
          window = Math.min(window * 2, this.window);
          continue;
        }
        return { entries, status, consumed, need, error: null };
      }
      if (status === ScanStatus.Error) {
        const pos = this.loadedStart + v.u32[s32 + 6]!;
        const error = tarScanError(v.i32[s32 + 4]!, v.i32[s32 + 5]!, cString(buf, pos, 100), base + pos);
        return { entries, status, consumed: pos, need: 0, error };
      }
      return { entries, status, consumed, need: 0, error: null };
    }
  }

  /** Make buf[start, end) present in scratch; returns the relative start position there. */
  private load(buf: Buffer, start: number, end: number): number {
    if (
      scratchOwner.owner === this &&
      this.loadedBuf === buf &&
      start >= this.loadedStart &&
      end <= this.loadedEnd
    ) {
      return start - this.loadedStart;
    }
    const ptr = this.v.scratch(end - start);
    wasmCopyStats.bytes += end - start;
    this.v.u8.set(buf.subarray(start, end), ptr);
    scratchOwner.owner = this;
    this.loadedBuf = buf;
    this.loadedStart = start;
    this.loadedEnd = end;
    this.loadedPtr = ptr;
    return 0;
  }

  private run(start: number, end: number): number {
    const v = this.v;
    const s32 = this.status >>> 2;
    const g = this.globals;
    v.u32[s32 + 8] = (g.uid >= 0 ? 1 : 0) | (g.gid >= 0 ? 2 : 0) | (g.mtimeSet ? 4 : 0);
    v.u32[s32 + 9] = g.uid >= 0 ? g.uid : 0;
    v.u32[s32 + 10] = g.gid >= 0 ? g.gid : 0;
    v.u32[s32 + 11] = g.mtimeNsec;
    v.f64[(this.status + 48) >>> 3] = g.mtime;
    const status = v.wasm.tarScan(this.loadedPtr, start, end);
    const flags = v.u32[s32 + 8]!;
    g.uid = flags & 1 ? v.u32[s32 + 9]! : -1;
    g.gid = flags & 2 ? v.u32[s32 + 10]! : -1;
    g.mtimeSet = (flags & 4) !== 0;
    g.mtimeNsec = v.u32[s32 + 11]!;
    g.mtime = v.f64[(this.status + 48) >>> 3]!;
    return status;
  }

  private decode(nrec: number, base: number, out: TarEntry[]): void {
    const { u8, u32, f64 } = this.v;
    for (let i = 0; i < nrec; i++) {
      const r = this.records + i * REC_SIZE;
      const r32 = r >>> 2;
      const namePtr = u32[r32 + 9]!;
      const nameLen = u32[r32 + 10]!;
      const prefixLen = u32[r32 + 12]!;
      let name = u8.toString('utf8', namePtr, namePtr + nameLen);
      if (prefixLen > 0) {
        const p = u32[r32 + 11]!;
        name = u8.toString('utf8', p, p + prefixLen) + '/' + name;
      }
      const linkLen = u32[r32 + 14]!;
      const linkPtr = u32[r32 + 13]!;
      const xCount = u32[r32 + 19]!;
      const xattrs = new Map<string, Buffer>();
      if (xCount > 0) {
        const first = u32[r32 + 18]!;
        for (let j = 0; j < xCount; j++) {
          const x32 = (this.xslots + (first + j) * XSLOT_SIZE) >>> 2;
          const kp = u32[x32]!;
          const kl = u32[x32 + 1]!;
          const vp = u32[x32 + 2]!;
          const vl = u32[x32 + 3]!;
          const klen = kl & 0x7fffffff;
          addXattr(xattrs, kl >>> 31, u8.subarray(kp, kp + klen), u8.subarray(vp, vp + vl));
        }
      }
      out.push({
        name,
        type: TYPES[u32[r32 + 4]!]!,
        mode: u32[r32 + 5]!,
        uid: u32[r32 + 6]!,
        gid: u32[r32 + 7]!,
        size: f64[r >>> 3]!,
        mtime: f64[(r >>> 3) + 1]!,
        mtimeNsec: u32[r32 + 8]!,
        linkname: linkLen > 0 ? u8.toString('utf8', linkPtr, linkPtr + linkLen) : '',
        devmajor: u32[r32 + 16]!,
        devminor: u32[r32 + 17]!,
        xattrs,
        dataOffset: base + u32[r32 + 15]!,
      });
    }
  }
}

function cString(buf: Buffer, off: number, len: number): string {
  const nul = buf.indexOf(0, off);
  const end = nul >= 0 && nul < off + len ? nul : Math.min(off + len, buf.length);
  return buf.toString('utf8', off, end);
}
