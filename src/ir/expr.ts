/**
 * @file The one expression type shared by tensor expressions (TE) and the loop IR (TIR).
 *
 * Nodes are immutable plain objects discriminated by `kind`. Every node carries its scalar
 * `dtype` and its vector `lanes` (1 for scalars). Two node kinds exist only before lowering:
 * `tensorRead` (a read of a TE tensor) and `reduce` (a commutative reduction over reduce axes);
 * lowering replaces them by `load`s of buffers and loops. Variables are compared by `id`.
 */

import type { DType } from './dtype.js';
import { INDEX, isFloat } from './dtype.js';
import type { Tensor } from '../te/tensor.js';

export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  /** float division, or C-style truncating division on integers */
  | 'div'
  /** C-style remainder (sign of the dividend) on integers, fmod on floats */
  | 'mod'
  | 'floordiv'
  | 'floormod'
  | 'min'
  | 'max';

export type CmpOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** Math calls. `round` rounds half to even (ONNX semantics). */
export type MathFn =
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'tanh'
  | 'sigmoid'
  | 'erf'
  | 'pow'
  | 'abs'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'sin'
  | 'cos';

export type ReduceOp = 'sum' | 'max' | 'min' | 'prod';

interface Typed {
  readonly dtype: DType;
  readonly lanes: number;
}

export interface IntImm extends Typed {
  readonly kind: 'int';
  readonly value: number;
}
export interface FloatImm extends Typed {
  readonly kind: 'float';
  readonly value: number;
}
export interface Var extends Typed {
  readonly kind: 'var';
  readonly name: string;
  readonly id: number;
}
export interface Binary extends Typed {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly a: Expr;
  readonly b: Expr;
}
export interface Compare extends Typed {
  readonly kind: 'cmp';
  readonly op: CmpOp;
  readonly a: Expr;
  readonly b: Expr;
}
export interface Logic extends Typed {
  readonly kind: 'logic';
  readonly op: 'and' | 'or';
  readonly a: Expr;
  readonly b: Expr;
}
export interface Not extends Typed {
  readonly kind: 'not';
  readonly a: Expr;
}
export interface Select extends Typed {
  readonly kind: 'select';
  readonly cond: Expr;
  readonly t: Expr;
  readonly f: Expr;
}
export interface Cast extends Typed {
  readonly kind: 'cast';
  readonly value: Expr;
}
export interface Call extends Typed {
  readonly kind: 'call';
  readonly fn: MathFn;
  readonly args: readonly Expr[];
}
/** A read of a buffer element; with a `ramp` index it reads `lanes` consecutive elements. */
export interface Load extends Typed {
  readonly kind: 'load';
  readonly buffer: Buffer;
  readonly indices: readonly Expr[];
}
/** The vector [base, base + stride, …, base + (lanes-1)·stride]. */
export interface Ramp extends Typed {
  readonly kind: 'ramp';
  readonly base: Expr;
  readonly stride: number;
}
export interface Broadcast extends Typed {
  readonly kind: 'broadcast';
  readonly value: Expr;
}
export interface Let extends Typed {
  readonly kind: 'let';
  readonly v: Var;
  readonly value: Expr;
  readonly body: Expr;
}
/** TE only: element `indices` of a tensor. */
export interface TensorRead extends Typed {
  readonly kind: 'tensorRead';
  readonly tensor: Tensor;
  readonly indices: readonly Expr[];
}
/** TE only: `op` over `axes` of `source`, counting only points where `where` holds. */
export interface Reduce extends Typed {
  readonly kind: 'reduce';
  readonly op: ReduceOp;
  readonly source: Expr;
  readonly axes: readonly IterVar[];
  readonly where: Expr | null;
}

export type Expr =
  | IntImm
  | FloatImm
  | Var
  | Binary
  | Compare
  | Logic
  | Not
  | Select
  | Cast
  | Call
  | Load
  | Ramp
  | Broadcast
  | Let
  | TensorRead
  | Reduce;

