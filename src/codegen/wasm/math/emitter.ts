/**
 * @file A tiny numeric DSL over wasm locals, so each math kernel is written once and assembled
 * for three flavors: scalar float32, float32x4 (SIMD128) and scalar float64. Scalar and vector
 * float32 code run the same operations in the same order, so a vectorized loop gives bit-identical
 * results to its scalar form.
 *
 * Every operation reads its operands from locals and writes a fresh local; V8 turns locals into
 * SSA values, so this costs nothing at run time and keeps kernels free of stack bookkeeping.
 */

import type { FunctionBuilder } from '../builder.js';
import type { Code, Local } from '../code.js';
import type { ValType } from '../opcodes.js';

export type Flavor = 'f32' | 'f32x4' | 'f64';

/** A float value (one number, or four float32 lanes). */
export interface Num {
  readonly kind: 'num';
  readonly local: Local;
}
/** An integer as wide as the float: i32, i32x4 or i64. */
export interface Int {
  readonly kind: 'int';
  readonly local: Local;
}
/** A comparison result: i32 0/1 for scalars, all-ones/zero lanes for vectors. */
export interface Mask {
  readonly kind: 'mask';
  readonly local: Local;
}

type Emit = (c: Code) => void;

interface Isa {
  readonly num: ValType;
  readonly int: ValType;
  readonly mask: ValType;
  readonly f: Readonly<Record<'add' | 'sub' | 'mul' | 'div' | 'min' | 'max' | 'neg' | 'abs' | 'sqrt' | 'nearest' | 'floor' | 'trunc', Emit>>;
  readonly cmp: Readonly<Record<'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne', Emit>>;
  readonly i: Readonly<Record<'add' | 'sub' | 'and' | 'shl' | 'shrS' | 'nonzero', Emit>>;
  readonly m: Readonly<Record<'and' | 'or' | 'not', Emit>>;
  readonly select: Emit;
  readonly toInt: Emit;
  readonly fromInt: Emit;
  readonly bits: Emit;
  readonly fromBits: Emit;
  readonly numConst: (c: Code, v: number) => void;
  readonly intConst: (c: Code, v: number | bigint) => void;
  /** how a shift count is pushed */
  readonly shiftConst: (c: Code, n: number) => void;
}

const nothing: Emit = () => undefined;

const F32: Isa = {
  num: 'f32', int: 'i32', mask: 'i32',
  f: {
    add: (c) => c.op('f32.add'), sub: (c) => c.op('f32.sub'), mul: (c) => c.op('f32.mul'), div: (c) => c.op('f32.div'),
    min: (c) => c.op('f32.min'), max: (c) => c.op('f32.max'), neg: (c) => c.op('f32.neg'), abs: (c) => c.op('f32.abs'),
    sqrt: (c) => c.op('f32.sqrt'), nearest: (c) => c.op('f32.nearest'), floor: (c) => c.op('f32.floor'), trunc: (c) => c.op('f32.trunc'),
  },
  cmp: {
    lt: (c) => c.op('f32.lt'), le: (c) => c.op('f32.le'), gt: (c) => c.op('f32.gt'), ge: (c) => c.op('f32.ge'),
    eq: (c) => c.op('f32.eq'), ne: (c) => c.op('f32.ne'),
  },
  i: {
    add: (c) => c.op('i32.add'), sub: (c) => c.op('i32.sub'), and: (c) => c.op('i32.and'), shl: (c) => c.op('i32.shl'),
    shrS: (c) => c.op('i32.shr_s'), nonzero: (c) => c.i32Const(0).op('i32.ne'),
  },
  m: { and: (c) => c.op('i32.and'), or: (c) => c.op('i32.or'), not: (c) => c.op('i32.eqz') },
  select: (c) => c.op('select'),
  toInt: (c) => c.sat('i32.trunc_sat_f32_s'),
  fromInt: (c) => c.op('f32.convert_i32_s'),
  bits: (c) => c.op('i32.reinterpret_f32'),
  fromBits: (c) => c.op('f32.reinterpret_i32'),
  numConst: (c, v) => c.f32Const(v),
  intConst: (c, v) => c.i32Const(Number(v)),
  shiftConst: (c, n) => c.i32Const(n),
};

