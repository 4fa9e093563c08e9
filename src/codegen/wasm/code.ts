/**
 * @file The instruction emitter: one function body's instructions, written through typed
 * methods. Structured control takes a callback for its body and hands it a `Label`, so branch
 * depths are computed, never counted by hand; a branch to a label that is not open throws.
 * Stack typing is left to the engine's validator (tests validate every module they build).
 */

import { ByteSink, WasmEncodeError } from './encode.js';
import type { AtomicOp, LaneOp, MemOp, Op, RelaxedOp, SatOp, SimdMemOp, SimdOp, ValType } from './opcodes.js';
import {
  ATOMIC_FENCE,
  ATOMIC_OP,
  BULK,
  CONTROL,
  LANE_OP,
  MEM_OP,
  OP,
  PREFIX_ATOMIC,
  PREFIX_MISC,
  PREFIX_SIMD,
  RELAXED_OP,
  SAT_OP,
  SIMD_CONST,
  SIMD_MEM_OP,
  SIMD_OP,
  SIMD_SHUFFLE,
  VALTYPE_CODE,
} from './opcodes.js';

/** A local variable (parameters come first) of the function being built. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

export interface Global {
  readonly index: number;
  readonly type: ValType;
  readonly mutable: boolean;
}

/** A callable function: an import or a function defined in the module. */
export interface FuncRef {
  readonly index: number;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

/** A branch target: the block, loop or if it belongs to. */
export interface Label {
  readonly depth: number;
}

/** The result type of a block: none, or one value. */
export type BlockType = ValType | null;

export interface CodeOptions {
  /** allow relaxed-SIMD instructions (their results may differ between engines) */
  readonly relaxedSimd: boolean;
}

export class Code {
  readonly sink = new ByteSink();
  private readonly open: Label[] = [];

  constructor(private readonly options: CodeOptions) {}

  op(name: Op): this {
    this.sink.byte(OP[name]);
    return this;
  }

  /** A non-trapping float-to-int conversion. */
  sat(name: SatOp): this {
    this.sink.byte(PREFIX_MISC);
    this.sink.u32(SAT_OP[name]);
    return this;
  }

  simd(name: SimdOp): this {
    this.sink.byte(PREFIX_SIMD);
    this.sink.u32(SIMD_OP[name]);
    return this;
  }

  relaxed(name: RelaxedOp): this {
    if (!this.options.relaxedSimd) throw new WasmEncodeError(`${name}: relaxed SIMD is not enabled for this module`);
    this.sink.byte(PREFIX_SIMD);
    this.sink.u32(RELAXED_OP[name]);
    return this;
  }

  i32Const(v: number): this {
    this.sink.byte(CONTROL['i32.const']);
    this.sink.s32(v);
    return this;
  }

  i64Const(v: bigint | number): this {
    this.sink.byte(CONTROL['i64.const']);
    this.sink.s64(typeof v === 'bigint' ? v : BigInt(v));
    return this;
  }

  f32Const(v: number): this {
    this.sink.byte(CONTROL['f32.const']);
    this.sink.f32(v);
    return this;
  }

  f64Const(v: number): this {
    this.sink.byte(CONTROL['f64.const']);
    this.sink.f64(v);
    return this;
  }

  /** A 128-bit constant from its 16 little-endian bytes. */
  v128Const(bytes: ArrayLike<number>): this {
    if (bytes.length !== 16) throw new WasmEncodeError(`v128.const: needs 16 bytes, got ${bytes.length}`);
    this.sink.byte(PREFIX_SIMD);
    this.sink.u32(SIMD_CONST);
    this.sink.bytes(bytes);
    return this;
  }

  f32x4Const(lanes: readonly [number, number, number, number]): this {
    return this.v128Const(new Uint8Array(Float32Array.from(lanes).buffer));
  }

  i32x4Const(lanes: readonly [number, number, number, number]): this {
    return this.v128Const(new Uint8Array(Int32Array.from(lanes).buffer));
  }

  localGet(l: Local): this {
    this.sink.byte(CONTROL['local.get']);
    this.sink.u32(l.index);
    return this;
  }

  localSet(l: Local): this {
    this.sink.byte(CONTROL['local.set']);
    this.sink.u32(l.index);
    return this;
  }

  localTee(l: Local): this {
    this.sink.byte(CONTROL['local.tee']);
    this.sink.u32(l.index);
    return this;
  }

  globalGet(g: Global): this {
    this.sink.byte(CONTROL['global.get']);
    this.sink.u32(g.index);
    return this;
  }

  globalSet(g: Global): this {
    if (!g.mutable) throw new WasmEncodeError(`global.set: global ${g.index} is immutable`);
    this.sink.byte(CONTROL['global.set']);
    this.sink.u32(g.index);
    return this;
  }

  private memarg(natural: number, offset: number, align: number | undefined, exact: boolean): void {
    const a = align ?? natural;
    if (a > natural || a < 0 || (exact && a !== natural)) throw new WasmEncodeError(`memarg: alignment 2^${a} is not allowed here (natural 2^${natural})`);
    this.sink.u32(a);
    this.sink.u32(offset);
  }

  /** A scalar load or store; `align` is log2 bytes and defaults to the natural alignment. */
  mem(name: MemOp, offset = 0, align?: number): this {
    const [code, natural] = MEM_OP[name];
    this.sink.byte(code);
    this.memarg(natural, offset, align, false);
    return this;
  }

