/**
 * @file RotaryEmbedding (opset 23): rotates pairs of each head's first rotary_embedding_dim
 * features by position-dependent angles, out = x·cos ± partner·sin. The pairs are (d, d + half)
 * or, interleaved, (2i, 2i + 1); the angle's cos/sin come from the caches at position_ids[b, s]
 * or, without them, from caches already laid out per [batch, seq]. Features past the rotary
 * dims pass through.
 */

import type { Expr } from '../ir/expr.js';
import { add, cast, eq, floordiv, floormod, lt, min, mul, select, sub } from '../ir/expr.js';
import { tensorType } from '../graph/types.js';
import { compute } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext } from './context.js';
import { checkDType, sameDType } from './check.js';
import { defineOp } from './registry.js';
import { showShape } from './shape.js';

/** x as [batch, heads, seq, head size]: the 4-d input itself, or the 3-d one split into heads. */
function heads(ctx: ComputeContext, x: Tensor): { size: number; at: (b: Expr, h: Expr, s: Expr, d: Expr) => Expr } {
  if (x.ndim === 4) return { size: x.shape[3], at: (b, h, s, d) => x.at(b, h, s, d) };
  const n = ctx.int('num_heads', 0);
  if (n < 1 || x.shape[2] % n !== 0) throw ctx.fail(`num_heads ${n} does not divide the hidden size ${x.shape[2]}`);
  const size = x.shape[2] / n;
  return { size, at: (b, h, s, d) => x.at(b, s, add(mul(h, size), d)) };
}

function rotaryCompute(ctx: ComputeContext): Tensor[] {
  const [x, cos, sin, pos] = [ctx.input(0), ctx.input(1), ctx.input(2), ctx.optionalInput(3)];
  const view = heads(ctx, x);
  const rd = ctx.int('rotary_embedding_dim', 0) || view.size;
  const half = rd / 2;
  const interleaved = ctx.int('interleaved', 0) !== 0;
  const cache = (t: Tensor, b: Expr, s: Expr, i: Expr): Expr => (pos ? t.at(cast(pos.at(b, s), 'int32'), i) : t.at(b, s, i));
  const rotate = (b: Expr, h: Expr, s: Expr, d: Expr): Expr => {
    const first = interleaved ? eq(floormod(d, 2), 0) : lt(d, half);
    const partner = interleaved ? select(first, add(d, 1), sub(d, 1)) : select(first, add(d, half), sub(d, half));
    // past the rotary dims the index is clamped; the select below keeps x there
    const i = min(interleaved ? floordiv(d, 2) : select(first, d, sub(d, half)), half - 1);
    const turned = mul(view.at(b, h, s, partner), cache(sin, b, s, i));
    const base = mul(view.at(b, h, s, d), cache(cos, b, s, i));
    const rotated = select(first, sub(base, turned), add(base, turned));
    return rd === view.size ? rotated : select(lt(d, rd), rotated, view.at(b, h, s, d));
  };
  if (x.ndim === 4) return [compute(x.shape, (b, h, s, d) => rotate(b, h, s, d), 'rotary_embedding', { tag: 'injective' })];
  return [compute(x.shape, (b, s, c) => rotate(b, floordiv(c, view.size), s, floormod(c, view.size)), 'rotary_embedding', { tag: 'injective' })];
}

defineOp({
  name: 'RotaryEmbedding',
  inputs: [3, 4],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const [x, cos, sin] = [ctx.type(0), ctx.type(1), ctx.type(2)];
    checkDType(ctx, sameDType(ctx, [x.dtype, cos.dtype, sin.dtype]), 'float');
    if (x.shape.length !== 3 && x.shape.length !== 4) throw ctx.fail(`input must be 3-d or 4-d, got ${showShape(x.shape)}`);
    const rd = ctx.int('rotary_embedding_dim', 0);
    if (rd < 0 || rd % 2 !== 0) throw ctx.fail(`rotary_embedding_dim must be even and non-negative, got ${rd}`);
    return [tensorType(x.dtype, x.shape)];
  },
  compute: rotaryCompute,
});