const F32X4: Isa = {
  num: 'v128', int: 'v128', mask: 'v128',
  f: {
    add: (c) => c.simd('f32x4.add'), sub: (c) => c.simd('f32x4.sub'), mul: (c) => c.simd('f32x4.mul'), div: (c) => c.simd('f32x4.div'),
    min: (c) => c.simd('f32x4.min'), max: (c) => c.simd('f32x4.max'), neg: (c) => c.simd('f32x4.neg'), abs: (c) => c.simd('f32x4.abs'),
    sqrt: (c) => c.simd('f32x4.sqrt'), nearest: (c) => c.simd('f32x4.nearest'), floor: (c) => c.simd('f32x4.floor'),
    trunc: (c) => c.simd('f32x4.trunc'),
  },
  cmp: {
    lt: (c) => c.simd('f32x4.lt'), le: (c) => c.simd('f32x4.le'), gt: (c) => c.simd('f32x4.gt'), ge: (c) => c.simd('f32x4.ge'),
    eq: (c) => c.simd('f32x4.eq'), ne: (c) => c.simd('f32x4.ne'),
  },
  i: {
    add: (c) => c.simd('i32x4.add'), sub: (c) => c.simd('i32x4.sub'), and: (c) => c.simd('v128.and'), shl: (c) => c.simd('i32x4.shl'),
    shrS: (c) => c.simd('i32x4.shr_s'), nonzero: (c) => c.i32x4Const([0, 0, 0, 0]).simd('i32x4.ne'),
  },
  m: { and: (c) => c.simd('v128.and'), or: (c) => c.simd('v128.or'), not: (c) => c.simd('v128.not') },
  select: (c) => c.simd('v128.bitselect'),
  toInt: (c) => c.simd('i32x4.trunc_sat_f32x4_s'),
  fromInt: (c) => c.simd('f32x4.convert_i32x4_s'),
  bits: nothing,
  fromBits: nothing,
  numConst: (c, v) => c.f32x4Const([v, v, v, v]),
  intConst: (c, v) => c.i32x4Const([Number(v), Number(v), Number(v), Number(v)]),
  shiftConst: (c, n) => c.i32Const(n),
};

const F64: Isa = {
  num: 'f64', int: 'i64', mask: 'i32',
  f: {
    add: (c) => c.op('f64.add'), sub: (c) => c.op('f64.sub'), mul: (c) => c.op('f64.mul'), div: (c) => c.op('f64.div'),
    min: (c) => c.op('f64.min'), max: (c) => c.op('f64.max'), neg: (c) => c.op('f64.neg'), abs: (c) => c.op('f64.abs'),
    sqrt: (c) => c.op('f64.sqrt'), nearest: (c) => c.op('f64.nearest'), floor: (c) => c.op('f64.floor'), trunc: (c) => c.op('f64.trunc'),
  },
  cmp: {
    lt: (c) => c.op('f64.lt'), le: (c) => c.op('f64.le'), gt: (c) => c.op('f64.gt'), ge: (c) => c.op('f64.ge'),
    eq: (c) => c.op('f64.eq'), ne: (c) => c.op('f64.ne'),
  },
  i: {
    add: (c) => c.op('i64.add'), sub: (c) => c.op('i64.sub'), and: (c) => c.op('i64.and'), shl: (c) => c.op('i64.shl'),
    shrS: (c) => c.op('i64.shr_s'), nonzero: (c) => c.i64Const(0).op('i64.ne'),
  },
  m: { and: (c) => c.op('i32.and'), or: (c) => c.op('i32.or'), not: (c) => c.op('i32.eqz') },
  select: (c) => c.op('select'),
  toInt: (c) => c.sat('i64.trunc_sat_f64_s'),
  fromInt: (c) => c.op('f64.convert_i64_s'),
  bits: (c) => c.op('i64.reinterpret_f64'),
  fromBits: (c) => c.op('f64.reinterpret_i64'),
  numConst: (c, v) => c.f64Const(v),
  intConst: (c, v) => c.i64Const(v),
  shiftConst: (c, n) => c.i64Const(n),
};

const ISA: Readonly<Record<Flavor, Isa>> = { f32: F32, f32x4: F32X4, f64: F64 };

type FOp = keyof Isa['f'];

export class MathEmitter {
  private readonly isa: Isa;
  readonly code: Code;

  constructor(
    private readonly fb: FunctionBuilder,
    readonly flavor: Flavor,
  ) {
    this.isa = ISA[flavor];
    this.code = fb.code;
  }

  /** Wraps a local (a parameter, say) holding a float of this flavor. */
  wrap(local: Local): Num {
    return { kind: 'num', local };
  }

  private out<K extends 'num' | 'int' | 'mask'>(kind: K, type: ValType, emit: Emit): { kind: K; local: Local } {
    emit(this.code);
    const local = this.fb.local(type);
    this.code.localSet(local);
    return { kind, local };
  }

  private get(...vals: readonly { local: Local }[]): void {
    for (const v of vals) this.code.localGet(v.local);
  }

  k(v: number): Num {
    return this.out('num', this.isa.num, (c) => this.isa.numConst(c, v));
  }

