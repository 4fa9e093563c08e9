/**
 * @file The blocked convolution's reduction in chunks of input-channel blocks (rfactor, partial
 * sums per column chunk, src/strategy/cpu/conv2d-nchwc.ts) computes what the unscheduled
 * program computes, on every available target: chunks of one and two blocks, column chunks of
 * one and several tiles, stride 2, with and without a fused epilogue; and parallel tasks that
 * split output-channel blocks as well as rows (`splitBlocks`), chunked or not.
 */

import { describe, expect, it } from 'vitest';
import { buildKernel } from '../../../src/codegen/build.js';
import type { TargetInfo } from '../../../src/codegen/target.js';
import { attrs, ints } from '../../../src/graph/attrs.js';
import { makeNode, value } from '../../../src/graph/graph.js';
import { tensorType } from '../../../src/graph/types.js';
import { computeNode } from '../../../src/ops/index.js';
import type { Schedule } from '../../../src/schedule/index.js';
import { createSchedule } from '../../../src/schedule/index.js';
import type { BlockedConvKnobs } from '../../../src/strategy/cpu/conv2d-nchwc.js';
import { scheduleBlockedConv } from '../../../src/strategy/cpu/conv2d-nchwc.js';
import type { Tensor } from '../../../src/te/index.js';
import { compute, max, placeholder } from '../../../src/te/index.js';
import { TARGETS, randomFloats } from '../../api/helpers.js';

const LANES = 4;
const INFO: TargetInfo = { name: 'test', vectorBits: 128, cores: 2, l1Bytes: 49152, l2Bytes: 1 << 20, l3Bytes: 32 << 20, threads: true, sharedMemory: false };

interface Program {
  readonly inputs: Tensor[];
  readonly conv: Tensor;
  readonly out: Tensor;
}

/** Conv2dNCHWc over x [1, cb, h, w, 4] with 3×3 weights for `mb` blocks, pad 1, and a ReLU when `relu`. */
function program(cb: number, h: number, w: number, mb: number, stride: number, relu: boolean): Program {
  const [xs, ws] = [[1, cb, h, w, LANES], [mb, cb, 3, 3, LANES, LANES]];
  const node = makeNode({
    op: 'Conv2dNCHWc',
    domain: 'kiln',
    inputs: [value('x', tensorType('float32', xs)), value('w', tensorType('float32', ws))],
    outputs: [value('y', null)],
    attrs: attrs({ strides: ints([stride, stride]), pads: ints([1, 1, 1, 1]), dilations: ints([1, 1]) }),
  });
  const inputs = [placeholder(xs, 'float32', 'x'), placeholder(ws, 'float32', 'w')];
  const [conv] = computeNode(node, 13, inputs, () => null);
  const out = relu ? compute(conv.shape, (...i) => max(conv.at(...i), 0), 'relu', { tag: 'elementwise' }) : conv;
  return { inputs, conv, out };
}

function scheduled(p: Program, knobs: BlockedConvKnobs): Schedule {
  const s = createSchedule([p.out]);
  scheduleBlockedConv(s, p.conv, p.out, knobs, INFO);
  return s;
}

async function run(target: (typeof TARGETS)[number], s: Schedule, p: Program, data: Float32Array[]): Promise<Float32Array> {
  const kernel = await buildKernel(s, [...p.inputs, p.out], { target, threads: 2 });
  const result = new Float32Array(p.out.shape.reduce((a, b) => a * b, 1));
  kernel.run([...data, result]);
  kernel.dispose();
  return result;
}

const CASES: [string, Parameters<typeof program>, BlockedConvKnobs][] = [
  ['chunks of 1 block, 2 tiles a column chunk, ReLU', [3, 6, 12, 4, 1, true], { owb: 3, mbb: 2, taskRows: 2, padRows: true, rcbChunk: 1, owc: 6 }],
  ['chunks of 2 blocks, the whole row one column chunk', [4, 5, 8, 2, 1, false], { owb: 4, mbb: 1, taskRows: 5, padRows: true, rcbChunk: 2, owc: 8 }],
  ['stride 2, chunks of 1 block, one tile a column chunk', [2, 9, 11, 2, 2, true], { owb: 2, mbb: 2, taskRows: 1, padRows: false, rcbChunk: 1, owc: 2 }],
  ['tasks of rows × blocks, chunked, the padded input built once', [3, 5, 6, 6, 1, true], { owb: 3, mbb: 2, taskRows: 1, padRows: true, rcbChunk: 1, owc: 6, splitBlocks: true }],
  ['tasks of rows × blocks, one chunk', [2, 7, 7, 4, 2, false], { owb: 4, mbb: 2, taskRows: 2, padRows: true, splitBlocks: true }],
];

describe.each(TARGETS)('blocked convolution with a chunked reduction on %s', (target) => {
  it.each(CASES)('%s', async (_, args, knobs) => {
    const p = program(...args);
    const data = p.inputs.map((t, k) => randomFloats(t.shape.reduce((a, b) => a * b, 1), k + 1));
    const expected = await run(target, createSchedule([p.out]), p, data);
    const actual = await run(target, scheduled(p, knobs), p, data);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });
});
