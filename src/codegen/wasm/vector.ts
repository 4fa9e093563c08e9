/**
 * @file Vector expressions (lanes > 1). A float32, int32 or bool vector whose lane count is a
 * multiple of 4 is "packed": one v128 per 4 lanes, with bool lanes as all-ones/zero masks, and
 * is computed with SIMD128 instructions when its operator has one. Everything else (other
 * dtypes or lane counts, integer division, guarded loads) falls back to one scalar per lane
 * (lanes.ts). The two forms convert into each other at the boundary, so any mix works.
 */

import type { DType } from '../../ir/dtype.js';
import type { BinaryOp, Buffer, CmpOp, Expr, MathFn, Var } from '../../ir/expr.js';
import { broadcast } from '../../ir/expr.js';
import { children } from '../../ir/visit.js';
import { compareValues } from '../../arith/fold.js';
import type { Local } from './code.js';
import type { FuncContext, VecVal } from './context.js';
import { wasmType } from './context.js';
import { emitLanes } from './lanes.js';
import type { KernelFn } from './math/library.js';
import { rootExponent } from './math/library.js';
import { flatIndex, isNonNegative, pushAddress, storeScalar } from './memory.js';
import { pow2Divisor } from './ops.js';
import type { SimdOp } from './opcodes.js';
import type { RegisterFile } from './registers.js';
import { constLanes, readRegisters, registerTargets } from './registers.js';
import { emitScalar, mayTrap } from './scalar.js';

export function packable(dtype: DType, lanes: number): boolean {
  return (dtype === 'float32' || dtype === 'int32' || dtype === 'bool') && lanes % 4 === 0;
}

const F32_BINARY: Partial<Record<BinaryOp, SimdOp>> = {
  add: 'f32x4.add', sub: 'f32x4.sub', mul: 'f32x4.mul', div: 'f32x4.div', min: 'f32x4.min', max: 'f32x4.max', floordiv: 'f32x4.div',
};
const I32_BINARY: Partial<Record<BinaryOp, SimdOp>> = {
  add: 'i32x4.add', sub: 'i32x4.sub', mul: 'i32x4.mul', min: 'i32x4.min_s', max: 'i32x4.max_s',
};
const F32_CMP: Readonly<Record<CmpOp, SimdOp>> = {
  eq: 'f32x4.eq', ne: 'f32x4.ne', lt: 'f32x4.lt', le: 'f32x4.le', gt: 'f32x4.gt', ge: 'f32x4.ge',
};
const I32_CMP: Readonly<Record<CmpOp, SimdOp>> = {
  eq: 'i32x4.eq', ne: 'i32x4.ne', lt: 'i32x4.lt_s', le: 'i32x4.le_s', gt: 'i32x4.gt_s', ge: 'i32x4.ge_s',
};
const F32_UNARY_CALL: Partial<Record<MathFn, SimdOp>> = {
  sqrt: 'f32x4.sqrt', abs: 'f32x4.abs', floor: 'f32x4.floor', ceil: 'f32x4.ceil', round: 'f32x4.nearest',
};

function castSupported(from: DType, to: DType): boolean {
  return from !== to && packable(from, 4) && (to === 'float32' || to === 'int32' || (to === 'bool' && from !== 'bool'));
}

/** Whether `e` (lanes a multiple of 4) has a SIMD128 translation. */
export function canPack(e: Expr): boolean {
  if (!packable(e.dtype, e.lanes)) return false;
  switch (e.kind) {
    case 'var':
    case 'broadcast':
    case 'ramp':
    case 'not':
      return true;
    case 'load': {
      const idx = e.indices.length === 1 ? e.indices[0] : null;
      return e.dtype !== 'bool' && idx !== null && idx.kind === 'ramp' && (idx.stride === 1 || idx.stride === 2);
    }
    case 'binary':
      return (e.dtype === 'float32' ? F32_BINARY : e.dtype === 'int32' ? I32_BINARY : {})[e.op] !== undefined || (e.dtype === 'int32' && pow2Divisor(e) !== undefined);
    case 'cmp':
      return e.a.dtype === 'float32' || e.a.dtype === 'int32' || (e.a.dtype === 'bool' && (e.op === 'eq' || e.op === 'ne'));
    case 'logic':
      return !mayTrap(e.b);
    case 'select':
      return scalarCondition(e) !== null || (!mayTrap(e.t) && !mayTrap(e.f)) || (constMask(e.cond) !== null && maskable(e.t) && maskable(e.f));
    case 'cast':
      return castSupported(e.value.dtype, e.dtype);
    case 'call':
      if (e.dtype === 'int32') return e.fn === 'abs' || e.fn === 'floor' || e.fn === 'ceil' || e.fn === 'round';
      return e.dtype === 'float32';
    default:
      return false;
  }
}

