/**
 * @file Checks and small builders every op file uses: dtype classes an input must belong to, the
 * element-wise compute that most ops reduce to, and compile-time tables indexed at run time.
 */

import type { DType } from '../ir/dtype.js';
import { isFloat, isInt, isSigned } from '../ir/dtype.js';
import type { Expr } from '../ir/expr.js';
import { constant, eq, select } from '../ir/expr.js';
import { compute } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { NodeContext } from './context.js';

/** Which dtypes an op accepts for an input. */
export type DTypeClass = 'float' | 'signed' | 'numeric' | 'integer' | 'bool' | 'any';

const ACCEPTS: Record<DTypeClass, (t: DType) => boolean> = {
  float: isFloat,
  signed: (t) => isFloat(t) || (isInt(t) && isSigned(t)),
  numeric: (t) => t !== 'bool',
  integer: isInt,
  bool: (t) => t === 'bool',
  any: () => true,
};

const DESCRIBE: Record<DTypeClass, string> = {
  float: 'a float',
  signed: 'a signed numeric',
  numeric: 'a numeric',
  integer: 'an integer',
  bool: 'a bool',
  any: 'any',
};

export function checkDType(ctx: Pick<NodeContext, 'fail'>, dtype: DType, cls: DTypeClass, what = 'input 0'): void {
  if (!ACCEPTS[cls](dtype)) throw ctx.fail(`${what} must have ${DESCRIBE[cls]} type, got ${dtype}`);
}

/** All of `dtypes` equal, or an OpError naming the first that differs. */
export function sameDType(ctx: Pick<NodeContext, 'fail'>, dtypes: readonly DType[], what = 'inputs'): DType {
  const first = dtypes[0];
  if (first === undefined) throw ctx.fail(`needs at least one input`);
  const other = dtypes.find((t) => t !== first);
  if (other !== undefined) throw ctx.fail(`${what} must share one dtype, got ${first} and ${other}`);
  return first;
}

/** `f` applied to each element of `x`. */
export function mapElements(x: Tensor, f: (v: Expr) => Expr, name: string): Tensor {
  return compute(x.shape, (...i) => f(x.at(...i)), name, { tag: 'elemwise' });
}

/**
 * values[i] for a run-time index `i` into a table known at compile time: a chain of selects,
 * meant for the short tables ops need (a shape vector, the positions Compress keeps).
 */
export function lookup(i: Expr, values: readonly number[], dtype: DType = 'int32'): Expr {
  let e: Expr = constant(values[values.length - 1] ?? 0, dtype);
  for (let k = values.length - 2; k >= 0; k--) e = select(eq(i, k), constant(values[k], dtype), e);
  return e;
}