/** A loop domain [min, min + extent) with its variable; `reduce` marks a reduction axis. */
export interface IterVar {
  readonly kind: 'iterVar';
  readonly var: Var;
  readonly min: number;
  readonly extent: number;
  readonly iterType: 'spatial' | 'reduce';
}

export type Scope = 'global' | 'local' | 'shared';

/**
 * A multi-dimensional array in memory. `strides` (in elements) are present when the layout is
 * not dense row-major (storage alignment); `name` is a generated identifier, never model text.
 */
export interface Buffer {
  readonly kind: 'buffer';
  readonly id: number;
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[] | null;
  readonly scope: Scope;
}

// ---------------------------------------------------------------------------------------------
// Constructors. Numbers given where an Expr is expected take the dtype of the other operand.

let nextId = 1;
export function freshId(): number {
  return nextId++;
}

export type ExprLike = Expr | number;

export function intImm(value: number, dtype: DType = INDEX): IntImm {
  if (!Number.isInteger(value)) throw new Error(`intImm: ${value} is not an integer`);
  return { kind: 'int', value, dtype, lanes: 1 };
}

export function floatImm(value: number, dtype: DType = 'float32'): FloatImm {
  return { kind: 'float', value: dtype === 'float32' ? Math.fround(value) : value, dtype, lanes: 1 };
}

export function constant(value: number, dtype: DType): IntImm | FloatImm {
  if (isFloat(dtype)) return floatImm(value, dtype);
  if (dtype === 'bool') return intImm(value ? 1 : 0, 'bool');
  return intImm(value, dtype);
}

export function variable(name: string, dtype: DType = INDEX): Var {
  return { kind: 'var', name, id: freshId(), dtype, lanes: 1 };
}

export function toExpr(v: ExprLike, like: DType = INDEX): Expr {
  return typeof v === 'number' ? constant(v, like) : v;
}

function pair(a: ExprLike, b: ExprLike): [Expr, Expr] {
  if (typeof a === 'number' && typeof b === 'number') {
    const dt: DType = Number.isInteger(a) && Number.isInteger(b) ? INDEX : 'float32';
    return [constant(a, dt), constant(b, dt)];
  }
  const ea = toExpr(a, typeof b === 'number' ? INDEX : b.dtype);
  const eb = toExpr(b, ea.dtype);
  return [ea, eb];
}

export function binary(op: BinaryOp, a: ExprLike, b: ExprLike): Binary {
  const [ea, eb] = pair(a, b);
  if (ea.dtype !== eb.dtype) throw new Error(`${op}: dtype mismatch ${ea.dtype} vs ${eb.dtype}`);
  if (ea.lanes !== eb.lanes) throw new Error(`${op}: lanes mismatch ${ea.lanes} vs ${eb.lanes}`);
  return { kind: 'binary', op, a: ea, b: eb, dtype: ea.dtype, lanes: ea.lanes };
}

export const add = (a: ExprLike, b: ExprLike): Binary => binary('add', a, b);
export const sub = (a: ExprLike, b: ExprLike): Binary => binary('sub', a, b);
export const mul = (a: ExprLike, b: ExprLike): Binary => binary('mul', a, b);
export const div = (a: ExprLike, b: ExprLike): Binary => binary('div', a, b);
export const mod = (a: ExprLike, b: ExprLike): Binary => binary('mod', a, b);
export const floordiv = (a: ExprLike, b: ExprLike): Binary => binary('floordiv', a, b);
export const floormod = (a: ExprLike, b: ExprLike): Binary => binary('floormod', a, b);
export const min = (a: ExprLike, b: ExprLike): Binary => binary('min', a, b);
export const max = (a: ExprLike, b: ExprLike): Binary => binary('max', a, b);