/** Runs `emitPart(j)` for each v128 of a packed result and stores it in a fresh local. */
function perPart(fc: FuncContext, lanes: number, emitPart: (j: number) => void): Local[] {
  const parts: Local[] = [];
  for (let j = 0; j < lanes / 4; j++) {
    emitPart(j);
    const l = fc.temp('v128');
    fc.code.localSet(l);
    parts.push(l);
  }
  return parts;
}

/** The v128 parts of a vector, building them from lanes when needed. */
export function asPacked(fc: FuncContext, v: VecVal): readonly Local[] {
  if (v.form === 'packed') return v.parts;
  if (!packable(v.dtype, v.lanes)) throw fc.error(`cannot pack ${v.lanes} lanes of ${v.dtype}`);
  const float = v.dtype === 'float32';
  const c = fc.code;
  return perPart(fc, v.lanes, (j) => {
    c.localGet(v.parts[4 * j]).simd(float ? 'f32x4.splat' : 'i32x4.splat');
    for (let i = 1; i < 4; i++) c.localGet(v.parts[4 * j + i]).lane(float ? 'f32x4.replace_lane' : 'i32x4.replace_lane', i);
    // bool lanes hold 0/1; masks are 0/−1
    if (v.dtype === 'bool') c.simd('i32x4.neg');
  });
}

/** One scalar local per lane, extracting them from v128s when needed. */
export function asLanes(fc: FuncContext, v: VecVal): readonly Local[] {
  if (v.form === 'lanes') return v.parts;
  const c = fc.code;
  const out: Local[] = [];
  for (let k = 0; k < v.lanes; k++) {
    c.localGet(v.parts[k >> 2]).lane(v.dtype === 'float32' ? 'f32x4.extract_lane' : 'i32x4.extract_lane', k & 3);
    if (v.dtype === 'bool') c.i32Const(1).op('i32.and');
    const l = fc.temp(wasmType(v.dtype));
    c.localSet(l);
    out.push(l);
  }
  return out;
}

/** Evaluates `value` (scalar or vector), binds `v` to it for `body`, and returns body's result. */
export function bindLet<T>(fc: FuncContext, v: Var, value: Expr, body: () => T): T {
  if (value.lanes === 1) {
    const local = fc.temp(wasmType(value.dtype));
    emitScalar(fc, value);
    fc.code.localSet(local);
    return fc.scoped(v.id, { kind: 'scalar', local, nonNegative: isNonNegative(fc, value) }, body);
  }
  return fc.scoped(v.id, { kind: 'vector', value: emitVector(fc, value) }, body);
}

/** Computes a vector expression into locals. */
export function emitVector(fc: FuncContext, e: Expr): VecVal {
  if (e.lanes === 1) throw fc.error(`a scalar ${e.kind} where a vector is expected`);
  if (e.kind === 'let') return bindLet(fc, e.v, e.value, () => emitVector(fc, e.body));
  if (e.kind === 'var') {
    const b = fc.binding(e.id);
    if (b.kind !== 'vector') throw fc.error(`scalar variable #${e.id} used as a vector`);
    return b.value;
  }
  if (canPack(e)) return { form: 'packed', dtype: e.dtype, lanes: e.lanes, parts: emitPacked(fc, e) };
  return emitLanes(fc, e);
}

function packedChild(fc: FuncContext, e: Expr): readonly Local[] {
  return asPacked(fc, emitVector(fc, e));
}

