/**
 * @file Type inference on symbolic shapes: what each op family keeps of a symbol, where it must
 * give up (a fresh unknown dim, shown `?`), and how constant inputs decide shapes.
 */

import { describe, expect, it } from 'vitest';
import { float, int, ints, string } from '../../src/graph/attrs.js';
import { tensorOf } from '../../src/graph/tensor.js';
import '../../src/ops/index.js';
import { f32, infer, inferShown, show, t } from './helpers.js';

const i64 = (...v: (number | bigint)[]) => tensorOf('int64', [v.length], v);
const INT64_MAX = 9223372036854775807n;

describe('broadcasting', () => {
  it('keeps a symbol against 1 and takes the number against a symbol', () => {
    expect(inferShown('Add', [f32('n', 3, 1), f32(1, 4)])).toBe('float32[n, 3, 4]');
    expect(inferShown('Mul', [f32('n'), f32(3)])).toBe('float32[3]');
    expect(inferShown('Sub', [f32('n', 1), f32('n', 5)])).toBe('float32[n, 5]');
  });

  it('gives an unknown dim for two different symbols', () => {
    expect(inferShown('Add', [f32('a', 2), f32('b', 2)])).toBe('float32[?, 2]');
  });

  it('broadcasts the three inputs of Where, and types comparisons as bool', () => {
    expect(inferShown('Where', [t('bool', ['n', 1]), f32(1, 4), f32()])).toBe('float32[n, 4]');
    expect(inferShown('Less', [f32('n', 4), f32(4)])).toBe('bool[n, 4]');
  });
});

describe('convolution and pooling', () => {
  const x = f32('n', 3, 'h', 'w');
  const w = f32(8, 3, 3, 3);

  it('keeps spatial symbols when the window cannot change the size', () => {
    expect(inferShown('Conv', [x, w], { attrs: { pads: ints([1, 1, 1, 1]) } })).toBe('float32[n, 8, h, w]');
    expect(inferShown('Conv', [x, w], { attrs: { auto_pad: string('SAME_UPPER') } })).toBe('float32[n, 8, h, w]');
  });

  it('gives unknown dims when a stride or a shrinking window acts on a symbol', () => {
    expect(inferShown('Conv', [x, w], { attrs: { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) } })).toBe('float32[n, 8, ?, ?]');
    expect(inferShown('Conv', [x, w])).toBe('float32[n, 8, ?, ?]');
  });

  it('computes concrete sizes with strides, dilations and SAME pads', () => {
    const big = f32(1, 3, 224, 224);
    const w7 = f32(64, 3, 7, 7);
    expect(inferShown('Conv', [big, w7], { attrs: { strides: ints([2, 2]), pads: ints([3, 3, 3, 3]) } })).toBe('float32[1, 64, 112, 112]');
    expect(inferShown('Conv', [big, w7], { attrs: { dilations: ints([2, 2]) } })).toBe('float32[1, 64, 212, 212]');
    expect(inferShown('Conv', [f32(1, 3, 7, 7), w7], { attrs: { strides: ints([2, 2]), auto_pad: string('SAME_LOWER') } })).toBe('float32[1, 64, 4, 4]');
  });

  it('infers grouped and depthwise weights and ConvTranspose outputs', () => {
    expect(inferShown('Conv', [f32(1, 32, 8, 8), f32(32, 1, 3, 3)], { attrs: { group: int(32), pads: ints([1, 1, 1, 1]) } })).toBe('float32[1, 32, 8, 8]');
    const attrs = { strides: ints([2, 2]) };
    expect(inferShown('ConvTranspose', [f32(1, 4, 5, 5), f32(4, 6, 2, 2)], { attrs })).toBe('float32[1, 6, 10, 10]');
    expect(inferShown('ConvTranspose', [f32(1, 4, 5, 5), f32(4, 6, 2, 2)], { attrs: { ...attrs, output_shape: ints([11, 11]) } })).toBe('float32[1, 6, 11, 11]');
  });

  it('applies ceil_mode only when the last window starts inside the input', () => {
    const attrs = { kernel_shape: ints([3, 3]), strides: ints([2, 2]), ceil_mode: int(1) };
    expect(inferShown('MaxPool', [f32(1, 1, 6, 6)], { attrs, outputs: 2 })).toBe('float32[1, 1, 3, 3]');
    expect(infer('MaxPool', [f32(1, 1, 6, 6)], { attrs, outputs: 2 }).map(show)).toEqual(['float32[1, 1, 3, 3]', 'int64[1, 1, 3, 3]']);
    expect(inferShown('AveragePool', [f32(1, 1, 5, 5)], { attrs: { ...attrs, pads: ints([1, 1, 1, 1]) } })).toBe('float32[1, 1, 3, 3]');
    expect(inferShown('GlobalAveragePool', [f32('n', 'c', 'h', 'w')])).toBe('float32[n, c, 1, 1]');
  });
});

