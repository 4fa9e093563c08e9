/**
 * @file The blocked NCHWc convolution schedule: its knobs per target and shape, and the
 * primitives it applies (printed steps), each test stating its rule. Numbers on every target are
 * checked in test/runtime/nchwc.test.ts.
 */

import { describe, expect, it } from 'vitest';
import type { TargetInfo } from '../../../src/codegen/target.js';
import { attrs, ints } from '../../../src/graph/attrs.js';
import { makeNode, value } from '../../../src/graph/graph.js';
import { tensorType } from '../../../src/graph/types.js';
import { computeNode } from '../../../src/ops/index.js';
import { defaultSchedule } from '../../../src/runtime/schedule.js';
import { printSchedule } from '../../../src/schedule/index.js';
import { defaultBlockedConvKnobs } from '../../../src/strategy/cpu/conv2d-nchwc.js';
import type { Tensor } from '../../../src/te/index.js';
import { compute, max, placeholder } from '../../../src/te/index.js';

const AVX512: TargetInfo = { name: 'test', vectorBits: 512, cores: 2, l1Bytes: 49152, l2Bytes: 1 << 20, l3Bytes: 32 << 20, threads: true, sharedMemory: false };
const SIMD128: TargetInfo = { ...AVX512, vectorBits: 128 };

/** relu(Conv2dNCHWc(x, w)) over x [1, cb, h, w, 16] with 3×3 weights for `mb` output blocks. */
function blockedConv(cb: number, h: number, w: number, mb: number): Tensor {
  const [xs, ws] = [[1, cb, h, w, 16], [mb, cb, 3, 3, 16, 16]];
  const node = makeNode({
    op: 'Conv2dNCHWc',
    domain: 'kiln',
    inputs: [value('x', tensorType('float32', xs)), value('w', tensorType('float32', ws))],
    outputs: [value('y', null)],
    attrs: attrs({ strides: ints([1, 1]), pads: ints([1, 1, 1, 1]), dilations: ints([1, 1]) }),
  });
  const [y] = computeNode(node, 13, [placeholder(xs, 'float32', 'x'), placeholder(ws, 'float32', 'w')], () => null);
  return compute(y.shape, (...i) => max(y.at(...i), 0), 'relu', { tag: 'elementwise' });
}

describe('defaultBlockedConvKnobs', () => {
  it('picks the tile with the most multiply-adds per load within the accumulators', () => {
    // Rule: AVX-512 keeps 24 accumulators: 2 blocks × 10 columns (the largest divisor of 160 ≤ 12);
    // tasks of 8 rows leave 20 tasks, at least 4 per core.
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 2, 160, 160, 16], depthwise: false })).toEqual({ owb: 10, mbb: 2, taskRows: 8, padRows: true });
    // 3 blocks: 3 × 8 (24 FMAs for 11 loads) beats 1 × 10; 4 blocks: 4 × 5 beats 2 × 10
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 3, 160, 160, 16], depthwise: false })).toMatchObject({ owb: 8, mbb: 3 });
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 4, 160, 160, 16], depthwise: false })).toMatchObject({ owb: 5, mbb: 4 });
    // an odd block count: one block, up to 14 columns; 20 rows make tasks of 2 rows
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 23, 20, 20, 16], depthwise: false })).toEqual({ owb: 10, mbb: 1, taskRows: 2, padRows: true });
    // WebAssembly's 8 accumulators: 2 blocks × 4 columns; depthwise is always one block
    expect(defaultBlockedConvKnobs(SIMD128, { out: [1, 4, 40, 40, 4], depthwise: false })).toEqual({ owb: 4, mbb: 2, taskRows: 5, padRows: true });
    expect(defaultBlockedConvKnobs(SIMD128, { out: [1, 4, 40, 40, 4], depthwise: true })).toEqual({ owb: 8, mbb: 1, taskRows: 5, padRows: true });
  });
});

describe('scheduleBlocked', () => {
  it('accumulates a register tile of columns × channel-block vectors, padding rows per task', () => {
    // Rule: the accumulators are a 'local' cache of the convolution computed at the tile loop,
    // reduce loops outside the unrolled tile and the vectorized lanes; the padded input is built
    // per task of rows; the epilogue (relu, axes i…m = n, mb, oh, ow, co) writes the tile from
    // registers.
    const steps = printSchedule(defaultSchedule([blockedConv(3, 16, 20, 2)], AVX512)).split('\n');
    expect(steps).toEqual([
      'pad: computeInline()',
      'conv2d_nchwc: cacheWrite(local) -> conv2d_nchwc.local',
      'conv2d_nchwc: computeInline()',
      'relu: split(k, factor=2) -> k.outer, k.inner',
      'relu: split(j, factor=2) -> j.outer, j.inner',
      'relu: split(l, factor=10) -> l.outer, l.inner',
      'relu: reorder(i, k.outer, k.inner, j.outer, l.outer, j.inner, l.inner, m)',
      'relu: vectorize(m)',
      'relu: parallel(k.outer)',
      'conv2d_nchwc.local: computeAt(relu, l.outer)',
      'conv2d_nchwc.local: reorder(rcb, ry, rx, rci, n, mb, oh, ow, co)',
      'conv2d_nchwc.local: unroll(mb)',
      'conv2d_nchwc.local: unroll(ow)',
      'conv2d_nchwc.local: vectorize(co)',
      'pad: computeAt(relu, k.outer)',
      'pad: vectorize(m)',
    ]);
  });

  it('declines stages that are not blocked convolutions', () => {
    // Rule: an NCHW reduction gets the default loops, no cacheWrite of a blocked tile.
    const x = placeholder([4, 64], 'float32', 'x');
    const y = compute([4, 64], (i, j) => max(x.at(i, j), 0), 'y');
    expect(printSchedule(defaultSchedule([y], AVX512))).not.toContain('cacheWrite');
  });
});