function emitPacked(fc: FuncContext, e: Expr): readonly Local[] {
  const c = fc.code;
  switch (e.kind) {
    case 'broadcast': {
      const fromMemory = splatFromMemory(fc, e.value);
      if (fromMemory) {
        loadTransform(fc, 'v128.load32_splat', fromMemory.offset);
      } else {
        emitScalar(fc, e.value);
        c.simd(e.dtype === 'float32' ? 'f32x4.splat' : 'i32x4.splat');
      }
      if (e.dtype === 'bool') c.simd('i32x4.neg');
      const l = fc.temp('v128');
      c.localSet(l);
      return Array<Local>(e.lanes / 4).fill(l);
    }
    case 'ramp': {
      const base = fc.temp('i32');
      emitScalar(fc, e.base);
      c.localSet(base);
      return perPart(fc, e.lanes, (j) => {
        const lane = (i: number): number => Number(BigInt.asIntN(32, BigInt((4 * j + i) * e.stride)));
        c.localGet(base).simd('i32x4.splat').i32x4Const([lane(0), lane(1), lane(2), lane(3)]).simd('i32x4.add');
      });
    }
    case 'load':
      return packedLoad(fc, e.buffer, e.indices[0], e.lanes);
    case 'binary': {
      const k = pow2Divisor(e);
      if (k !== undefined && e.dtype === 'int32') {
        const a = packedChild(fc, e.a);
        const mask = 2 ** k - 1;
        if (e.op === 'floordiv') return perPart(fc, e.lanes, (j) => void c.localGet(a[j]).i32Const(k).simd('i32x4.shr_s'));
        return perPart(fc, e.lanes, (j) => void c.localGet(a[j]).i32x4Const([mask, mask, mask, mask]).simd('v128.and'));
      }
      const fused = fc.mod.relaxedSimd ? multiplyAdd(e) : null;
      if (fused) return packedMultiplyAdd(fc, fused);
      const [a, b] = [packedChild(fc, e.a), packedChild(fc, e.b)];
      const op = (e.dtype === 'float32' ? F32_BINARY : I32_BINARY)[e.op]!;
      return perPart(fc, e.lanes, (j) => {
        c.localGet(a[j]).localGet(b[j]).simd(op);
        if (e.op === 'floordiv') c.simd('f32x4.floor');
      });
    }
    case 'cmp': {
      const [a, b] = [packedChild(fc, e.a), packedChild(fc, e.b)];
      const op = (e.a.dtype === 'float32' ? F32_CMP : I32_CMP)[e.op];
      return perPart(fc, e.lanes, (j) => void c.localGet(a[j]).localGet(b[j]).simd(op));
    }
    case 'logic': {
      const [a, b] = [packedChild(fc, e.a), packedChild(fc, e.b)];
      return perPart(fc, e.lanes, (j) => void c.localGet(a[j]).localGet(b[j]).simd(e.op === 'and' ? 'v128.and' : 'v128.or'));
    }
    case 'not': {
      const a = packedChild(fc, e.a);
      return perPart(fc, e.lanes, (j) => void c.localGet(a[j]).simd('v128.not'));
    }
    case 'select':
      return packedSelect(fc, e);
    case 'cast':
      return packedCast(fc, e.value, e.dtype);
    case 'call':
      return packedCall(fc, e);
    default:
      throw fc.error(`no SIMD form for ${e.kind}`);
  }
}

interface MultiplyAdd {
  readonly x: Expr;
  readonly y: Expr;
  readonly addend: Expr;
  /** `addend − x·y` rather than `x·y + addend` */
  readonly negated: boolean;
}

/** `x·y + z`, `z + x·y` or `z − x·y` over float32 vectors: one fused multiply-add. */
function multiplyAdd(e: Expr & { kind: 'binary' }): MultiplyAdd | null {
  if (e.dtype !== 'float32') return null;
  const isMul = (x: Expr): x is Expr & { kind: 'binary' } => x.kind === 'binary' && x.op === 'mul';
  if (e.op === 'add' && isMul(e.a)) return { x: e.a.a, y: e.a.b, addend: e.b, negated: false };
  if (e.op === 'add' && isMul(e.b)) return { x: e.b.a, y: e.b.b, addend: e.a, negated: false };
  if (e.op === 'sub' && isMul(e.b)) return { x: e.b.a, y: e.b.b, addend: e.a, negated: true };
  return null;
}

function packedMultiplyAdd(fc: FuncContext, m: MultiplyAdd): readonly Local[] {
  const [x, y, z] = [packedChild(fc, m.x), packedChild(fc, m.y), packedChild(fc, m.addend)];
  const lanes = 4 * x.length;
  return perPart(fc, lanes, (j) => void fc.code.localGet(x[j]).localGet(y[j]).localGet(z[j]).relaxed(m.negated ? 'f32x4.relaxed_nmadd' : 'f32x4.relaxed_madd'));
}

/**
 * For a broadcast of one 4-byte element from memory: pushes the dynamic part of its address and
 * returns the constant part, so that `v128.load32_splat` loads and broadcasts at once (one
 * vbroadcastss on x86).
 */