describe('shapes from constant inputs', () => {
  it('reshapes with 0 and -1, cancelling symbols', () => {
    expect(inferShown('Reshape', [f32('n', 3, 4, 5), null], { constants: [null, i64(0, -1)] })).toBe('float32[n, 60]');
    expect(inferShown('Reshape', [f32('n', 'c'), null], { constants: [null, i64(-1)] })).toBe('float32[?]');
    expect(inferShown('Reshape', [f32('b', 't', 64), null], { constants: [null, i64(0, 0, 8, 8)] })).toBe('float32[b, t, 8, 8]');
    expect(inferShown('Reshape', [f32('b', 't', 64), null], { constants: [null, i64(-1, 64)] })).toBe('float32[?, 64]');
    expect(inferShown('Reshape', [f32('b', 2, 32), null], { constants: [null, i64(-1, 64)] })).toBe('float32[b, 64]');
  });

  it('gives unknown dims of the right rank when the shape is not constant', () => {
    expect(inferShown('Reshape', [f32(2, 6), t('int64', [3])])).toBe('float32[?, ?, ?]');
    expect(inferShown('ConstantOfShape', [t('int64', [2])])).toBe('float32[?, ?]');
    expect(inferShown('Expand', [f32(3, 1), t('int64', [3])])).toBe('float32[?, ?, ?]');
  });

  it('slices a symbolic dim whole but not in part', () => {
    const starts = i64(0);
    expect(inferShown('Slice', [f32('n', 'm'), null, null, null], { constants: [null, starts, i64(INT64_MAX), i64(1)] })).toBe('float32[n, m]');
    expect(inferShown('Slice', [f32('n', 'm'), null, null, null], { constants: [null, i64(1), i64(INT64_MAX), i64(1)] })).toBe('float32[n, ?]');
    expect(inferShown('Slice', [f32(10, 'm'), null, null, null, null], { constants: [null, i64(-1), i64(-INT64_MAX - 1n), i64(0), i64(-3)] })).toBe('float32[4, m]');
  });

  it('splits, expands and tiles by constant values', () => {
    expect(infer('Split', [f32(7, 'n')], { outputs: 3, attrs: { num_outputs: int(3) } }).map(show)).toEqual(['float32[3, n]', 'float32[3, n]', 'float32[1, n]']);
    expect(infer('Split', [f32('n', 6), null], { outputs: 2, attrs: { axis: int(1) }, constants: [null, i64(2, 4)] }).map(show)).toEqual(['float32[n, 2]', 'float32[n, 4]']);
    expect(inferShown('Expand', [f32('n', 1), null], { constants: [null, i64(2, 1, 5)] })).toBe('float32[2, n, 5]');
    expect(inferShown('Tile', [f32('n', 2), null], { constants: [null, i64(1, 3)] })).toBe('float32[n, 6]');
  });

  it('resizes by constant scales or sizes', () => {
    const scales = tensorOf('float32', [4], [1, 1, 2, 2]);
    expect(inferShown('Resize', [f32(1, 3, 10, 20), null, null], { constants: [null, null, scales] })).toBe('float32[1, 3, 20, 40]');
    expect(inferShown('Resize', [f32('n', 'c', 'h', 'w'), null, null], { constants: [null, null, scales] })).toBe('float32[n, c, ?, ?]');
    expect(inferShown('Resize', [f32(1, 3, 10, 20), null, null, null], { constants: [null, null, null, i64(1, 3, 5, 5)] })).toBe('float32[1, 3, 5, 5]');
  });

  it('counts a constant Range and leaves a non-constant one unknown', () => {
    const s = (v: number) => tensorOf('int64', [], [v]);
    expect(inferShown('Range', [t('int64', []), t('int64', []), t('int64', [])], { constants: [s(1), s(10), s(3)] })).toBe('int64[3]');
    expect(inferShown('Range', [t('int64', []), t('int64', []), t('int64', [])])).toBe('int64[?]');
  });
});