export function cmp(op: CmpOp, a: ExprLike, b: ExprLike): Compare {
  const [ea, eb] = pair(a, b);
  if (ea.dtype !== eb.dtype) throw new Error(`${op}: dtype mismatch ${ea.dtype} vs ${eb.dtype}`);
  return { kind: 'cmp', op, a: ea, b: eb, dtype: 'bool', lanes: ea.lanes };
}
export const eq = (a: ExprLike, b: ExprLike): Compare => cmp('eq', a, b);
export const ne = (a: ExprLike, b: ExprLike): Compare => cmp('ne', a, b);
export const lt = (a: ExprLike, b: ExprLike): Compare => cmp('lt', a, b);
export const le = (a: ExprLike, b: ExprLike): Compare => cmp('le', a, b);
export const gt = (a: ExprLike, b: ExprLike): Compare => cmp('gt', a, b);
export const ge = (a: ExprLike, b: ExprLike): Compare => cmp('ge', a, b);

export function and(a: Expr, b: Expr): Logic {
  return { kind: 'logic', op: 'and', a, b, dtype: 'bool', lanes: a.lanes };
}
export function or(a: Expr, b: Expr): Logic {
  return { kind: 'logic', op: 'or', a, b, dtype: 'bool', lanes: a.lanes };
}
export function not(a: Expr): Not {
  return { kind: 'not', a, dtype: 'bool', lanes: a.lanes };
}

export function select(cond: Expr, t: ExprLike, f: ExprLike): Select {
  const [et, ef] = pair(t, f);
  if (et.dtype !== ef.dtype) throw new Error(`select: dtype mismatch ${et.dtype} vs ${ef.dtype}`);
  return { kind: 'select', cond, t: et, f: ef, dtype: et.dtype, lanes: et.lanes };
}

export function cast(value: ExprLike, dtype: DType): Expr {
  const e = toExpr(value, dtype);
  if (e.dtype === dtype) return e;
  return { kind: 'cast', value: e, dtype, lanes: e.lanes };
}

export function call(fn: MathFn, ...args: Expr[]): Call {
  const first = args[0];
  if (!first) throw new Error(`${fn}: needs an argument`);
  return { kind: 'call', fn, args, dtype: first.dtype, lanes: first.lanes };
}

export function load(buffer: Buffer, indices: readonly Expr[]): Load {
  const lanes = indices.reduce((l, i) => Math.max(l, i.lanes), 1);
  return { kind: 'load', buffer, indices, dtype: buffer.dtype, lanes };
}

export function ramp(base: Expr, stride: number, lanes: number): Ramp {
  return { kind: 'ramp', base, stride, dtype: base.dtype, lanes };
}

export function broadcast(value: Expr, lanes: number): Expr {
  if (lanes === 1) return value;
  return { kind: 'broadcast', value, dtype: value.dtype, lanes };
}

export function letExpr(v: Var, value: Expr, body: Expr): Let {
  return { kind: 'let', v, value, body, dtype: body.dtype, lanes: body.lanes };
}

export function iterVar(name: string, extent: number, iterType: IterVar['iterType'] = 'spatial', min = 0): IterVar {
  if (!Number.isInteger(extent) || extent < 0) throw new Error(`iterVar ${name}: bad extent ${extent}`);
  return { kind: 'iterVar', var: variable(name), min, extent, iterType };
}

export function buffer(
  name: string,
  dtype: DType,
  shape: readonly number[],
  scope: Scope = 'global',
  strides: readonly number[] | null = null,
): Buffer {
  return { kind: 'buffer', id: freshId(), name, dtype, shape: [...shape], strides, scope };
}

export function isConst(e: Expr): e is IntImm | FloatImm {
  return e.kind === 'int' || e.kind === 'float';
}

/** The integer value of `e` if it is an integer constant, else undefined. */
export function constInt(e: Expr): number | undefined {
  return e.kind === 'int' ? e.value : undefined;
}