function splatFromMemory(fc: FuncContext, value: Expr): { readonly offset: number } | null {
  if (value.kind !== 'load' || value.lanes !== 1 || (value.dtype !== 'float32' && value.dtype !== 'int32')) return null;
  if (fc.buffer(value.buffer).kind === 'registers') return null;
  const index = flatIndex(fc, value.buffer, value.indices);
  return { offset: pushAddress(fc, value.buffer, { kind: 'expr', expr: index }, 0, (x) => emitScalar(fc, x)) };
}

/**
 * A load that also transforms (splat, zero-extend), from `addr` or the address on the stack,
 * with the offset added to the address instead of given as the immediate. Node 20's V8 computes
 * memory start + immediate of such a load as a base of its own and hoists it out of loops: a
 * register tile's broadcasts at offsets 16, 32 and 48 held three base registers, which pushed
 * values of the loop to the stack (VGG-19's 3x3 convolutions reloaded two in every step of
 * their reduction). Plain loads fold the immediate into the addressing mode. A kernel's
 * addresses are in bounds, so the add does not wrap.
 */
function loadTransform(fc: FuncContext, op: 'v128.load32_splat' | 'v128.load32_zero' | 'v128.load64_zero', offset: number, addr?: Local): void {
  if (addr) fc.code.localGet(addr);
  if (offset > 0) fc.code.i32Const(offset).op('i32.add');
  fc.code.simdMem(op, 0, 2);
}

function packedLoad(fc: FuncContext, buf: Buffer, index: Expr, lanes: number): readonly Local[] {
  if (index.kind !== 'ramp') throw fc.error('packed load needs a ramp index');
  const loc = fc.buffer(buf);
  if (loc.kind === 'registers') return asPacked(fc, readRegisters(fc, loc.file, constLanes(index)!) as VecVal);
  const c = fc.code;
  const addr = fc.temp('i32');
  const offset = pushAddress(fc, buf, { kind: 'expr', expr: index.base }, 0, (x) => emitScalar(fc, x));
  c.localSet(addr);
  const mask = fc.laneMask;
  if (mask && index.stride === 1) return perPart(fc, lanes, (j) => maskedPart(fc, buf.dtype, addr, offset + 16 * j, mask.slice(4 * j, 4 * j + 4)));
  if (index.stride === 1) return perPart(fc, lanes, (j) => void c.localGet(addr).simdMem('v128.load', offset + 16 * j, 2));
  // every other element (a stride-2 convolution's inputs): elements 0–3 and 3–6 of the part,
  // which reads nothing past the last lane (element 6), then their even and odd lanes
  return perPart(fc, lanes, (j) => {
    c.localGet(addr).simdMem('v128.load', offset + 32 * j, 2);
    c.localGet(addr).simdMem('v128.load', offset + 32 * j + 12, 2);
    c.shuffle(EVEN_ELEMENTS);
  });
}

/**
 * Pushes the four lanes at `addr + offset` of which only the `live` ones are read, the others
 * zero: a prefix of one or two lanes is one zero-extending load, other patterns lane by lane.
 */
function maskedPart(fc: FuncContext, dtype: DType, addr: Local, offset: number, live: readonly boolean[]): void {
  const c = fc.code;
  const n = live.filter(Boolean).length;
  const prefix = live.every((x, k) => x === k < n);
  if (n === 4) c.localGet(addr).simdMem('v128.load', offset, 2);
  else if (prefix && n === 1) loadTransform(fc, 'v128.load32_zero', offset, addr);
  else if (prefix && n === 2) loadTransform(fc, 'v128.load64_zero', offset, addr);
  else {
    c.i32x4Const([0, 0, 0, 0]);
    live.forEach((x, k) => {
      if (x) c.localGet(addr).mem(dtype === 'float32' ? 'f32.load' : 'i32.load', offset + 4 * k, 2).lane(dtype === 'float32' ? 'f32x4.replace_lane' : 'i32x4.replace_lane', k);
    });
  }
}

/** Bytes of elements 0 and 2 of the first operand and 1 and 3 (its elements 4 and 6) of the second. */
const EVEN_ELEMENTS = [0, 1, 2, 3, 8, 9, 10, 11, 20, 21, 22, 23, 28, 29, 30, 31];

