/**
 * @file Ops that move elements without changing them: Reshape, Flatten, Squeeze, Unsqueeze,
 * Transpose, DepthToSpace and SpaceToDepth. Each compute reads its input through an index map
 * (tagged 'injective'), so the fuser can inline it and the simplifier can cancel the div/mod of a
 * reshape against the loops around it.
 */

import type { Dim, TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import type { Expr } from '../ir/expr.js';
import { add, floordiv, floormod, mul } from '../ir/expr.js';
import { compute } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { InferContext, NodeContext } from './context.js';
import { listParam, requireParam } from './params.js';
import { defineOp } from './registry.js';
import { dimProduct, normalizeAxes, normalizeAxis, ravel, showShape, unknownDim, unravel } from './shape.js';

/** `x` read in row-major order into `shape` (same element count). */
export function reshapeTo(x: Tensor, shape: readonly number[], name: string): Tensor {
  const same = shape.length === x.ndim && shape.every((d, k) => d === x.shape[k]);
  return compute(shape, (...i) => (same ? x.at(...i) : x.at(...unravel(ravel(i, shape), x.shape))), name, { tag: 'injective' });
}

/**
 * Reshape's output dims: 0 copies the input dim (unless allowzero), −1 takes what is left. The
 * left-over is found by cancelling equal dims (symbols included) between input and output, so
 * `[n, c, h, w] → [n, −1]` gives `[n, c·h·w]` whenever c, h, w are concrete.
 */
function reshapeDims(ctx: NodeContext, input: readonly Dim[], target: readonly number[], allowZero: boolean): Dim[] {
  if (target.filter((d) => d === -1).length > 1) throw ctx.fail(`shape [${target.join(', ')}] has more than one -1`);
  const out: Dim[] = target.map((d, k) => {
    if (d === 0 && !allowZero) {
      if (k >= input.length) throw ctx.fail(`shape [${target.join(', ')}] copies dim ${k} of a rank-${input.length} input`);
      return input[k];
    }
    if (d < -1) throw ctx.fail(`shape [${target.join(', ')}] has a negative dim`);
    return d;
  });
  const hole = out.indexOf(-1);
  if (hole < 0) return checkCount(ctx, input, out);
  out[hole] = leftOver(ctx, input, out.filter((_, k) => k !== hole), target);
  return out;
}

/**
 * The product of `input` divided by the product of `others`: symbols that appear on both sides
 * cancel, and the numbers divide; a single symbol times 1 survives as itself.
 */
function leftOver(ctx: NodeContext, input: readonly Dim[], others: readonly Dim[], target: readonly number[]): Dim {
  const syms = input.filter((d): d is string => typeof d === 'string');
  const denSyms: string[] = [];
  for (const d of others) {
    if (typeof d !== 'string') continue;
    const at = syms.indexOf(d);
    if (at >= 0) syms.splice(at, 1);
    else denSyms.push(d);
  }
  const product = (ds: readonly Dim[]): number => ds.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
  const [num, den] = [product(input), product(others)];
  if (den === 0 || (syms.length === 0 && denSyms.length === 0 && num % den !== 0)) throw ctx.fail(`cannot reshape ${showShape(input)} to [${target.join(', ')}]`);
  if (denSyms.length > 0) return unknownDim();
  if (syms.length === 0) return num / den;
  return syms.length === 1 && num === den ? syms[0] : unknownDim();
}

function checkCount(ctx: NodeContext, input: readonly Dim[], out: readonly Dim[]): Dim[] {
  const a = dimProduct(input);
  const b = dimProduct(out);
  if (typeof a === 'number' && typeof b === 'number' && a !== b) throw ctx.fail(`cannot reshape ${showShape(input)} to ${showShape(out)}`);
  return [...out];
}

function reshapeInfer(ctx: InferContext): TensorType[] {
  const x = ctx.type(0);
  const target = listParam(ctx, 'shape', 1);
  if (target === 'unknown') {
    const s = ctx.type(1).shape[0];
    if (typeof s !== 'number') throw ctx.fail('the rank of the output is unknown: input 1 (shape) has an unknown length');
    return [tensorType(x.dtype, Array.from({ length: s }, unknownDim))];
  }
  const dims = requireParam(ctx, target, 'shape');
  return [tensorType(x.dtype, reshapeDims(ctx, x.shape, dims, ctx.int('allowzero', 0) !== 0))];
}

/** Defines an op whose output is the input reshaped to the inferred output shape. */
function defineReshapeLike(name: string, inputs: readonly [number, number], infer: (ctx: InferContext) => TensorType[]): void {
  defineOp({
    name,
    inputs,
    outputs: [1, 1],
    pattern: 'injective',
    infer,
    compute: (ctx) => [reshapeTo(ctx.input(0), ctx.outputs[0].shape, name.toLowerCase())],
  });
}

defineReshapeLike('Reshape', [1, 2], reshapeInfer);

defineReshapeLike('Flatten', [1, 1], (ctx) => {
  const x = ctx.type(0);
  const axis = ctx.int('axis', 1);
  const a = axis === x.shape.length ? axis : normalizeAxis(ctx, axis, x.shape.length);
  return [tensorType(x.dtype, [dimProduct(x.shape.slice(0, a)), dimProduct(x.shape.slice(a))])];
});

defineReshapeLike('Squeeze', [1, 2], (ctx) => {
  const x = ctx.type(0);
  const p = listParam(ctx, 'axes', 1);
  if (p === 'unknown') throw ctx.fail('axes must be a constant');
  if (p === 'absent') return [tensorType(x.dtype, x.shape.filter((d) => d !== 1))];
  const axes = normalizeAxes(ctx, p, x.shape.length);
  for (const a of axes) {
    const d = x.shape[a];
    if (typeof d === 'number' && d !== 1) throw ctx.fail(`cannot squeeze axis ${a} of extent ${d}`);
  }
  return [tensorType(x.dtype, x.shape.filter((_, k) => !axes.includes(k)))];
});

defineReshapeLike('Unsqueeze', [1, 2], (ctx) => {
  const x = ctx.type(0);
  const p = requireParam(ctx, listParam(ctx, 'axes', 1), 'axes');
  const rank = x.shape.length + p.length;
  const axes = normalizeAxes(ctx, p, rank);
  const rest = [...x.shape];
  return [tensorType(x.dtype, Array.from({ length: rank }, (_, k) => (axes.includes(k) ? 1 : rest.shift()!)))];
});

function permOf(ctx: NodeContext, rank: number): number[] {
  const perm = ctx.ints('perm', Array.from({ length: rank }, (_, k) => rank - 1 - k));
  const norm = normalizeAxes(ctx, perm, rank);
  if (norm.length !== rank) throw ctx.fail(`perm [${perm.join(', ')}] is not a permutation of ${rank} axes`);
  return norm;
}

defineOp({
  name: 'Transpose',
  inputs: [1, 1],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const x = ctx.type(0);
    return [tensorType(x.dtype, permOf(ctx, x.shape.length).map((p) => x.shape[p]))];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const perm = permOf(ctx, x.ndim);
    const shape = perm.map((p) => x.shape[p]);
    return [
      compute(shape, (...i) => {
        const idx: Expr[] = new Array<Expr>(x.ndim);
        perm.forEach((p, k) => (idx[p] = i[k]!));
        return x.at(...idx);
      }, 'transpose', { tag: 'injective' }),
    ];
  },
});