describe('layout, reductions and products', () => {
  it('flattens, squeezes, unsqueezes and transposes symbols', () => {
    expect(inferShown('Flatten', [f32('n', 3, 4)])).toBe('float32[n, 12]');
    expect(inferShown('Flatten', [f32('n', 3, 4)], { attrs: { axis: int(0) } })).toBe('float32[1, ?]');
    expect(inferShown('Squeeze', [f32(1, 'n', 1, 3)], { opset: 11 })).toBe('float32[n, 3]');
    expect(inferShown('Unsqueeze', [f32('n', 3), null], { constants: [null, i64(0, -1)] })).toBe('float32[1, n, 3, 1]');
    expect(inferShown('Transpose', [f32('n', 'c', 'h')], { attrs: { perm: ints([0, 2, 1]) } })).toBe('float32[n, h, c]');
    expect(inferShown('Transpose', [f32('n', 'c', 'h')])).toBe('float32[h, c, n]');
    expect(inferShown('DepthToSpace', [f32('n', 8, 'h', 3)], { attrs: { blocksize: int(2) } })).toBe('float32[n, 2, ?, 6]');
  });

  it('concatenates symbols, summing only concrete extents', () => {
    expect(inferShown('Concat', [f32('n', 3), f32('n', 5)], { attrs: { axis: int(1) } })).toBe('float32[n, 8]');
    expect(inferShown('Concat', [f32('n', 'a'), f32('n', 5)], { attrs: { axis: int(-1) } })).toBe('float32[n, ?]');
  });

  it('gathers and reduces around symbols', () => {
    expect(inferShown('Gather', [f32('n', 10, 4), t('int64', [2, 3])], { attrs: { axis: int(1) } })).toBe('float32[n, 2, 3, 4]');
    expect(inferShown('ReduceMean', [f32('n', 't', 64)], { opset: 13, attrs: { axes: ints([-1]), keepdims: int(0) } })).toBe('float32[n, t]');
    expect(inferShown('ReduceSum', [f32('n', 't', 64), null], { constants: [null, i64(1)] })).toBe('float32[n, 1, 64]');
    expect(inferShown('ArgMax', [f32('n', 7)], { attrs: { axis: int(1), keepdims: int(0) } })).toBe('int64[n]');
  });

  it('broadcasts MatMul batch dims and drops promoted 1-d dims', () => {
    expect(inferShown('MatMul', [f32('b', 1, 4, 5), f32(3, 5, 6)])).toBe('float32[b, 3, 4, 6]');
    expect(inferShown('MatMul', [f32(5), f32('b', 5, 6)])).toBe('float32[b, 6]');
    expect(inferShown('MatMul', [f32('m', 5), f32(5)])).toBe('float32[m]');
    expect(inferShown('Gemm', [f32(5, 'm'), f32(7, 5), f32(7)], { attrs: { transA: int(1), transB: int(1) } })).toBe('float32[m, 7]');
    expect(inferShown('Einsum', [f32('b', 4, 5), f32('b', 5, 6)], { attrs: { equation: string('bij,bjk->bik') } })).toBe('float32[b, 4, 6]');
    expect(inferShown('Einsum', [f32(3, 4)], { attrs: { equation: string('ij') } })).toBe('float32[3, 4]');
  });

  it('types the outputs of Shape, Size, Cast and the normalizations', () => {
    expect(inferShown('Shape', [f32('n', 3, 4)])).toBe('int64[3]');
    expect(inferShown('Shape', [f32('n', 3, 4)], { attrs: { start: int(-2) } })).toBe('int64[2]');
    expect(inferShown('Size', [f32('n', 3)])).toBe('int64[]');
    expect(inferShown('Cast', [f32('n')], { attrs: { to: int(7) } })).toBe('int64[n]');
    const ln = infer('LayerNormalization', [f32('b', 't', 8), f32(8), f32(8)], { outputs: 3, attrs: { epsilon: float(1e-5) } });
    expect(ln.map(show)).toEqual(['float32[b, t, 8]', 'float32[b, t, 1]', 'float32[b, t, 1]']);
  });
});
