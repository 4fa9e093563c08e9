/**
 * @file Every diagnostic of the op library, asserted exactly: each names the node and its op and
 * says what was expected.
 */

import { describe, expect, it } from 'vitest';
import { float, int, ints, string } from '../../src/graph/attrs.js';
import { tensorOf } from '../../src/graph/tensor.js';
import { tensorType } from '../../src/graph/types.js';
import { compute, placeholder } from '../../src/te/compute.js';
import { computeNode, defineOp, getOp, inferNode, OpError } from '../../src/ops/index.js';
import { f32, infer, node, t } from './helpers.js';

const i64 = (...v: number[]) => tensorOf('int64', [v.length], v);

/** The message `f` throws, after checking it is an OpError. */
function failure(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OpError);
    return (e as Error).message;
  }
  throw new Error('expected an OpError');
}

describe('registry and arity', () => {
  it('names an unknown op, with its domain', () => {
    expect(failure(() => getOp(node('Frobnicate', [])))).toBe('node "n" (Frobnicate): unknown op "Frobnicate"');
    const custom = { ...node('Relu', [f32(2)]), domain: 'com.example' };
    expect(failure(() => getOp(custom))).toBe('node "n" (com.example.Relu): unknown op "com.example.Relu"');
  });

  it('rejects a second definition of an op', () => {
    const relu = getOp(node('Relu', [f32(2)]));
    expect(failure(() => defineOp(relu))).toBe('op "Relu": is defined twice');
  });

  it('checks input and output counts', () => {
    expect(failure(() => infer('Add', [f32(2), f32(2), f32(2)]))).toBe('node "n" (Add): expects 2 inputs, got 3');
    expect(failure(() => infer('Relu', [f32(2)], { outputs: 2 }))).toBe('node "n" (Relu): expects 1 output, got 2');
    expect(failure(() => infer('Conv', [f32(1, 1, 3, 3)]))).toBe('node "n" (Conv): expects 2 to 3 inputs, got 1');
    expect(failure(() => infer('Concat', []))).toBe('node "n" (Concat): expects at least 1 input, got 0');
  });

  it('reports a missing required input and an untyped input', () => {
    expect(failure(() => infer('Conv', [f32(1, 1, 3, 3), null]))).toBe('node "n" (Conv): input 1 is required');
    const n = node('Relu', [f32(2)]);
    expect(failure(() => inferNode(n, 21, [null]))).toBe('node "n" (Relu): input 0 has no type');
  });
});

describe('attributes', () => {
  it('reports a missing required attribute and one of the wrong kind', () => {
    expect(failure(() => infer('Concat', [f32(2)]))).toBe('node "n" (Concat): missing required int attribute "axis"');
    expect(failure(() => infer('Concat', [f32(2)], { attrs: { axis: float(0) } }))).toBe('node "n" (Concat): attribute "axis" is float, expected int');
  });

  it('rejects axes out of range and repeated axes', () => {
    expect(failure(() => infer('Concat', [f32(2, 3)], { attrs: { axis: int(2) } }))).toBe('node "n" (Concat): axis 2 is out of range for rank 2');
    expect(failure(() => infer('Softmax', [f32(2, 3)], { attrs: { axis: int(-3) } }))).toBe('node "n" (Softmax): axis -3 is out of range for rank 2');
    expect(failure(() => infer('Transpose', [f32(2, 3)], { attrs: { perm: ints([1, 1]) } }))).toBe('node "n" (Transpose): axes [1, 1] repeat an axis');
  });

  it('checks convolution groups, pads, strides and kernels', () => {
    const x = f32(1, 8, 5, 5);
    expect(failure(() => infer('Conv', [x, f32(6, 3, 3, 3)], { attrs: { group: int(3) } }))).toBe('node "n" (Conv): group 3 does not divide the 8 input channels');
    expect(failure(() => infer('Conv', [x, f32(4, 4, 3, 3)], { attrs: { group: int(1) } }))).toBe('node "n" (Conv): weights [4, 4, 3, 3] expect 4·1 input channels, got 8');
    expect(failure(() => infer('Conv', [x, f32(4, 8, 3, 3)], { attrs: { pads: ints([-1, 0, 0, 0]) } }))).toBe('node "n" (Conv): pads [-1, 0, 0, 0] must not be negative');
    expect(failure(() => infer('Conv', [x, f32(4, 8, 3, 3)], { attrs: { strides: ints([0, 1]) } }))).toBe('node "n" (Conv): strides [0, 1] must be positive');
    expect(failure(() => infer('Conv', [x, f32(4, 8, 3, 3)], { attrs: { pads: ints([1, 1]) } }))).toBe('node "n" (Conv): pads has 2 values, expected 4');
    expect(failure(() => infer('Conv', [x, f32(4, 8, 3, 3)], { attrs: { kernel_shape: ints([5, 5]) } }))).toBe(
      'node "n" (Conv): kernel_shape [5, 5] does not match the weights\' kernel [3, 3]',
    );
    expect(failure(() => infer('Conv', [x, f32(4, 8, 7, 7)]))).toBe('node "n" (Conv): the window (extent 7) is larger than the padded input (extent 5) in spatial dim 0');
    expect(failure(() => infer('Conv', [x, f32(4, 8, 3, 3)], { attrs: { auto_pad: string('SAME') } }))).toBe(
      'node "n" (Conv): auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got "SAME"',
    );
    expect(failure(() => infer('MaxPool', [x]))).toBe('node "n" (MaxPool): missing required ints attribute "kernel_shape"');
  });

  it('rejects unsupported modes and element types', () => {
    expect(failure(() => infer('Pad', [f32(3), null], { attrs: { mode: string('mirror') }, constants: [null, i64(1, 1)] }))).toBe(
      'node "n" (Pad): mode must be constant, edge, reflect or wrap, got "mirror"',
    );
    expect(failure(() => infer('Cast', [f32(3)], { attrs: { to: int(10) } }))).toBe('node "n" (Cast): to is element type 10, which kiln does not support');
    expect(failure(() => infer('Resize', [f32(1, 1, 2, 2), null, null], { attrs: { antialias: int(1) }, constants: [null, null, tensorOf('float32', [4], [1, 1, 2, 2])] }))).toBe(
      'node "n" (Resize): antialias is not supported',
    );
  });
});