/** The condition of a select when it is the same for every lane. */
function scalarCondition(e: Expr & { kind: 'select' }): Expr | null {
  if (e.cond.lanes === 1) return e.cond;
  return e.cond.kind === 'broadcast' ? e.cond.value : null;
}

/** The value of each lane of a condition known at compile time (ramp(0, 1, 4) < x4(2): 1 1 0 0). */
function constMask(cond: Expr): boolean[] | null {
  if (cond.kind !== 'cmp' || cond.lanes === 1) return null;
  const [a, b] = [constLanes(cond.a), constLanes(cond.b)];
  if (a?.length !== cond.lanes || b?.length !== cond.lanes) return null;
  return a.map((x, k) => compareValues(cond.op, x, b[k]));
}

/**
 * Whether `e` computes as SIMD throughout with its memory reads being contiguous vector loads
 * (which a lane mask keeps to the live lanes) or lane-invariant scalars (which any live lane reads).
 */
function maskable(e: Expr): boolean {
  if (e.lanes === 1) return true;
  if (!canPack(e)) return false;
  if (e.kind === 'load') return e.indices[0].kind === 'ramp' && e.indices[0].stride === 1;
  return children(e).every(maskable);
}

/** Runs `body` with only the `live` lanes (of those live already) read from memory. */
function underMask<T>(fc: FuncContext, live: readonly boolean[], body: () => T): T {
  const outer = fc.laneMask;
  fc.laneMask = outer ? live.map((x, k) => x && outer[k]) : live;
  try {
    return body();
  } finally {
    fc.laneMask = outer;
  }
}

function packedSelect(fc: FuncContext, e: Expr & { kind: 'select' }): Local[] {
  const c = fc.code;
  const mask = constMask(e.cond);
  if (mask && (mayTrap(e.t) || mayTrap(e.f)) && maskable(e.t) && maskable(e.f)) {
    // lanes known at compile time (a tile's partial vector): both sides as vectors, each
    // reading only the lanes it supplies, blended by a constant mask
    const side = (x: Expr, live: boolean[]): readonly Local[] =>
      live.some(Boolean) ? underMask(fc, live, () => packedChild(fc, x)) : perPart(fc, e.lanes, () => void c.i32x4Const([0, 0, 0, 0]));
    const [t, f] = [side(e.t, mask), side(e.f, mask.map((x) => !x))];
    return perPart(fc, e.lanes, (j) => {
      const bit = (k: number): number => (mask[4 * j + k] ? -1 : 0);
      c.localGet(t[j]).localGet(f[j]).i32x4Const([bit(0), bit(1), bit(2), bit(3)]).simd('v128.bitselect');
    });
  }
  const cond = scalarCondition(e);
  if (cond && (mayTrap(e.t) || mayTrap(e.f))) {
    // one condition for all lanes: only the chosen side runs (the other's loads may be out of bounds), as vectors
    const out = Array.from({ length: e.lanes / 4 }, () => fc.temp('v128'));
    const side = (x: Expr) => (): void => {
      const mark = fc.mark();
      packedChild(fc, x).forEach((p, j) => void c.localGet(p).localSet(out[j]));
      fc.release(mark);
    };
    emitScalar(fc, cond);
    c.if(null, side(e.t), side(e.f));
    return out;
  }
  const [t, f] = [packedChild(fc, e.t), packedChild(fc, e.f)];
  if (e.cond.lanes === 1) {
    const cond = fc.temp('i32');
    emitScalar(fc, e.cond);
    c.localSet(cond);
    return perPart(fc, e.lanes, (j) => void c.localGet(t[j]).localGet(f[j]).localGet(cond).op('select'));
  }
  const m = packedChild(fc, e.cond);
  return perPart(fc, e.lanes, (j) => void c.localGet(t[j]).localGet(f[j]).localGet(m[j]).simd('v128.bitselect'));
}

function packedCast(fc: FuncContext, value: Expr, to: DType): Local[] {
  const c = fc.code;
  const from = value.dtype;
  const v = packedChild(fc, value);
  return perPart(fc, value.lanes, (j) => {
    c.localGet(v[j]);
    if (from === 'float32' && to === 'int32') c.simd('i32x4.trunc_sat_f32x4_s');
    else if (from === 'int32' && to === 'float32') c.simd('f32x4.convert_i32x4_s');
    else if (from === 'bool' && to === 'float32') c.f32x4Const([1, 1, 1, 1]).simd('v128.and');
    else if (from === 'bool' && to === 'int32') c.simd('i32x4.neg');
    else if (from === 'int32') c.i32x4Const([0, 0, 0, 0]).simd('i32x4.ne');
    else c.f32x4Const([0, 0, 0, 0]).simd('f32x4.ne');
  });
}

