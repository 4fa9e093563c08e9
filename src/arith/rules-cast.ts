/**
 * @file Rules for casts of non-constants (constants fold in fold.ts): a round trip through a wider
 * integer type is the identity, e.g. `int32(int64(x))` → `x` for an int32 x.
 */

import type { DType } from '../ir/dtype.js';
import { intRange, isInt } from '../ir/dtype.js';
import type { Cast, Expr } from '../ir/expr.js';
import type { RuleContext } from './context.js';

/** True when every value of integer type `inner` is a value of integer type `outer`. */
function widens(outer: DType, inner: DType): boolean {
  if (!isInt(outer) || !(isInt(inner) || inner === 'bool')) return false;
  const [olo, ohi] = intRange(outer);
  const [ilo, ihi] = intRange(inner);
  return olo <= ilo && ihi <= ohi;
}

export function rewriteCast(e: Cast, _ctx: RuleContext): Expr {
  const v = e.value;
  if (v.kind === 'cast' && v.value.dtype === e.dtype && widens(v.dtype, e.dtype)) return v.value;
  return e;
}