describe('shapes and types', () => {
  it('rejects shapes that do not broadcast', () => {
    expect(failure(() => infer('Add', [f32(2, 3), f32(4)]))).toBe('node "n" (Add): shapes [2, 3], [4] do not broadcast');
    expect(failure(() => infer('MatMul', [f32(2, 3), f32(4, 5)]))).toBe('node "n" (MatMul): inner dims of [2, 3] and [4, 5] differ: 3 vs 4');
  });

  it('rejects mixed and unsupported dtypes', () => {
    expect(failure(() => infer('Add', [f32(2), t('int32', [2])]))).toBe('node "n" (Add): inputs must share one dtype, got float32 and int32');
    expect(failure(() => infer('Exp', [t('int32', [2])]))).toBe('node "n" (Exp): input 0 must have a float type, got int32');
    expect(failure(() => infer('Where', [f32(2), f32(2), f32(2)]))).toBe('node "n" (Where): input 0 (condition) must have a bool type, got float32');
  });

  it('rejects impossible reshapes and splits', () => {
    expect(failure(() => infer('Reshape', [f32(2, 3), null], { constants: [null, i64(4, 2)] }))).toBe('node "n" (Reshape): cannot reshape [2, 3] to [4, 2]');
    expect(failure(() => infer('Reshape', [f32(2, 3), null], { constants: [null, i64(-1, -1)] }))).toBe('node "n" (Reshape): shape [-1, -1] has more than one -1');
    expect(failure(() => infer('Reshape', [f32(2, 3), null], { constants: [null, i64(4, -1)] }))).toBe('node "n" (Reshape): cannot reshape [2, 3] to [4, -1]');
    expect(failure(() => infer('Split', [f32(7)], { outputs: 2 }))).toBe('node "n" (Split): 7 does not split into 2 equal parts');
    expect(failure(() => infer('Squeeze', [f32(2, 3), null], { constants: [null, i64(0)] }))).toBe('node "n" (Squeeze): cannot squeeze axis 0 of extent 2');
  });

  it('needs shape inputs to be constant when building computes', () => {
    const x = placeholder([2, 6], 'float32', 'x');
    const s = placeholder([2], 'int64', 's');
    const n = node('Reshape', [f32(2, 6), t('int64', [2])]);
    expect(failure(() => computeNode(n, 21, [x, s]))).toMatch(/^node "n" \(Reshape\): output 0 has shape float32\[.*\] that the inputs do not decide: its shape inputs must be constant$/);
    const sl = node('Slice', [f32(2, 6), t('int64', [1]), t('int64', [1])]);
    expect(failure(() => computeNode(sl, 21, [x, s, s]))).toMatch(/^node "n" \(Slice\): output 0 has shape/);
  });

  it('catches a compute that disagrees with its inference', () => {
    defineOp({
      name: 'TestMismatch',
      inputs: [1, 1],
      outputs: [1, 1],
      pattern: 'opaque',
      infer: (ctx) => [tensorType('float32', ctx.type(0).shape)],
      compute: (ctx) => [compute([1], () => ctx.input(0).at(0), 'bad')],
    });
    const x = placeholder([3], 'float32', 'x');
    expect(failure(() => computeNode(node('TestMismatch', [f32(3)]), 21, [x]))).toBe('node "n" (TestMismatch): compute gives float32[1] for output 0, inference gives float32[3]');
  });

  it('names the node when the IR rejects what an op builds', () => {
    defineOp({
      name: 'TestBadIndex',
      inputs: [1, 1],
      outputs: [1, 1],
      pattern: 'opaque',
      infer: (ctx) => [ctx.type(0)],
      compute: (ctx) => [compute([2, 2], (i) => ctx.input(0).at(i), 'bad')],
    });
    const x = placeholder([2, 2], 'float32', 'x');
    expect(failure(() => computeNode(node('TestBadIndex', [f32(2, 2)]), 21, [x]))).toBe('node "n" (TestBadIndex): TensorError: x: indexed with 1 indices, has 2 dimensions');
  });

  it('refuses to compile a Constant and Dropout in training mode', () => {
    const c = node('Constant', [], { attrs: { value_float: float(1) } });
    expect(inferNode(c, 21, []).map((ty) => ty.shape)).toEqual([[]]);
    expect(failure(() => computeNode(c, 21, []))).toBe('node "n" (Constant): a Constant is data, not a kernel: the frontend turns it into an initializer');
    const training = tensorOf('bool', [], [1]);
    expect(failure(() => infer('Dropout', [f32(3), null, null], { constants: [null, null, training] }))).toBe('node "n" (Dropout): training mode (random dropping) is not supported');
  });
});
