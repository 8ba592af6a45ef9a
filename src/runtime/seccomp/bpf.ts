// Classic BPF for seccomp: opcodes, return values, an assembler with symbolic labels, and the
// serializer to struct sock_filter[]. Conditional jumps (jt/jf) are 8-bit forward offsets; the
// assembler lays code out, and any jump that lands more than 255 instructions away is routed
// through an unconditional `ja` trampoline (32-bit offset) placed right after it, repeating until
// every offset fits.

export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export const BPF_LD = 0x00;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_W = 0x00;
export const BPF_ABS = 0x20;
export const BPF_K = 0x00;
export const BPF_AND = 0x50;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

/** The kernel's limit on a filter's length (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

/** Offsets in struct seccomp_data (little-endian arches: the low word of a u64 comes first). */
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const SECCOMP_DATA_IP = 8;
export function argLowOffset(index: number): number {
  return 16 + 8 * index;
}
export function argHighOffset(index: number): number {
  return 16 + 8 * index + 4;
}

export class Label {
  constructor(readonly name: string) {}
}

type Item =
  | { kind: 'stmt'; code: number; k: number }
  | { kind: 'jump'; code: number; k: number; t: Label; f: Label; farT: boolean; farF: boolean }
  | { kind: 'ja'; target: Label }
  | { kind: 'label'; label: Label };

export class Assembler {
  private readonly items: Item[] = [];
  private labelCount = 0;

  newLabel(name = 'L'): Label {
    return new Label(`${name}${this.labelCount++}`);
  }

  place(label: Label): void {
    this.items.push({ kind: 'label', label });
  }

  loadWord(offset: number): void {
    this.items.push({ kind: 'stmt', code: BPF_LD | BPF_W | BPF_ABS, k: offset });
  }

  andK(k: number): void {
    this.items.push({ kind: 'stmt', code: BPF_ALU | BPF_AND | BPF_K, k: k >>> 0 });
  }

  ret(k: number): void {
    this.items.push({ kind: 'stmt', code: BPF_RET | BPF_K, k: k >>> 0 });
  }

  /** A conditional jump: `op` is BPF_JEQ, BPF_JGT, BPF_JGE or BPF_JSET against the constant k. */
  jump(op: number, k: number, onTrue: Label, onFalse: Label): void {
    this.items.push({ kind: 'jump', code: BPF_JMP | op | BPF_K, k: k >>> 0, t: onTrue, f: onFalse, farT: false, farF: false });
  }

  goto(target: Label): void {
    this.items.push({ kind: 'ja', target });
  }

  assemble(): BpfInstruction[] {
    for (;;) {
      const positions = this.layout();
      let grew = false;
      let pc = 0;
      for (const item of this.items) {
        if (item.kind === 'label') continue;
        if (item.kind === 'jump') {
          // Offsets count from the instruction after the jump; layout() already reserved the
          // slots of this jump's trampolines, so label positions include them.
          if (!item.farT && labelAt(positions, item.t) - (pc + 1) > 255) item.farT = grew = true;
          if (!item.farF && labelAt(positions, item.f) - (pc + 1) > 255) item.farF = grew = true;
          pc += 1 + Number(item.farT) + Number(item.farF);
        } else {
          pc++;
        }
      }
      // A jump that became far adds a slot and can push others out of range: lay out again.
      if (!grew) return this.emit(positions);
    }
  }

  private layout(): Map<Label, number> {
    const positions = new Map<Label, number>();
    let pc = 0;
    for (const item of this.items) {
      if (item.kind === 'label') {
        if (positions.has(item.label)) throw new Error(`BPF label ${item.label.name} placed twice`);
        positions.set(item.label, pc);
      } else if (item.kind === 'jump') pc += 1 + Number(item.farT) + Number(item.farF);
      else pc++;
    }
    return positions;
  }

  private emit(positions: Map<Label, number>): BpfInstruction[] {
    const out: BpfInstruction[] = [];
    const target = (label: Label, from: number): number => {
      const offset = labelAt(positions, label) - (from + 1);
      if (offset < 0) throw new Error(`BPF jump to ${label.name} goes backwards`);
      return offset;
    };
    for (const item of this.items) {
      if (item.kind === 'label') continue;
      if (item.kind === 'stmt') {
        out.push({ code: item.code, jt: 0, jf: 0, k: item.k });
      } else if (item.kind === 'ja') {
        out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: target(item.target, out.length) });
      } else {
        const at = out.length;
        // Trampolines follow the jump: first the one for the true side, then the false side.
        const jt = item.farT ? 0 : target(item.t, at);
        const jf = item.farF ? Number(item.farT) : target(item.f, at);
        out.push({ code: item.code, jt, jf, k: item.k });
        if (item.farT) out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: target(item.t, out.length) });
        if (item.farF) out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: target(item.f, out.length) });
        if (jt > 255 || jf > 255) throw new Error('BPF jump offset out of range after relaxation');
      }
    }
    return out;
  }
}

function labelAt(positions: Map<Label, number>, label: Label): number {
  const at = positions.get(label);
  if (at === undefined) throw new Error(`BPF label ${label.name} never placed`);
  return at;
}

/** struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k, little-endian, 8 bytes each. */
export function serializeFilter(program: BpfInstruction[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(insn.jt, i * 8 + 2);
    buf.writeUInt8(insn.jf, i * 8 + 3);
    buf.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return buf;
}
