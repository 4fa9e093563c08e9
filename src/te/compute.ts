/**
 * @file The tensor-expression DSL: `placeholder`, `compute`, `reduceAxis`, reductions and math.
 *
 *   const A = placeholder([m, k], 'float32', 'A');
 *   const B = placeholder([k, n], 'float32', 'B');
 *   const r = reduceAxis(k, 'r');
 *   const C = compute([m, n], (i, j) => sum(mul(A.at(i, r.var), B.at(r.var, j)), [r]), 'C');
 */

import type { DType } from '../ir/dtype.js';
import { isFloat, intRange } from '../ir/dtype.js';
import type { Expr, ExprLike, IterVar, MathFn, Reduce, ReduceOp, Var } from '../ir/expr.js';
import { call, cast as castExpr, constant, iterVar, select as selectExpr, toExpr } from '../ir/expr.js';
import { visit } from '../ir/visit.js';
import { Tensor, TensorError } from './tensor.js';

export function placeholder(shape: readonly number[], dtype: DType = 'float32', name = 'input'): Tensor {
  checkShape(shape, name);
  return new Tensor({ kind: 'placeholder', name }, [...shape], dtype);
}

export function reduceAxis(extent: number, name = 'r', min = 0): IterVar {
  return iterVar(name, extent, 'reduce', min);
}

const AXIS_NAMES = ['i', 'j', 'k', 'l', 'm', 'n', 'o', 'p'];

export interface ComputeOptions {
  tag?: string;
  /** names of the spatial axes (default i, j, k, …) */
  axisNames?: readonly string[];
}

export function compute(
  shape: readonly number[],
  fn: (...axes: Var[]) => ExprLike,
  name = 'compute',
  opts: ComputeOptions = {},
): Tensor {
  checkShape(shape, name);
  const axis = shape.map((ext, d) => iterVar(opts.axisNames?.[d] ?? AXIS_NAMES[d] ?? `ax${d}`, ext));
  const body = toExpr(fn(...axis.map((a) => a.var)), 'float32');
  let reduceAxes: readonly IterVar[] = [];
  if (body.kind === 'reduce') {
    reduceAxes = body.axes;
    visit(body.source, (e) => {
      if (e.kind === 'reduce') throw new TensorError(`${name}: a reduction may only appear at the top of a compute`);
    });
  } else {
    visit(body, (e) => {
      if (e.kind === 'reduce') throw new TensorError(`${name}: a reduction may only appear at the top of a compute`);
    });
  }
  const tag = opts.tag ?? (reduceAxes.length > 0 ? 'reduce' : 'injective');
  return new Tensor({ kind: 'compute', name, axis, reduceAxis: reduceAxes, body, tag }, [...shape], body.dtype);
}

function checkShape(shape: readonly number[], name: string): void {
  for (const [d, ext] of shape.entries()) {
    if (!Number.isInteger(ext) || ext < 0) throw new TensorError(`${name}: dimension ${d} has bad extent ${ext}`);
  }
}

// --- reductions --------------------------------------------------------------------------------

/** The identity element of a reduction (what an empty reduction yields). */
export function reduceIdentity(op: ReduceOp, dtype: DType): Expr {
  switch (op) {
    case 'sum':
      return constant(0, dtype);
    case 'prod':
      return constant(1, dtype);
    case 'max':
      return constant(isFloat(dtype) ? -Infinity : intRange(dtype)[0], dtype);
    case 'min':
      return constant(isFloat(dtype) ? Infinity : intRange(dtype)[1], dtype);
  }
}

function reduce(op: ReduceOp, source: Expr, axes: readonly IterVar[], where: Expr | null): Reduce {
  if (axes.length === 0) throw new TensorError(`${op}: needs at least one reduce axis`);
  for (const a of axes) {
    if (a.iterType !== 'reduce') throw new TensorError(`${op}: axis ${a.var.name} is not a reduce axis`);
  }
  return { kind: 'reduce', op, source, axes, where, dtype: source.dtype, lanes: 1 };
}

export const sum = (e: Expr, axes: readonly IterVar[], where: Expr | null = null): Reduce => reduce('sum', e, axes, where);
export const prod = (e: Expr, axes: readonly IterVar[], where: Expr | null = null): Reduce => reduce('prod', e, axes, where);
export const reduceMax = (e: Expr, axes: readonly IterVar[], where: Expr | null = null): Reduce => reduce('max', e, axes, where);
export const reduceMin = (e: Expr, axes: readonly IterVar[], where: Expr | null = null): Reduce => reduce('min', e, axes, where);

// --- element-wise helpers -----------------------------------------------------------------------

function math(fn: MathFn): (x: ExprLike) => Expr {
  return (x) => {
    const e = toExpr(x, 'float32');
    if (!isFloat(e.dtype) && fn !== 'abs') throw new TensorError(`${fn}: needs a float operand, got ${e.dtype}`);
    return call(fn, e);
  };
}

export const exp = math('exp');
export const log = math('log');
export const sqrt = math('sqrt');
export const rsqrt = math('rsqrt');
export const tanh = math('tanh');
export const sigmoid = math('sigmoid');
export const erf = math('erf');
export const abs = math('abs');
export const floor = math('floor');
export const ceil = math('ceil');
export const round = math('round');
export const sin = math('sin');
export const cos = math('cos');

export function pow(x: ExprLike, y: ExprLike): Expr {
  const ex = toExpr(x, 'float32');
  return call('pow', ex, toExpr(y, ex.dtype));
}

export function select(cond: Expr, t: ExprLike, f: ExprLike): Expr {
  return selectExpr(cond, t, f);
}

export function cast(x: ExprLike, dtype: DType): Expr {
  return castExpr(x, dtype);
}

export { add, sub, mul, div, mod, floordiv, floormod, min, max, eq, ne, lt, le, gt, ge, and, or, not } from '../ir/expr.js';
