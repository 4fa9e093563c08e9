/**
 * @file Sliding windows, shared by convolutions and pooling: the kernel/stride/dilation/pads
 * attributes with their defaults, auto_pad (VALID, SAME_UPPER, SAME_LOWER), output sizes on
 * symbolic dims, and the padding stage computes read through.
 *
 * Sizes follow the ONNX formulas. With `d' = (k − 1)·d + 1` the dilated kernel extent,
 *   out = floor((in + padBegin + padEnd − d') / s) + 1        (ceil for ceil_mode)
 * and SAME pads the input so that out = ceil(in / s), the odd pad going to the end (UPPER) or the
 * beginning (LOWER). A symbolic input keeps its symbol when the window cannot change the size
 * (stride 1 and pads that add back what the kernel takes away); otherwise the output is unknown.
 */

import type { DType } from '../ir/dtype.js';
import { isFloat, intRange } from '../ir/dtype.js';
import type { Expr } from '../ir/expr.js';
import { and, constant, ge, lt, select, sub } from '../ir/expr.js';
import type { Dim } from '../graph/types.js';
import { compute } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { NodeContext } from './context.js';
import { unknownDim } from './shape.js';

export type AutoPad = 'NOTSET' | 'VALID' | 'SAME_UPPER' | 'SAME_LOWER';

export interface WindowAttrs {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly autoPad: AutoPad;
  /** the pads attribute: begins then ends; only meaningful for NOTSET */
  readonly pads: readonly number[];
  readonly ceilMode: boolean;
}

function listOf(ctx: NodeContext, name: string, n: number, fallback: number): readonly number[] {
  const v = ctx.ints(name, new Array<number>(n).fill(fallback));
  if (v.length !== n) throw ctx.fail(`${name} has ${v.length} values, expected ${n}`);
  return v;
}

/** The window attributes for `rank` spatial dims; `kernel` from the weights when not an attribute. */
export function windowAttrs(ctx: NodeContext, rank: number, kernel?: readonly Dim[]): WindowAttrs {
  let k: readonly number[];
  if (ctx.hasAttr('kernel_shape') || kernel === undefined) {
    k = listOf(ctx, 'kernel_shape', rank, 1);
    if (!ctx.hasAttr('kernel_shape')) throw ctx.fail('missing required ints attribute "kernel_shape"');
  } else {
    if (kernel.some((d) => typeof d !== 'number')) throw ctx.fail('the weights have a symbolic kernel size');
    k = kernel as number[];
  }
  const strides = listOf(ctx, 'strides', rank, 1);
  const dilations = listOf(ctx, 'dilations', rank, 1);
  const pads = listOf(ctx, 'pads', 2 * rank, 0);
  const autoPad = ctx.string('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID' && autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') {
    throw ctx.fail(`auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got "${autoPad}"`);
  }
  if (k.some((v) => v < 1)) throw ctx.fail(`kernel_shape [${k.join(', ')}] must be positive`);
  if (strides.some((v) => v < 1)) throw ctx.fail(`strides [${strides.join(', ')}] must be positive`);
  if (dilations.some((v) => v < 1)) throw ctx.fail(`dilations [${dilations.join(', ')}] must be positive`);
  if (pads.some((v) => v < 0)) throw ctx.fail(`pads [${pads.join(', ')}] must not be negative`);
  return { kernel: k, strides, dilations, autoPad, pads, ceilMode: ctx.int('ceil_mode', 0) !== 0 };
}

/** [padBegin, padEnd] of spatial dim `k` for input extent `input` (concrete, or null if unknown). */
export function padsOf(w: WindowAttrs, k: number, input: number | null): [number, number] | null {
  const rank = w.kernel.length;
  switch (w.autoPad) {
    case 'NOTSET':
      return [w.pads[k], w.pads[k + rank]];
    case 'VALID':
      return [0, 0];
    case 'SAME_UPPER':
    case 'SAME_LOWER': {
      if (input === null) return null;
      const s = w.strides[k];
      const out = Math.ceil(input / s);
      const total = Math.max(0, (out - 1) * s + (w.kernel[k] - 1) * w.dilations[k] + 1 - input);
      const small = Math.floor(total / 2);
      return w.autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    }
  }
}

/** The output extent of spatial dim `k` over input extent `input`. */
export function windowOutput(ctx: NodeContext, w: WindowAttrs, k: number, input: Dim): Dim {
  const s = w.strides[k];
  const span = (w.kernel[k] - 1) * w.dilations[k] + 1;
  const pads = padsOf(w, k, typeof input === 'number' ? input : null);
  if (typeof input !== 'number') {
    const keeps = s === 1 && (w.autoPad.startsWith('SAME') || (pads !== null && pads[0] + pads[1] === span - 1));
    return keeps ? input : unknownDim();
  }
  const [b, e] = pads!;
  const room = input + b + e - span;
  if (room < 0) throw ctx.fail(`the window (extent ${span}) is larger than the padded input (extent ${input + b + e}) in spatial dim ${k}`);
  if (!w.ceilMode) return Math.floor(room / s) + 1;
  let out = Math.ceil(room / s) + 1;
  // the last window must start inside the input or its leading pad
  if ((out - 1) * s >= input + b) out--;
  return out;
}

/** The lowest value of a dtype: what max pooling pads with. */
export function lowest(dtype: DType): Expr {
  return constant(isFloat(dtype) ? -Infinity : intRange(dtype)[0], dtype);
}

/**
 * `x` padded with `fill` by `begin[k]` before and up to extent `shape[k]` after, on every dim
 * (entries for non-spatial dims are 0). `x` itself when nothing is padded. The read of `x` sits
 * in the taken branch of a select, so a backend must not evaluate it where the condition fails.
 */
export function padStage(x: Tensor, begin: readonly number[], shape: readonly number[], fill: Expr, name = 'pad'): Tensor {
  if (begin.every((b) => b === 0) && shape.every((d, k) => d === x.shape[k])) return x;
  return compute(shape, (...i) => {
    const src = i.map((v, k) => (begin[k] === 0 ? v : sub(v, begin[k])));
    const conds = src.flatMap((v, k) => (begin[k] === 0 && shape[k] <= x.shape[k] ? [] : [and(ge(v, 0), lt(v, x.shape[k]))]));
    const inside = conds.reduce<Expr | null>((a, c) => (a ? and(a, c) : c), null);
    return inside ? select(inside, x.at(...src), fill) : x.at(...src);
  }, name, { tag: 'pad' });
}