  simdMem(name: SimdMemOp, offset = 0, align?: number): this {
    const [code, natural] = SIMD_MEM_OP[name];
    this.sink.byte(PREFIX_SIMD);
    this.sink.u32(code);
    this.memarg(natural, offset, align, false);
    return this;
  }

  lane(name: LaneOp, lane: number): this {
    const [code, lanes] = LANE_OP[name];
    if (!Number.isInteger(lane) || lane < 0 || lane >= lanes) throw new WasmEncodeError(`${name}: lane ${lane} is out of range`);
    this.sink.byte(PREFIX_SIMD);
    this.sink.u32(code);
    this.sink.byte(lane);
    return this;
  }

  /** i8x16.shuffle: byte i of the result is byte `lanes[i]` of the concatenated operands. */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l >= 32)) {
      throw new WasmEncodeError(`i8x16.shuffle: needs 16 byte indices below 32, got [${lanes.join(', ')}]`);
    }
    this.sink.byte(PREFIX_SIMD);
    this.sink.u32(SIMD_SHUFFLE);
    this.sink.bytes(lanes);
    return this;
  }

  /** An atomic access; atomics require exactly natural alignment. */
  atomic(name: AtomicOp, offset = 0): this {
    const [code, natural] = ATOMIC_OP[name];
    this.sink.byte(PREFIX_ATOMIC);
    this.sink.u32(code);
    this.memarg(natural, offset, undefined, true);
    return this;
  }

  fence(): this {
    this.sink.byte(PREFIX_ATOMIC);
    this.sink.u32(ATOMIC_FENCE);
    this.sink.byte(0);
    return this;
  }

  memorySize(): this {
    this.sink.byte(CONTROL['memory.size']);
    this.sink.byte(0);
    return this;
  }

  memoryGrow(): this {
    this.sink.byte(CONTROL['memory.grow']);
    this.sink.byte(0);
    return this;
  }

  /** memory.copy (dst, src, n) within memory 0. */
  memoryCopy(): this {
    this.sink.byte(PREFIX_MISC);
    this.sink.u32(BULK['memory.copy']);
    this.sink.bytes([0, 0]);
    return this;
  }

  /** memory.fill (dst, byte, n) in memory 0. */
  memoryFill(): this {
    this.sink.byte(PREFIX_MISC);
    this.sink.u32(BULK['memory.fill']);
    this.sink.byte(0);
    return this;
  }

  /** memory.init (dst, src, n) from passive data segment `segment`. */
  memoryInit(segment: number): this {
    this.sink.byte(PREFIX_MISC);
    this.sink.u32(BULK['memory.init']);
    this.sink.u32(segment);
    this.sink.byte(0);
    return this;
  }

  dataDrop(segment: number): this {
    this.sink.byte(PREFIX_MISC);
    this.sink.u32(BULK['data.drop']);
    this.sink.u32(segment);
    return this;
  }

  call(fn: FuncRef): this {
    this.sink.byte(CONTROL.call);
    this.sink.u32(fn.index);
    return this;
  }

  private structured(opcode: number, type: BlockType, body: (l: Label) => void): void {
    this.sink.byte(opcode);
    this.sink.byte(type === null ? 0x40 : VALTYPE_CODE[type]);
    const label: Label = { depth: this.open.length };
    this.open.push(label);
    body(label);
    this.open.pop();
  }

  block(type: BlockType, body: (l: Label) => void): this {
    this.structured(CONTROL.block, type, body);
    this.sink.byte(CONTROL.end);
    return this;
  }

  /** A loop; branching to its label jumps back to the top. */
  loop(type: BlockType, body: (l: Label) => void): this {
    this.structured(CONTROL.loop, type, body);
    this.sink.byte(CONTROL.end);
    return this;
  }

  /** if/else on the i32 on top of the stack. */
  if(type: BlockType, then: (l: Label) => void, otherwise?: (l: Label) => void): this {
    this.structured(CONTROL.if, type, (label) => {
      then(label);
      if (otherwise) {
        this.sink.byte(CONTROL.else);
        otherwise(label);
      }
    });
    this.sink.byte(CONTROL.end);
    return this;
  }

  private relDepth(l: Label): number {
    if (this.open[l.depth] !== l) throw new WasmEncodeError('br: the target label is not an enclosing block');
    return this.open.length - 1 - l.depth;
  }

  br(l: Label): this {
    this.sink.byte(CONTROL.br);
    this.sink.u32(this.relDepth(l));
    return this;
  }

  brIf(l: Label): this {
    this.sink.byte(CONTROL.br_if);
    this.sink.u32(this.relDepth(l));
    return this;
  }

  /** Branches to `targets[i]` for the i32 i on the stack, or to `otherwise` when i is out of range. */
  brTable(targets: readonly Label[], otherwise: Label): this {
    this.sink.byte(CONTROL.br_table);
    this.sink.u32(targets.length);
    for (const t of targets) this.sink.u32(this.relDepth(t));
    this.sink.u32(this.relDepth(otherwise));
    return this;
  }

  /** The finished body bytes (without locals); every block must be closed. */
  finish(): Uint8Array {
    if (this.open.length !== 0) throw new WasmEncodeError(`function body ends with ${this.open.length} open blocks`);
    this.sink.byte(CONTROL.end);
    return this.sink.finish();
  }
}
