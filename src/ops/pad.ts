/**
 * @file Pad: constant, edge, reflect and wrap modes, with negative pads cropping, and
 * CenterCropPad. The compute maps each output index back into the input: constant mode selects
 * the fill outside the input, edge clamps, reflect mirrors about the first and last element, wrap
 * takes the index modulo the extent.
 */

import type { Expr } from '../ir/expr.js';
import { add, and, constant, floormod, ge, lt, max, min, select, sub } from '../ir/expr.js';
import { tensorType } from '../graph/types.js';
import { compute } from '../te/compute.js';
import type { ComputeContext, NodeContext } from './context.js';
import { checkDType } from './check.js';
import { listParam } from './params.js';
import { defineOp } from './registry.js';
import { normalizeAxes, unknownDim } from './shape.js';

type PadMode = 'constant' | 'edge' | 'reflect' | 'wrap';

function modeOf(ctx: NodeContext): PadMode {
  const m = ctx.string('mode', 'constant');
  if (m !== 'constant' && m !== 'edge' && m !== 'reflect' && m !== 'wrap') throw ctx.fail(`mode must be constant, edge, reflect or wrap, got "${m}"`);
  return m;
}

/** [begin, end] per dim, from pads (over `axes`, all dims by default); null when not constant. */
function padsOf(ctx: NodeContext, rank: number): [number, number][] | null {
  const pads = listParam(ctx, 'pads', 1);
  if (pads === 'unknown') return null;
  if (pads === 'absent') throw ctx.fail('pads is required');
  const axesParam = ctx.has(3) ? ctx.constantValues(3) : Array.from({ length: rank }, (_, k) => k);
  if (axesParam === null) return null;
  const axes = normalizeAxes(ctx, axesParam, rank);
  if (pads.length !== 2 * axes.length) throw ctx.fail(`pads has ${pads.length} values for ${axes.length} axes`);
  const out: [number, number][] = Array.from({ length: rank }, () => [0, 0]);
  axes.forEach((a, k) => (out[a] = [pads[k], pads[k + axes.length]]));
  return out;
}

/** The input index read for output index `i` of a dim of extent `n` padded by `b` in front. */
function source(mode: PadMode, i: Expr, b: number, n: number): Expr {
  const j = b === 0 ? i : sub(i, b);
  switch (mode) {
    case 'constant':
      return j;
    case 'edge':
      return min(max(j, 0), n - 1);
    case 'wrap':
      return floormod(j, n);
    case 'reflect': {
      if (n === 1) return constant(0, 'int32');
      // mirror into [0, 2n − 2), then fold the second half back
      const m = floormod(j, 2 * n - 2);
      return select(lt(m, n), m, sub(2 * n - 2, m));
    }
  }
}

function padCompute(ctx: ComputeContext): ReturnType<typeof compute>[] {
  const x = ctx.input(0);
  const pads = padsOf(ctx, x.ndim);
  if (pads === null) throw ctx.fail('pads and axes must be constants');
  const mode = modeOf(ctx);
  const fillInput = ctx.opset < 11 ? null : ctx.optionalInput(2);
  const fill = fillInput ? fillInput.at(...fillInput.shape.map(() => 0)) : constant(ctx.opset < 11 ? ctx.float('value', 0) : 0, x.dtype);
  return [
    compute(ctx.outputs[0].shape, (...i) => {
      const src = i.map((v, k) => source(mode, v, pads[k][0], x.shape[k]));
      if (mode !== 'constant') return x.at(...src);
      const conds = src.flatMap((v, k) => (pads[k][0] > 0 || pads[k][1] > 0 ? [and(ge(v, 0), lt(v, x.shape[k]))] : []));
      const inside = conds.reduce<Expr | null>((a, c) => (a ? and(a, c) : c), null);
      return inside ? select(inside, x.at(...src), fill) : x.at(...src);
    }, 'pad', { tag: 'injective' }),
  ];
}

defineOp({
  name: 'Pad',
  inputs: [1, 4],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const x = ctx.type(0);
    const mode = modeOf(ctx);
    if (ctx.has(2)) checkDType(ctx, ctx.type(2).dtype, x.dtype === 'bool' ? 'bool' : 'numeric', 'input 2 (constant_value)');
    const pads = padsOf(ctx, x.shape.length);
    if (pads === null) return [tensorType(x.dtype, x.shape.map(unknownDim))];
    const shape = x.shape.map((d, k) => {
      const [b, e] = pads[k];
      if (b === 0 && e === 0) return d;
      if (typeof d !== 'number') return unknownDim();
      const out = d + b + e;
      if (out < 0) throw ctx.fail(`pads [${b}, ${e}] crop more than the ${d} elements of dim ${k}`);
      if (mode !== 'constant' && d === 0) throw ctx.fail(`${mode} padding of the empty dim ${k}`);
      return out;
    });
    return [tensorType(x.dtype, shape)];
  },
  compute: padCompute,
});

// --- CenterCropPad --------------------------------------------------------------------------------

/** The target extent of each dim: the shape input on `axes`, the input's own elsewhere. */
function cropTargets(ctx: NodeContext, rank: number): (number | null)[] | null {
  const shape = ctx.constantValues(1);
  if (shape === null) return null;
  const axes = normalizeAxes(ctx, ctx.ints('axes', Array.from({ length: rank }, (_, k) => k)), rank);
  if (shape.length !== axes.length) throw ctx.fail(`shape has ${shape.length} values for ${axes.length} axes`);
  return Array.from({ length: rank }, (_, k) => (axes.includes(k) ? shape[axes.indexOf(k)] : null));
}

defineOp({
  name: 'CenterCropPad',
  inputs: [2, 2],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const x = ctx.type(0);
    const targets = cropTargets(ctx, x.shape.length);
    return [tensorType(x.dtype, x.shape.map((d, k) => (targets === null ? unknownDim() : (targets[k] ?? d))))];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const out = ctx.outputs[0].shape;
    // a crop starts (in − out) / 2 in, a pad puts (out − in) / 2 in front, both rounded down
    const shift = out.map((o, k) => (o <= x.shape[k] ? Math.floor((x.shape[k] - o) / 2) : -Math.floor((o - x.shape[k]) / 2)));
    return [
      compute(out, (...i) => {
        const src = i.map((v, k) => (shift[k] === 0 ? v : add(v, shift[k])));
        const conds = src.flatMap((v, k) => (out[k] > x.shape[k] ? [and(ge(v, 0), lt(v, x.shape[k]))] : []));
        const inside = conds.reduce<Expr | null>((a, c) => (a ? and(a, c) : c), null);
        return inside ? select(inside, x.at(...src), constant(0, x.dtype)) : x.at(...src);
      }, 'center_crop_pad', { tag: 'injective' }),
    ];
  },
});