function packedCall(fc: FuncContext, e: Expr & { kind: 'call' }): Local[] {
  const c = fc.code;
  const y = e.fn === 'pow' && e.dtype === 'float32' ? rootExponent(e.args[1]) : null;
  if (y !== null) {
    const x = packedChild(fc, e.args[0]);
    const fn = fc.mod.math.rootPow(y, 'f32x4');
    return perPart(fc, e.lanes, (j) => void c.localGet(x[j]).call(fn));
  }
  const args = e.args.map((a) => packedChild(fc, a));
  const first = args[0];
  if (e.dtype === 'int32') return e.fn === 'abs' ? perPart(fc, e.lanes, (j) => void c.localGet(first[j]).simd('i32x4.abs')) : [...first];
  const unary = F32_UNARY_CALL[e.fn];
  if (unary) return perPart(fc, e.lanes, (j) => void c.localGet(first[j]).simd(unary));
  if (e.fn === 'rsqrt') return perPart(fc, e.lanes, (j) => void c.f32x4Const([1, 1, 1, 1]).localGet(first[j]).simd('f32x4.sqrt').simd('f32x4.div'));
  const fn = fc.mod.math.vector(e.fn as KernelFn);
  return perPart(fc, e.lanes, (j) => {
    for (const a of args) c.localGet(a[j]);
    c.call(fn);
  });
}

/** Stores a vector: SIMD stores for contiguous packable values, else one store per lane. */
export function storeVector(fc: FuncContext, buf: Buffer, indices: readonly Expr[], value: Expr): void {
  const idx = flatIndex(fc, buf, indices);
  const lanes = Math.max(idx.lanes, value.lanes);
  if (idx.lanes !== lanes || (value.lanes !== 1 && value.lanes !== lanes)) throw fc.error(`store of ${value.lanes} lanes at ${idx.lanes} indices`);
  const c = fc.code;
  const loc = fc.buffer(buf);
  if (loc.kind === 'registers') {
    storeRegisters(fc, loc.file, constLanes(idx)!, value);
    return;
  }
  if (idx.kind === 'ramp' && idx.stride === 1 && value.lanes === lanes && packable(value.dtype, lanes) && value.dtype !== 'bool') {
    const parts = packedChild(fc, value);
    const addr = fc.temp('i32');
    const offset = pushAddress(fc, buf, { kind: 'expr', expr: idx.base }, 0, (x) => emitScalar(fc, x));
    c.localSet(addr);
    parts.forEach((p, j) => void c.localGet(addr).localGet(p).simdMem('v128.store', offset + 16 * j, 2));
    return;
  }
  const values = value.lanes === 1 ? Array<Local>(lanes).fill(scalarTemp(fc, value)) : asLanes(fc, emitVector(fc, value));
  if (idx.kind === 'ramp') {
    const base = scalarTemp(fc, idx.base);
    for (let k = 0; k < lanes; k++) storeLane(fc, buf, base, k * idx.stride, values[k]);
  } else {
    const where = asLanes(fc, emitVector(fc, idx));
    for (let k = 0; k < lanes; k++) storeLane(fc, buf, where[k], 0, values[k]);
  }
}

function storeRegisters(fc: FuncContext, rf: RegisterFile, lanes: readonly number[], value: Expr): void {
  const targets = registerTargets(rf, lanes);
  const values = rf.packed ? packedChild(fc, broadcast(value, value.lanes === 1 ? lanes.length : 1)) : value.lanes === 1 ? Array<Local>(lanes.length).fill(scalarTemp(fc, value)) : asLanes(fc, emitVector(fc, value));
  targets.forEach((t, k) => void fc.code.localGet(values[k]).localSet(t));
}

function scalarTemp(fc: FuncContext, e: Expr): Local {
  const l = fc.temp(wasmType(e.dtype));
  emitScalar(fc, e);
  fc.code.localSet(l);
  return l;
}

function storeLane(fc: FuncContext, buf: Buffer, index: Local, elemOffset: number, value: Local): void {
  const offset = pushAddress(fc, buf, { kind: 'local', local: index }, elemOffset, (x) => emitScalar(fc, x));
  fc.code.localGet(value);
  storeScalar(fc, buf.dtype, offset);
}
