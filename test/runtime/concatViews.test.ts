/**
 * @file Concat views end to end (planMemory's `concatViews`): on every available target, models
 * whose Concats have their inputs written straight into their outputs run no Concat kernel and
 * compute what onnxruntime-node computes, and exactly what the out-of-place plan (every Concat a
 * copy) computes; the Concats that must copy (a repeated input, a graph input, a graph output)
 * still do. A wasm model saved with views runs the same after loading.
 */

import { describe, expect, it } from 'vitest';
import type { Outputs } from '../../src/api/index.js';
import { InferenceSession } from '../../src/api/index.js';
import { readModel } from '../../src/api/save.js';
import { SavedSession } from '../../src/api/saved.js';
import { toHostTensor } from '../../src/api/tensor.js';
import { tensorOf } from '../../src/graph/tensor.js';
import { Executor } from '../../src/runtime/executor.js';
import type { ModelSpec, NodeSpec } from '../api/onnx-writer.js';
import { writeModel } from '../api/onnx-writer.js';
import { TARGETS, maxAbsDiff, randomFloats, randomTensor, runOrt } from '../api/helpers.js';

const f32 = (name: string, shape: readonly number[]) => ({ name, dtype: 'float32' as const, shape });
const weight = (name: string, shape: readonly number[], seed: number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  // scaled so activations stay near 1 through a few layers
  return { name, tensor: tensorOf('float32', shape, Array.from(randomFloats(n, seed), (v) => v / Math.sqrt(n / shape[0]))) };
};
const conv = (x: string, w: string, y: string, k = 1): NodeSpec => ({ op: 'Conv', inputs: [x, w], outputs: [y], attrs: { pads: { ints: [k >> 1, k >> 1, k >> 1, k >> 1] } } });
const cat = (inputs: string[], y: string): NodeSpec => ({ op: 'Concat', inputs, outputs: [y], attrs: { axis: { int: 1 } } });
const relu = (x: string, y: string): NodeSpec => ({ op: 'Relu', inputs: [x], outputs: [y] });

const X = [1, 16, 12, 12];

interface Case {
  readonly name: string;
  readonly spec: ModelSpec;
  /** Concat kernels left in the plan */
  readonly concats: number;
}

const CASES: readonly Case[] = [
  {
    // conv → concat → conv, SqueezeNet's fire module; b is also read after the Concat's reader
    name: 'conv → concat → conv',
    concats: 0,
    spec: {
      inputs: [f32('x', X)],
      outputs: [f32('y', [1, 16, 12, 12]), f32('z', [1, 32, 12, 12])],
      initializers: [weight('w1', [16, 16, 3, 3], 1), weight('w2', [32, 16, 1, 1], 2), weight('w3', [16, 48, 1, 1], 3)],
      nodes: [conv('x', 'w1', 'a0', 3), relu('a0', 'a'), conv('x', 'w2', 'b'), cat(['a', 'b'], 'c'), conv('c', 'w3', 'y'), relu('b', 'z')],
    },
  },
  {
    // DenseNet's pattern: each layer's output joined to the Concat of all before it
    name: 'nested concats',
    concats: 0,
    spec: {
      inputs: [f32('x', X)],
      outputs: [f32('y', [1, 16, 12, 12])],
      initializers: [weight('w0', [16, 16, 3, 3], 11), weight('w1', [16, 16, 1, 1], 4), weight('w2', [16, 32, 3, 3], 5), weight('w3', [16, 48, 1, 1], 6)],
      nodes: [
        conv('x', 'w0', 'x1', 3),
        conv('x', 'w1', 'a'),
        cat(['x1', 'a'], 'c1'),
        relu('c1', 'r1'),
        conv('r1', 'w2', 'd', 3),
        cat(['c1', 'd'], 'c2'),
        conv('c2', 'w3', 'y'),
      ],
    },
  },
  {
    // fuseOps puts Relu (and the layout change before it) in the Concat's kernel: no plain
    // Concat is left to drop, and the fused kernel computes as it did
    name: 'a Concat fused with a light producer',
    concats: 1,
    spec: {
      inputs: [f32('x', X)],
      outputs: [f32('y', [1, 16, 12, 12])],
      initializers: [weight('w1', [16, 16, 1, 1], 12), weight('w2', [16, 32, 1, 1], 13)],
      nodes: [conv('x', 'w1', 'a'), relu('x', 'r'), cat(['r', 'a'], 'c'), conv('c', 'w2', 'y')],
    },
  },
  {
    // the same value twice in one Concat needs a copy
    name: 'a repeated input',
    concats: 1,
    spec: {
      inputs: [f32('x', X)],
      outputs: [f32('y', [1, 16, 12, 12])],
      initializers: [weight('w1', [16, 16, 1, 1], 7), weight('w2', [16, 32, 1, 1], 8)],
      nodes: [conv('x', 'w1', 'a'), cat(['a', 'a'], 'c'), conv('c', 'w2', 'y')],
    },
  },
  {
    // a graph input is the caller's array (3-D: no layout change puts a kernel before it; two
    // readers and a reduction before it: nothing fuses with the Concat)
    name: 'a graph input',
    concats: 1,
    spec: {
      inputs: [f32('x', [1, 8, 20])],
      outputs: [f32('y', [1, 16, 20]), f32('z', [1, 16, 20])],
      nodes: [
        { op: 'Softmax', inputs: ['x'], outputs: ['e'], attrs: { axis: { int: 1 } } },
        cat(['x', 'e'], 'c'),
        { op: 'Softmax', inputs: ['c'], outputs: ['y'], attrs: { axis: { int: 1 } } },
        { op: 'Neg', inputs: ['c'], outputs: ['z'] },
      ],
    },
  },
  {
    // a graph output lands in its own array (3-D, parts from reductions: nothing fuses with it)
    name: 'a Concat that is a graph output',
    concats: 1,
    spec: {
      inputs: [f32('x', [1, 8, 20])],
      outputs: [f32('c', [1, 16, 20])],
      nodes: [
        { op: 'Softmax', inputs: ['x'], outputs: ['a'], attrs: { axis: { int: 1 } } },
        { op: 'Softmax', inputs: ['x'], outputs: ['b'], attrs: { axis: { int: 2 } } },
        cat(['a', 'b'], 'c'),
      ],
    },
  },
];

