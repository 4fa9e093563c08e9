/**
 * @file Inputs that decide shapes (src/runtime/freeze.ts): which inputs the executor may
 * specialize on by value, and sessions whose Resize takes its scales, sizes or roi as inputs —
 * each new value compiles its own kernels, and a value that cannot be known stays an error.
 */

import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../../src/api/index.js';
import { readOnnx } from '../../src/frontend/onnx/index.js';
import { freezableInputs } from '../../src/runtime/freeze.js';
import { tensorOf } from '../../src/graph/tensor.js';
import type { ModelSpec } from '../api/onnx-writer.js';
import { writeModel } from '../api/onnx-writer.js';
import { numbers } from '../api/helpers.js';

const f32 = (name: string, shape: readonly (number | string)[]) => ({ name, dtype: 'float32' as const, shape });

/** Resize-13 of a 1x1x2x2 image by the scales input `s`, nearest with asymmetric floor: each pixel repeats. */
const RESIZE_BY_INPUT: ModelSpec = {
  opset: 13,
  inputs: [f32('x', [1, 1, 2, 2]), f32('s', [4])],
  outputs: [f32('y', ['n', 'c', 'h', 'w'])],
  nodes: [
    {
      op: 'Resize',
      inputs: ['x', '', 's'],
      outputs: ['y'],
      attrs: { mode: { string: 'nearest' }, coordinate_transformation_mode: { string: 'asymmetric' }, nearest_mode: { string: 'floor' } },
    },
  ],
};

describe('freezableInputs', () => {
  it('takes a small input that an op reads as a constant, whatever its dtype', () => {
    expect(freezableInputs(readOnnx(writeModel(RESIZE_BY_INPUT)))).toEqual([1]);
  });

  it('follows the values through ops: scales computed from an input', () => {
    const model = writeModel({
      ...RESIZE_BY_INPUT,
      initializers: [{ name: 'two', tensor: tensorOf('float32', [1], [2]) }],
      nodes: [{ op: 'Mul', inputs: ['s', 'two'], outputs: ['s2'] }, { ...RESIZE_BY_INPUT.nodes[0], inputs: ['x', '', 's2'] }],
    });
    expect(freezableInputs(readOnnx(model))).toEqual([1]);
  });

  it('leaves small inputs that are only data, and inputs whose shape alone is read', () => {
    const model = writeModel({
      inputs: [f32('x', [2, 6]), f32('t', [3, 4]), f32('u', [3])],
      outputs: [f32('y', [3, 4]), f32('v', [3])],
      nodes: [
        { op: 'Shape', inputs: ['t'], outputs: ['shape'] },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
        { op: 'Add', inputs: ['u', 'u'], outputs: ['v'] },
      ],
    });
    expect(freezableInputs(readOnnx(model))).toEqual([]);
  });
});

describe('Resize with runtime scales', () => {
  it('compiles per value of the scales and gives each its own shape', async () => {
    const session = await InferenceSession.create(writeModel(RESIZE_BY_INPUT), { target: 'js' });
    const x = new Tensor('float32', [1, 2, 3, 4], [1, 1, 2, 2]);
    const scales = (h: number, w: number): Tensor => new Tensor('float32', [1, 1, h, w], [4]);
    const [a, b] = await Promise.all([session.run({ x, s: scales(2, 1) }), session.run({ x, s: scales(1, 3) })]);
    expect(a.y.dims).toEqual([1, 1, 4, 2]);
    expect(numbers(a.y)).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
    expect(b.y.dims).toEqual([1, 1, 2, 6]);
    expect(numbers(b.y)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    // the first value again: its compile is reused, not confused with the second
    expect(numbers((await session.run({ x, s: scales(2, 1) })).y)).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
  });

  it('rejects scales that are not finite and positive, naming the node', async () => {
    const session = await InferenceSession.create(writeModel(RESIZE_BY_INPUT), { target: 'js' });
    const x = new Tensor('float32', [1, 2, 3, 4], [1, 1, 2, 2]);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(session.run({ x, s: new Tensor('float32', [1, 1, bad, 1], [4]) })).rejects.toThrow(/Resize.*scales/);
    }
  });

  it('rejects sizes that are not positive, naming the node', async () => {
    const model = writeModel({ ...RESIZE_BY_INPUT, inputs: [f32('x', [1, 1, 2, 2]), { name: 'sz', dtype: 'int64', shape: [4] }], nodes: [{ ...RESIZE_BY_INPUT.nodes[0], inputs: ['x', '', '', 'sz'] }] });
    const session = await InferenceSession.create(model, { target: 'js' });
    const x = new Tensor('float32', [1, 2, 3, 4], [1, 1, 2, 2]);
    expect((await session.run({ x, sz: new Tensor('int64', [1n, 1n, 4n, 2n], [4]) })).y.dims).toEqual([1, 1, 4, 2]);
    await expect(session.run({ x, sz: new Tensor('int64', [1n, 1n, -4n, 2n], [4]) })).rejects.toThrow(/Resize.*sizes \[1, 1, -4, 2\] must be positive integers/);
  });

  it('is an error when the scales cannot be known from small inputs', async () => {
    // a scales input of unknown length is not shape data kiln may specialize on
    const model = writeModel({ ...RESIZE_BY_INPUT, inputs: [f32('x', [1, 1, 2, 2]), f32('s', ['k'])] });
    const session = await InferenceSession.create(model, { target: 'js' });
    const run = session.run({ x: new Tensor('float32', [1, 2, 3, 4], [1, 1, 2, 2]), s: new Tensor('float32', [1, 1, 2, 2], [4]) });
    await expect(run).rejects.toThrow(/Resize.*depends on values computed at run time/);
  });
});
