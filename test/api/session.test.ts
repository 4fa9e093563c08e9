/**
 * @file InferenceSession end to end: small models written in the test, run by kiln on every
 * available target and by onnxruntime-node on the same feeds, outputs compared. Also the parts of
 * the session contract that are kiln's own: shape specialization (new shapes compile, old ones
 * reuse), outputs that no kernel writes, concurrent runs and release.
 */

import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../../src/api/index.js';
import { toHostTensor } from '../../src/api/tensor.js';
import { tensorOf } from '../../src/graph/tensor.js';
import type { ModelSpec } from './onnx-writer.js';
import { writeModel } from './onnx-writer.js';
import { TARGETS, maxAbsDiff, numbers, randomFloats, randomTensor, runOrt } from './helpers.js';

const f32 = (name: string, shape: readonly (number | string)[]) => ({ name, dtype: 'float32' as const, shape });

const ADD_RELU: ModelSpec = {
  inputs: [f32('x', ['batch', 35])],
  outputs: [f32('y', ['batch', 35])],
  initializers: [{ name: 'b', tensor: tensorOf('float32', [35], Array.from(randomFloats(35, 7))) }],
  nodes: [
    { op: 'Add', inputs: ['x', 'b'], outputs: ['t'] },
    { op: 'Relu', inputs: ['t'], outputs: ['y'] },
  ],
};

const CONV: ModelSpec = {
  inputs: [f32('image', [1, 3, 9, 9])],
  outputs: [f32('features', [1, 4, 5, 5])],
  initializers: [
    { name: 'w', tensor: tensorOf('float32', [4, 3, 3, 3], Array.from(randomFloats(108, 3))) },
    { name: 'bias', tensor: tensorOf('float32', [4], [0.5, -0.5, 0.25, 0]) },
  ],
  nodes: [
    { op: 'Conv', inputs: ['image', 'w', 'bias'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] }, strides: { ints: [2, 2] } } },
    { op: 'Sigmoid', inputs: ['c'], outputs: ['s'] },
    { op: 'Mul', inputs: ['c', 's'], outputs: ['features'] },
  ],
};

const RESHAPE: ModelSpec = {
  inputs: [f32('x', [2, 3, 4])],
  outputs: [f32('y', [4, 6]), f32('z', [2, 12])],
  initializers: [{ name: 'shape', tensor: tensorOf('int64', [2], [4, 6]) }],
  nodes: [
    { op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: { ints: [2, 0, 1] } } },
    { op: 'Reshape', inputs: ['xt', 'shape'], outputs: ['r'] },
    { op: 'Constant', inputs: [], outputs: ['two'], attrs: { value: { tensor: tensorOf('float32', [], [2]) } } },
    { op: 'Mul', inputs: ['r', 'two'], outputs: ['y'] },
    { op: 'Flatten', inputs: ['x'], outputs: ['z'], attrs: { axis: { int: 1 } } },
  ],
};

const MLP: ModelSpec = {
  inputs: [f32('x', ['batch', 32])],
  outputs: [f32('y', ['batch', 10]), f32('parts', ['batch', 4])],
  initializers: [
    { name: 'w1', tensor: tensorOf('float32', [32, 48], Array.from(randomFloats(32 * 48, 11))) },
    { name: 'b1', tensor: tensorOf('float32', [48], Array.from(randomFloats(48, 12))) },
    { name: 'w2', tensor: tensorOf('float32', [10, 48], Array.from(randomFloats(480, 13))) },
    { name: 'split', tensor: tensorOf('int64', [2], [4, 6]) },
  ],
  nodes: [
    { op: 'MatMul', inputs: ['x', 'w1'], outputs: ['h'] },
    { op: 'Add', inputs: ['h', 'b1'], outputs: ['hb'] },
    { op: 'Relu', inputs: ['hb'], outputs: ['a'] },
    { op: 'Gemm', inputs: ['a', 'w2'], outputs: ['logits'], attrs: { transB: { int: 1 }, alpha: { float: 0.5 } } },
    { op: 'Softmax', inputs: ['logits'], outputs: ['y'], attrs: { axis: { int: 1 } } },
    { op: 'Split', inputs: ['logits', 'split'], outputs: ['parts', 'rest'], attrs: { axis: { int: 1 } } },
  ],
};