function blockSize(ctx: NodeContext, x: TensorType): number {
  const b = ctx.int('blocksize');
  if (b < 1) throw ctx.fail(`blocksize must be positive, got ${b}`);
  if (x.shape.length !== 4) throw ctx.fail(`input must have rank 4, got ${showShape(x.shape)}`);
  return b;
}

const mulDim = (d: Dim, b: number): Dim => (typeof d === 'number' ? d * b : unknownDim());

defineOp({
  name: 'DepthToSpace',
  inputs: [1, 1],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const x = ctx.type(0);
    const b = blockSize(ctx, x);
    const [n, c, h, w] = x.shape as [Dim, Dim, Dim, Dim];
    if (typeof c === 'number' && c % (b * b) !== 0) throw ctx.fail(`channels ${c} are not divisible by blocksize² ${b * b}`);
    const mode = ctx.string('mode', 'DCR');
    if (mode !== 'DCR' && mode !== 'CRD') throw ctx.fail(`mode must be "DCR" or "CRD", got "${mode}"`);
    return [tensorType(x.dtype, [n, typeof c === 'number' ? c / (b * b) : unknownDim(), mulDim(h, b), mulDim(w, b)])];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const b = ctx.int('blocksize');
    const crd = ctx.string('mode', 'DCR') === 'CRD';
    const cOut = x.shape[1] / (b * b);
    return [
      compute(ctx.outputs[0].shape, (n, c, h, w) => {
        const offset = add(mul(floormod(h, b), b), floormod(w, b));
        const ch = crd ? add(mul(c, b * b), offset) : add(mul(offset, cOut), c);
        return x.at(n, ch, floordiv(h, b), floordiv(w, b));
      }, 'depth_to_space', { tag: 'injective' }),
    ];
  },
});

defineOp({
  name: 'SpaceToDepth',
  inputs: [1, 1],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const x = ctx.type(0);
    const b = blockSize(ctx, x);
    const [n, c, h, w] = x.shape as [Dim, Dim, Dim, Dim];
    for (const d of [h, w]) if (typeof d === 'number' && d % b !== 0) throw ctx.fail(`spatial dim ${d} is not divisible by blocksize ${b}`);
    const div = (d: Dim): Dim => (typeof d === 'number' ? d / b : unknownDim());
    return [tensorType(x.dtype, [n, mulDim(c, b * b), div(h), div(w)])];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const b = ctx.int('blocksize');
    const cIn = x.shape[1];
    return [
      compute(ctx.outputs[0].shape, (n, c, h, w) => {
        const offset = floordiv(c, cIn);
        return x.at(n, floormod(c, cIn), add(mul(h, b), floordiv(offset, b)), add(mul(w, b), floormod(offset, b)));
      }, 'space_to_depth', { tag: 'injective' }),
    ];
  },
});
