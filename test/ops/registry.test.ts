/**
 * @file The registry's surface: which ops exist, their fusion patterns, and the tags their
 * computes carry for strategies to recognize (conv2d, depthwise_conv2d, matmul, pool, …).
 */

import { describe, expect, it } from 'vitest';
import { int, ints } from '../../src/graph/attrs.js';
import { tensorType } from '../../src/graph/types.js';
import { placeholder } from '../../src/te/compute.js';
import { postOrder } from '../../src/te/tensor.js';
import type { TensorType } from '../../src/graph/types.js';
import { computeNode, hasOp, patternOf, registeredOps } from '../../src/ops/index.js';
import type { InferOptions } from './helpers.js';
import { f32, node } from './helpers.js';

/** The tags of the compute stages `op` builds over inputs of the given types. */
function tags(op: string, inputs: readonly TensorType[], opts: InferOptions = {}): string[] {
  const holders = inputs.map((t, k) => placeholder(t.shape as number[], t.dtype, `in${k}`));
  const outs = computeNode(node(op, inputs, opts), 21, holders);
  return postOrder(outs).flatMap((t) => (t.op.kind === 'compute' ? [t.op.tag] : []));
}

describe('registry', () => {
  it('holds the ONNX op set kiln compiles, by family', () => {
    const ops = registeredOps();
    expect(ops.length).toBeGreaterThan(150);
    for (const op of ['Conv', 'ConvTranspose', 'MaxPool', 'Resize', 'Softmax', 'LayerNormalization', 'Attention', 'Einsum', 'GatherND', 'ScatterND', 'TopK', 'QuantizeLinear', 'LRN', 'Col2Im']) {
      expect(ops).toContain(op);
    }
    expect(hasOp({ op: 'Conv', domain: 'com.microsoft' })).toBe(false);
  });

  it('gives each op its fusion pattern', () => {
    const cases: [string, string][] = [
      ['Relu', 'elementwise'],
      ['Add', 'broadcast'],
      ['Reshape', 'injective'],
      ['ReduceSum', 'reduction'],
      ['Conv', 'outEwiseFusable'],
      ['MatMul', 'outEwiseFusable'],
      ['Softmax', 'opaque'],
    ];
    for (const [op, pattern] of cases) expect(patternOf(node(op, [f32(2)])), op).toBe(pattern);
  });

  it('tags the stages strategies look for', () => {
    const x = f32(1, 8, 6, 6);
    expect(tags('Conv', [x, f32(4, 8, 3, 3), f32(4)], { attrs: { pads: ints([1, 1, 1, 1]) } })).toEqual(['pad', 'conv2d', 'broadcast']);
    expect(tags('Conv', [x, f32(8, 1, 3, 3)], { attrs: { group: int(8) } })).toEqual(['depthwise_conv2d']);
    expect(tags('Conv', [x, f32(4, 4, 1, 1)], { attrs: { group: int(2) } })).toEqual(['group_conv2d']);
    expect(tags('ConvTranspose', [x, f32(8, 2, 2, 2)], { attrs: { strides: ints([2, 2]) } })).toEqual(['pad', 'conv2d_transpose']);
    expect(tags('MatMul', [f32(4, 5), f32(5, 6)])).toEqual(['matmul']);
    expect(tags('MatMul', [f32(2, 4, 5), f32(5, 6)])).toEqual(['batch_matmul']);
    expect(tags('Gemm', [f32(4, 5), f32(5, 6), f32(6)])).toEqual(['dense', 'broadcast']);
    expect(tags('MaxPool', [x], { attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) } })).toEqual(['pool']);
    expect(tags('Softmax', [f32(2, 5)])).toEqual(['reduce', 'reduce', 'softmax']);
    expect(tags('Relu', [tensorType('float32', [3])])).toEqual(['elemwise']);
  });
});
