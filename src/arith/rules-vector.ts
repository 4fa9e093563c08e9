/**
 * @file Rules for vector index arithmetic, as the vectorize pass leaves it: lane-wise ops on
 * broadcasts become one scalar op, and ramps absorb added offsets and constant scales, so
 * `ramp(i*4, 1, 4) + x4(j*16)` becomes `ramp(i*4 + j*16, 1, 4)`. A floordiv/floormod of a ramp
 * that stays within one period becomes a broadcast/ramp of the scalar result, which is what turns
 * a vectorized inner split back into contiguous loads. Anything else is left alone.
 */

import type { Binary, Compare, Expr } from '../ir/expr.js';
import { binary, broadcast, cmp, intImm, ramp } from '../ir/expr.js';
import type { RuleContext } from './context.js';
import { isIndexDtype } from './linear.js';

function scalar(ctx: RuleContext, op: Binary['op'], a: Expr, b: Expr): Expr {
  return ctx.rewrite(binary(op, a, b));
}

/** ramp(a, s) ± ramp(b, t), ramp(a, s) ± x(b), x(a) + ramp(b, s), ramp(a, s) * x(c). */
function rampArith(e: Binary, ctx: RuleContext): Expr | undefined {
  const { a, b, lanes } = e;
  const sign = e.op === 'add' ? 1 : e.op === 'sub' ? -1 : 0;
  if (sign !== 0 && a.kind === 'ramp' && b.kind === 'ramp') return ramp(scalar(ctx, e.op, a.base, b.base), a.stride + sign * b.stride, lanes);
  if (sign !== 0 && a.kind === 'ramp' && b.kind === 'broadcast') return ramp(scalar(ctx, e.op, a.base, b.value), a.stride, lanes);
  if (e.op === 'add' && a.kind === 'broadcast' && b.kind === 'ramp') return ramp(scalar(ctx, 'add', a.value, b.base), b.stride, lanes);
  if (e.op === 'mul' && a.kind === 'ramp' && b.kind === 'broadcast' && b.value.kind === 'int') {
    return ramp(scalar(ctx, 'mul', a.base, b.value), a.stride * b.value.value, lanes);
  }
  return undefined;
}

/** floordiv/floormod of ramp(a, s) by x(c) when every lane falls in the period of lane 0. */
function rampDivMod(e: Binary, ctx: RuleContext): Expr | undefined {
  const { a, b } = e;
  if (a.kind !== 'ramp' || b.kind !== 'broadcast' || b.value.kind !== 'int' || a.stride < 0) return undefined;
  const c = b.value.value;
  if (c <= 0) return undefined;
  const first = ctx.rewrite(binary('floormod', a.base, intImm(c, a.dtype)));
  if (ctx.interval(first).max + a.stride * (a.lanes - 1) >= c) return undefined;
  if (e.op === 'floordiv') return broadcast(scalar(ctx, 'floordiv', a.base, b.value), a.lanes);
  return ramp(first, a.stride, a.lanes);
}

export function rewriteVectorBinary(e: Binary, ctx: RuleContext): Expr {
  const { a, b } = e;
  if (a.kind === 'broadcast' && b.kind === 'broadcast') return broadcast(scalar(ctx, e.op, a.value, b.value), e.lanes);
  if (!isIndexDtype(a.dtype)) return e;
  const out = e.op === 'floordiv' || e.op === 'floormod' ? rampDivMod(e, ctx) : rampArith(e, ctx);
  return out ?? e;
}

export function rewriteVectorCmp(e: Compare, ctx: RuleContext): Expr {
  const { a, b } = e;
  if (a.kind === 'broadcast' && b.kind === 'broadcast') return broadcast(ctx.rewrite(cmp(e.op, a.value, b.value)), e.lanes);
  return e;
}