function expectClose(got: Outputs, want: Outputs): void {
  for (const name of Object.keys(want)) {
    const scale = Math.max(...Array.from(want[name].data as Float32Array, Math.abs));
    expect(maxAbsDiff(got[name], want[name]), name).toBeLessThanOrEqual(1e-4 * scale + 1e-5);
  }
}

describe.each(TARGETS)('Concat views on %s', (target) => {
  it.each(CASES)('$name', async ({ spec, concats }) => {
    const model = writeModel(spec);
    const input = spec.inputs[0];
    const feeds = { [input.name]: randomTensor(input.shape as number[], 3) };
    const session = await InferenceSession.create(model, { target, threads: 2, cache: false });
    try {
      const { plan } = await session.executor.prepare([toHostTensor(feeds[input.name])]);
      const ops = plan.steps.map((s) => s.op);
      expect(ops.filter((op) => op.split('+').includes('Concat')), ops.join()).toHaveLength(concats);
      const ours = await session.run(feeds);
      expectClose(ours, await runOrt(model, feeds));
      // the out-of-place plan copies every Concat: the same kernels give the same bits
      const reference = Executor.create(await readModel(model), { target, threads: 2, inPlace: false });
      try {
        const { outputs } = await reference.run([toHostTensor(feeds[input.name])]);
        session.outputNames.forEach((name, k) => expect(Array.from(ours[name].data as Float32Array), name).toEqual(Array.from(outputs[k].data as Float32Array)));
      } finally {
        await reference.release();
      }
    } finally {
      await session.release();
    }
  }, 120_000);
});

describe('a saved model with Concat views', () => {
  it('runs as the session that saved it', async () => {
    const { spec } = CASES[1];
    const session = await InferenceSession.create(writeModel(spec), { target: 'wasm', threads: 2, cache: false });
    try {
      const feeds = { x: randomTensor(X, 5) };
      const want = await session.run(feeds);
      const loaded = await SavedSession.load(await session.serialize());
      try {
        const got = await loaded.run(feeds);
        expect(Array.from(got.y.data as Float32Array)).toEqual(Array.from(want.y.data as Float32Array));
      } finally {
        await loaded.release();
      }
    } finally {
      await session.release();
    }
  }, 120_000);
});