describe.each(TARGETS)('InferenceSession on %s', (target) => {
  it.each([
    ['add + relu, symbolic batch', ADD_RELU, { x: [3, 35] }],
    ['conv + swish', CONV, { image: [1, 3, 9, 9] }],
    ['transpose, reshape by a constant, constant node, flatten', RESHAPE, { x: [2, 3, 4] }],
    ['matmul, gemm, softmax, split with an unused output', MLP, { x: [16, 32] }],
  ] as const)('%s matches onnxruntime', async (_, spec, shapes) => {
    const model = writeModel(spec);
    const feeds = Object.fromEntries(Object.entries(shapes as Readonly<Record<string, readonly number[]>>).map(([name, dims], k) => [name, randomTensor(dims, k + 1)]));
    const session = await InferenceSession.create(model, { target, threads: 2 });
    try {
      const [ours, ref] = await Promise.all([session.run(feeds), runOrt(model, feeds)]);
      expect(Object.keys(ours)).toEqual(session.outputNames);
      for (const name of session.outputNames) expect(maxAbsDiff(ours[name], ref[name])).toBeLessThan(1e-5);
    } finally {
      await session.release();
    }
  });

  it('compiles once per shape signature and runs new shapes', async () => {
    const session = await InferenceSession.create(writeModel(ADD_RELU), { target });
    const a = randomTensor([2, 35], 1);
    const b = randomTensor([5, 35], 2);
    const [ra, rb] = await Promise.all([session.run({ x: a }), session.run({ x: b })]);
    const again = await session.run({ x: a });
    expect(ra.y.dims).toEqual([2, 35]);
    expect(rb.y.dims).toEqual([5, 35]);
    expect(numbers(again.y)).toEqual(numbers(ra.y));
    // the first result is not overwritten by later runs
    expect(ra.y.data).not.toBe(again.y.data);
    const g1 = await session.executor.prepare([toHostTensor(a)]);
    const g2 = await session.executor.prepare([toHostTensor(randomTensor([2, 35], 3))]);
    expect(g1.source).toBe(g2.source);
    await session.release();
  });

  it('writes outputs into caller-owned fetches, run after run', async () => {
    const model = writeModel(MLP);
    const session = await InferenceSession.create(model, { target, threads: 2 });
    try {
      const yData = new Float32Array(16 * 10).fill(Number.NaN);
      const y = new Tensor('float32', yData, [16, 10]);
      for (const seed of [1, 2]) {
        const feeds = { x: randomTensor([16, 32], seed) };
        const [ours, ref] = await Promise.all([session.run(feeds, { y }), runOrt(model, feeds)]);
        expect(ours.y.data).toBe(y.data);
        expect(maxAbsDiff(y, ref.y)).toBeLessThan(1e-5);
        // outputs not fetched still come in new arrays
        expect(maxAbsDiff(ours.parts, ref.parts)).toBeLessThan(1e-5);
      }
      // a profiled run writes into fetches too
      yData.fill(Number.NaN);
      const feeds = { x: randomTensor([16, 32], 3) };
      const [profiled, ref] = await Promise.all([session.runWithProfile(feeds, { y }), runOrt(model, feeds)]);
      expect(profiled.outputs.y.data).toBe(y.data);
      expect(maxAbsDiff(y, ref.y)).toBeLessThan(1e-5);
      expect(profiled.kernels.length).toBeGreaterThan(0);
    } finally {
      await session.release();
    }
  });
});

