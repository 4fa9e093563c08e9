/**
 * @file The blocked NCHWc convolutions on every target, against the NCHW graph evaluated by the
 * reference interpreter (each op's TE compute, unscheduled, on js): strides, padding, dilation,
 * depthwise, odd channel counts and an input narrower than a block, each with a fused epilogue.
 * The compiled path runs the ops of src/ops/nchwc.ts under the register-tiled schedule of
 * src/strategy/cpu/conv2d-nchwc.ts.
 */

import { describe, expect, it } from 'vitest';
import { attrs, int, ints } from '../../src/graph/attrs.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Graph, Value } from '../../src/graph/graph.js';
import type { HostTensor } from '../../src/graph/tensor.js';
import { tensorOf } from '../../src/graph/tensor.js';
import { printGraph } from '../../src/graph/print.js';
import { tensorType } from '../../src/graph/types.js';
import { inferGraph } from '../../src/passes/graph/index.js';
import { Executor } from '../../src/runtime/executor.js';
import { TARGETS, randomFloats } from '../api/helpers.js';
import { runGraph } from '../passes/graph/interpret.js';

interface ConvCase {
  readonly name: string;
  /** input [N, C, H, W] */
  readonly x: readonly [number, number, number, number];
  readonly cout: number;
  readonly k: number;
  readonly stride?: number;
  readonly pad?: number;
  readonly dilation?: number;
  readonly depthwise?: boolean;
}

const CASES: readonly ConvCase[] = [
  { name: '3×3, 32 → 64, pad 1 (4 blocks a tile on AVX-512)', x: [1, 32, 10, 12], cout: 64, k: 3, pad: 1 },
  { name: '3×3, 16 → 32 over 40 rows (tasks of several rows)', x: [1, 16, 40, 12], cout: 32, k: 3, pad: 1 },
  { name: '3×3 stride 2, 3 → 16 (RGB input)', x: [1, 3, 17, 15], cout: 16, k: 3, stride: 2, pad: 1 },
  { name: '1×1, 24 → 40 (odd blocks)', x: [2, 24, 7, 9], cout: 40, k: 1 },
  { name: '1×1, 32 → 48 (3 blocks a tile on AVX-512)', x: [1, 32, 5, 16], cout: 48, k: 1 },
  { name: '3×3, 8 → 24 over 13 columns (a narrower last tile on wasm)', x: [1, 8, 5, 13], cout: 24, k: 3, pad: 1 },
  { name: '3×3 dilation 2, 18 → 6, pad 2', x: [1, 18, 9, 11], cout: 6, k: 3, dilation: 2, pad: 2 },
  { name: '5×5 no pad, 5 → 7', x: [1, 5, 9, 8], cout: 7, k: 5 },
  { name: 'depthwise 3×3, 48, pad 1', x: [1, 48, 12, 12], cout: 48, k: 3, pad: 1, depthwise: true },
  { name: 'depthwise 5×5 stride 2, 20, pad 2', x: [1, 20, 13, 11], cout: 20, k: 5, stride: 2, pad: 2, depthwise: true },
];

/** conv → hard-swish (x · clip(x + 3, 0, 6) / 6) → 1×1 conv back to the input channels + residual. */
function model(c: ConvCase): Graph {
  const b = new GraphBuilder(new Map([['', 13]]), 'g');
  const x = b.input('x', tensorType('float32', c.x));
  const cin = c.x[1];
  const group = c.depthwise ? cin : 1;
  const w = b.initializer('w', tensorOf('float32', [c.cout, cin / group, c.k, c.k], Array.from(randomFloats((c.cout * cin * c.k * c.k) / group, 5))));
  const bias = b.initializer('b', tensorOf('float32', [c.cout], Array.from(randomFloats(c.cout, 6))));
  const [s, p, d] = [c.stride ?? 1, c.pad ?? 0, c.dilation ?? 1];
  const a = attrs({ kernel_shape: ints([c.k, c.k]), strides: ints([s, s]), pads: ints([p, p, p, p]), dilations: ints([d, d]), group: int(group) });
  const y = b.node('Conv', [x, w, bias], { attrs: a }).outputs[0];
  const scalar = (v: number): Value => b.initializer('', tensorOf('float32', [], [v]));
  const clip = b.node('Clip', [b.node('Add', [y, scalar(3)]).outputs[0], scalar(0), scalar(6)]).outputs[0];
  const hs = b.node('Div', [b.node('Mul', [y, clip]).outputs[0], scalar(6)]).outputs[0];
  const w2 = b.initializer('w2', tensorOf('float32', [c.cout, c.cout, 1, 1], Array.from(randomFloats(c.cout * c.cout, 7))));
  const z = b.node('Conv', [hs, w2], { attrs: attrs({ kernel_shape: ints([1, 1]) }) }).outputs[0];
  return b.build([b.node('Add', [z, hs]).outputs[0]]);
}

async function compiled(g: Graph, target: (typeof TARGETS)[number], feed: HostTensor): Promise<HostTensor> {
  const ex = Executor.create(g, { target, threads: 2 });
  try {
    expect(printGraph((await ex.prepare([feed])).graph)).toMatch(/kiln::(Depthwise)?Conv2dNCHWc/);
    return (await ex.run([feed])).outputs[0];
  } finally {
    await ex.release();
  }
}

/** conv → Concat(y, conv(y), y) on channels → conv: a concatenation of counts that need not fill blocks. */
function concatModel(x: readonly [number, number, number, number]): Graph {
  const b = new GraphBuilder(new Map([['', 13]]), 'g');
  const c = x[1];
  const conv = (v: Value, cin: number, cout: number, seed: number): Value => {
    const w = b.initializer('w', tensorOf('float32', [cout, cin, 3, 3], Array.from(randomFloats(cout * cin * 9, seed))));
    return b.node('Conv', [v, w], { attrs: attrs({ kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) }) }).outputs[0];
  };
  const y = conv(b.input('x', tensorType('float32', x)), c, c, 1);
  const cat = b.node('Concat', [y, conv(y, c, c, 2), y], { attrs: attrs({ axis: int(1) }) }).outputs[0];
  return b.build([conv(cat, 3 * c, 5, 3)]);
}

describe.each(TARGETS)('blocked NCHWc convolutions on %s', (target) => {
  it.each([6, 24])('concatenates %i-channel blocked tensors lane by lane, matching NCHW', async (c) => {
    const dims = [1, c, 6, 10] as const;
    const g = concatModel(dims);
    const feed = tensorOf('float32', dims, Array.from(randomFloats(c * 60, 4)));
    const [[want], got] = [await runGraph(inferGraph(g), [feed]), await compiled(g, target, feed)];
    for (let i = 0; i < want.data.length; i++) expect(Math.abs(Number(got.data[i]) - Number(want.data[i]))).toBeLessThan(1e-4 * (1 + Math.abs(Number(want.data[i]))));
  });

  it.each(CASES)('$name matches NCHW', async (c) => {
    const g = model(c);
    const feed = tensorOf('float32', c.x, Array.from(randomFloats(c.x.reduce((p, q) => p * q, 1), 9)));
    const [[want], got] = [await runGraph(inferGraph(g), [feed]), await compiled(g, target, feed)];
    expect(got.shape).toEqual(want.shape);
    let worst = 0;
    for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(Number(got.data[i]) - Number(want.data[i])) / (1 + Math.abs(Number(want.data[i]))));
    expect(worst).toBeLessThan(1e-4);
  });
});
