/**
 * @file Col2Im: the inverse of extracting sliding blocks. Input column c·B + b (b the block
 * offset, row-major over block_shape) at block position l (row-major over the block grid) adds
 * into image pixel p = l·stride − pad + b·dilation; each output pixel sums, over the block
 * offsets, the one block position that lands on it, if any.
 */

import type { Expr } from '../ir/expr.js';
import { add, and, constant, eq, floordiv, floormod, ge, lt, mul, select, sub } from '../ir/expr.js';
import { tensorType } from '../graph/types.js';
import { compute, reduceAxis, sum } from '../te/compute.js';
import type { NodeContext } from './context.js';
import { checkDType } from './check.js';
import { defineOp } from './registry.js';
import { ravel, showShape, unknownDim } from './shape.js';

interface Geometry {
  readonly image: readonly number[];
  readonly block: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly pads: readonly number[];
  /** block positions per dim */
  readonly grid: readonly number[];
}

function geometryOf(ctx: NodeContext): Geometry | null {
  const [image, block] = [ctx.constantValues(1), ctx.constantValues(2)];
  if (image === null || block === null) return null;
  const r = image.length;
  if (block.length !== r) throw ctx.fail(`block_shape has ${block.length} dims, image_shape ${r}`);
  const list = (name: string, fill: number, n = r): readonly number[] => {
    const v = ctx.ints(name, new Array<number>(n).fill(fill));
    if (v.length !== n) throw ctx.fail(`${name} has ${v.length} values, expected ${n}`);
    return v;
  };
  const [strides, dilations, pads] = [list('strides', 1), list('dilations', 1), list('pads', 0, 2 * r)];
  const grid = image.map((n, k) => Math.floor((n + pads[k] + pads[k + r] - dilations[k] * (block[k] - 1) - 1) / strides[k]) + 1);
  if (grid.some((g) => g < 1)) throw ctx.fail(`blocks [${block.join(', ')}] do not fit image [${image.join(', ')}]`);
  return { image, block, strides, dilations, pads, grid };
}

defineOp({
  name: 'Col2Im',
  inputs: [3, 3],
  outputs: [1, 1],
  pattern: 'opaque',
  infer(ctx) {
    const x = ctx.type(0);
    checkDType(ctx, x.dtype, 'numeric');
    if (x.shape.length !== 3) throw ctx.fail(`input must be [N, C·B, L], got ${showShape(x.shape)}`);
    const g = geometryOf(ctx);
    if (g === null) {
      const r = ctx.type(1).shape[0];
      if (typeof r !== 'number') throw ctx.fail('the rank of the output is unknown: image_shape has an unknown length');
      return [tensorType(x.dtype, [x.shape[0], unknownDim(), ...Array.from({ length: r }, unknownDim)])];
    }
    const b = g.block.reduce((p, q) => p * q, 1);
    const l = g.grid.reduce((p, q) => p * q, 1);
    const [cb, cl] = [x.shape[1], x.shape[2]];
    if ((typeof cb === 'number' && cb % b !== 0) || (typeof cl === 'number' && cl !== l)) {
      throw ctx.fail(`input ${showShape(x.shape)} does not hold ${b}-element blocks at ${l} positions`);
    }
    return [tensorType(x.dtype, [x.shape[0], typeof cb === 'number' ? cb / b : unknownDim(), ...g.image])];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const g = geometryOf(ctx);
    if (g === null) throw ctx.fail('image_shape and block_shape must be constants');
    const axes = g.block.map((n, k) => reduceAxis(n, `b${k}`));
    const blockSize = g.block.reduce((p, q) => p * q, 1);
    return [
      compute(ctx.outputs[0].shape, (n, c, ...p) => {
        const offsets = p.map((v, k) => sub(add(v, g.pads[k]), mul(axes[k].var, g.dilations[k])));
        const l = offsets.map((o, k) => floordiv(o, g.strides[k]));
        const hits: Expr[] = offsets.flatMap((o, k) => [eq(floormod(o, g.strides[k]), 0), ge(o, 0), lt(l[k], g.grid[k])]);
        const read = x.at(n, add(mul(c, blockSize), ravel(axes.map((a) => a.var), g.block)), ravel(l, g.grid));
        const inside = hits.reduce((a, h) => and(a, h));
        return sum(select(inside, read, constant(0, x.dtype)), axes);
      }, 'col2im', { tag: 'reduce' }),
    ];
  },
});