describe('InferenceSession outputs and lifetime', () => {
  it('returns graph inputs, constants and repeated outputs as copies, under any name', async () => {
    const model = writeModel({
      inputs: [f32('x', [2])],
      outputs: [f32('x', [2]), f32('c', [2]), f32('y', [2]), f32('y', [2]), f32('__proto__', [2])],
      initializers: [{ name: 'c', tensor: tensorOf('float32', [2], [7, 8]) }],
      nodes: [
        { op: 'Neg', inputs: ['x'], outputs: ['y'] },
        { op: 'Abs', inputs: ['y'], outputs: ['__proto__'] },
      ],
    });
    const session = await InferenceSession.create(model, { target: 'js' });
    const x = new Tensor('float32', [1, 2], [2]);
    const out = await session.run({ x });
    expect(session.outputNames).toEqual(['x', 'c', 'y', '__proto__']);
    // a model's output may be named `__proto__`: it is an own key, not the record's prototype
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    const own = Object.getOwnPropertyDescriptor(out, '__proto__')?.value as Tensor | undefined;
    expect(numbers(own)).toEqual([1, 2]);
    expect(numbers(out.x)).toEqual([1, 2]);
    expect(out.x.data).not.toBe(x.data);
    expect(numbers(out.c)).toEqual([7, 8]);
    expect(numbers(out.y)).toEqual([-1, -2]);
  });

  it('copies graph inputs and constants into fetches, and refuses fetches that do not fit', async () => {
    const model = writeModel({
      inputs: [f32('x', [2])],
      outputs: [f32('x', [2]), f32('c', [2]), f32('y', [2]), f32('y', [2])],
      initializers: [{ name: 'c', tensor: tensorOf('float32', [2], [7, 8]) }],
      nodes: [{ op: 'Neg', inputs: ['x'], outputs: ['y'] }],
    });
    const session = await InferenceSession.create(model, { target: 'js' });
    const x = new Tensor('float32', [1, 2], [2]);
    const fetches = { x: new Tensor('float32', [0, 0], [2]), c: new Tensor('float32', [0, 0], [2]), y: new Tensor('float32', [0, 0], [2]) };
    const out = await session.run({ x }, fetches);
    expect(out.x.data).toBe(fetches.x.data);
    expect([numbers(fetches.x), numbers(fetches.c), numbers(fetches.y)]).toEqual([
      [1, 2],
      [7, 8],
      [-1, -2],
    ]);
    await expect(session.run({ x }, { z: new Tensor('float32', [0, 0], [2]) })).rejects.toThrow('fetch "z": the model has no output of that name');
    await expect(session.run({ x }, { y: new Tensor('float32', [0, 0, 0], [3]) })).rejects.toThrow('has shape [3], the output has [2]');
    await expect(session.run({ x }, { y: new Tensor('int32', [0, 0], [2]) })).rejects.toThrow('is int32, the output is float32');
    await expect(session.run({ x }, { y: new Tensor('float32', x.data as Float32Array, [2]) })).rejects.toThrow('shares memory with a feed');
  });

  it('accepts onnxruntime tensors as feeds', async () => {
    const { Tensor: OrtTensor } = await import('onnxruntime-node');
    const session = await InferenceSession.create(writeModel(ADD_RELU), { target: 'js' });
    const out = await session.run({ x: new OrtTensor('float32', randomFloats(35, 1), [1, 35]) });
    expect(out.y.dims).toEqual([1, 35]);
  });

  it('specializes on the values of small integer inputs that decide shapes', async () => {
    const model = writeModel({
      inputs: [f32('x', [2, 6]), { name: 'shape', dtype: 'int64', shape: [2] }],
      outputs: [f32('y', ['a', 'b'])],
      nodes: [{ op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] }],
    });
    const session = await InferenceSession.create(model, { target: 'js' });
    const x = new Tensor('float32', Array.from({ length: 12 }, (_, i) => i), [2, 6]);
    const [a, b] = await Promise.all([[3n, 4n], [12n, 1n]].map((dims) => session.run({ x, shape: new Tensor('int64', dims, [2]) })));
    expect(a.y.dims).toEqual([3, 4]);
    expect(b.y.dims).toEqual([12, 1]);
    expect(numbers(b.y)).toEqual(numbers(x));
  });

  it('refuses to run after release', async () => {
    const session = await InferenceSession.create(writeModel(ADD_RELU), { target: 'js' });
    await session.run({ x: randomTensor([1, 35], 1) });
    await session.release();
    await expect(session.run({ x: randomTensor([1, 35], 1) })).rejects.toThrow('run: the session was released');
  });
});