  private bin(op: FOp, a: Num, b: Num): Num {
    return this.out('num', this.isa.num, (c) => (this.get(a, b), this.isa.f[op](c)));
  }

  private un(op: FOp, a: Num): Num {
    return this.out('num', this.isa.num, (c) => (this.get(a), this.isa.f[op](c)));
  }

  add(a: Num, b: Num): Num { return this.bin('add', a, b); }
  sub(a: Num, b: Num): Num { return this.bin('sub', a, b); }
  mul(a: Num, b: Num): Num { return this.bin('mul', a, b); }
  div(a: Num, b: Num): Num { return this.bin('div', a, b); }
  min(a: Num, b: Num): Num { return this.bin('min', a, b); }
  max(a: Num, b: Num): Num { return this.bin('max', a, b); }
  neg(a: Num): Num { return this.un('neg', a); }
  abs(a: Num): Num { return this.un('abs', a); }
  sqrt(a: Num): Num { return this.un('sqrt', a); }
  nearest(a: Num): Num { return this.un('nearest', a); }
  floor(a: Num): Num { return this.un('floor', a); }
  trunc(a: Num): Num { return this.un('trunc', a); }

  cmp(op: keyof Isa['cmp'], a: Num, b: Num): Mask {
    return this.out('mask', this.isa.mask, (c) => (this.get(a, b), this.isa.cmp[op](c)));
  }

  and(a: Mask, b: Mask): Mask { return this.out('mask', this.isa.mask, (c) => (this.get(a, b), this.isa.m.and(c))); }
  or(a: Mask, b: Mask): Mask { return this.out('mask', this.isa.mask, (c) => (this.get(a, b), this.isa.m.or(c))); }
  not(a: Mask): Mask { return this.out('mask', this.isa.mask, (c) => (this.get(a), this.isa.m.not(c))); }

  /** `m ? a : b`, lane-wise. */
  select(m: Mask, a: Num, b: Num): Num {
    return this.out('num', this.isa.num, (c) => (this.get(a, b, m), this.isa.select(c)));
  }

  /** Truncates toward zero (saturating; NaN gives 0). */
  toInt(a: Num): Int { return this.out('int', this.isa.int, (c) => (this.get(a), this.isa.toInt(c))); }
  fromInt(a: Int): Num { return this.out('num', this.isa.num, (c) => (this.get(a), this.isa.fromInt(c))); }
  bits(a: Num): Int { return this.out('int', this.isa.int, (c) => (this.get(a), this.isa.bits(c))); }
  fromBits(a: Int): Num { return this.out('num', this.isa.num, (c) => (this.get(a), this.isa.fromBits(c))); }

  ik(v: number | bigint): Int { return this.out('int', this.isa.int, (c) => this.isa.intConst(c, v)); }
  iadd(a: Int, b: Int): Int { return this.out('int', this.isa.int, (c) => (this.get(a, b), this.isa.i.add(c))); }
  isub(a: Int, b: Int): Int { return this.out('int', this.isa.int, (c) => (this.get(a, b), this.isa.i.sub(c))); }
  iand(a: Int, b: Int): Int { return this.out('int', this.isa.int, (c) => (this.get(a, b), this.isa.i.and(c))); }
  ishl(a: Int, n: number): Int { return this.out('int', this.isa.int, (c) => (this.get(a), this.isa.shiftConst(c, n), this.isa.i.shl(c))); }
  ishr(a: Int, n: number): Int { return this.out('int', this.isa.int, (c) => (this.get(a), this.isa.shiftConst(c, n), this.isa.i.shrS(c))); }
  nonzero(a: Int): Mask { return this.out('mask', this.isa.mask, (c) => (this.get(a), this.isa.i.nonzero(c))); }

  /** c[0] + x·(c[1] + x·(c[2] + …)), evaluated by Horner's rule. */
  poly(x: Num, coeffs: readonly number[]): Num {
    let p = this.k(coeffs[coeffs.length - 1]);
    for (let i = coeffs.length - 2; i >= 0; i--) p = this.add(this.mul(p, x), this.k(coeffs[i]));
    return p;
  }

  /** The magnitude of `a` with the sign bit of `s` (so −0 keeps its sign). */
  copysign(a: Num, s: Num): Num {
    if (this.flavor !== 'f32x4') return this.out('num', this.isa.num, (c) => (this.get(a, s), c.op(this.flavor === 'f32' ? 'f32.copysign' : 'f64.copysign')));
    return this.out('num', 'v128', (c) => (this.get(s, a), c.i32x4Const([-0x80000000, -0x80000000, -0x80000000, -0x80000000]).simd('v128.bitselect')));
  }

  /** Leaves `a` on the stack (to return it). */
  push(a: Num): void {
    this.code.localGet(a.local);
  }
}
