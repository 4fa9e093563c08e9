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
    // 3 blocks: 3 × 8 (24 FMAs for 11 loads) beats 1 × 10; 4 blocks: 2 × 10, as 4 × 5 spills on AVX-512
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 3, 160, 160, 16], depthwise: false })).toMatchObject({ owb: 8, mbb: 3 });
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 4, 160, 160, 16], depthwise: false })).toMatchObject({ owb: 10, mbb: 2 });
    // an odd block count: one block, up to 14 columns; 20 rows make tasks of 2 rows
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 23, 20, 20, 16], depthwise: false })).toEqual({ owb: 10, mbb: 1, taskRows: 2, padRows: true });
    // WebAssembly's 8 accumulators: 2 blocks × 4 columns; depthwise is always one block
    expect(defaultBlockedConvKnobs(SIMD128, { out: [1, 4, 40, 40, 4], depthwise: false })).toEqual({ owb: 4, mbb: 2, taskRows: 5, padRows: true });
    expect(defaultBlockedConvKnobs(SIMD128, { out: [1, 4, 40, 40, 4], depthwise: true })).toEqual({ owb: 8, mbb: 1, taskRows: 5, padRows: false });
    // 28 accumulators on AVX-512: 2 blocks × 14 columns where 14 divides the width
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 32, 28, 28, 16], depthwise: false })).toMatchObject({ owb: 14, mbb: 2 });
  });

  it('keeps AVX-512 tiles to what GCC holds in registers: four blocks only across a whole row, three up to 24 accumulators', () => {
    // Rule: 4 × 7 spilled at 28² (2 × 14 instead) but not where the 7 columns are the row;
    // 3 blocks at 13 columns take 3 × 8 with a narrower last tile (3 × 9 spilled), unchunked;
    // a target named wasm keeps its 4 × 7.
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 32, 7, 7, 16], depthwise: false })).toMatchObject({ owb: 7, mbb: 4 });
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 8, 56, 56, 16], depthwise: false })).toMatchObject({ owb: 14, mbb: 2 });
    const wide = defaultBlockedConvKnobs(AVX512, { out: [1, 63, 13, 13, 16], depthwise: false, reduce: [32, 1, 1, 16] });
    expect(wide).toMatchObject({ owb: 8, mbb: 3 });
    expect(wide).not.toHaveProperty('rcbChunk');
    expect(defaultBlockedConvKnobs({ ...AVX512, name: 'wasm' }, { out: [1, 32, 28, 28, 16], depthwise: false })).toMatchObject({ owb: 7, mbb: 4 });
  });

  it('gives AVX-512 a narrower last tile only where the dividing tile is at most a few columns', () => {
    // Rule: 111 columns divide into 3s: 2 × 14 (7 tiles of 14, one of 13) loads under half as
    // much per multiply-add as 1 × 3; 55 columns keep 2 × 11, near 2 × 14's rate.
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 4, 111, 111, 16], depthwise: false })).toMatchObject({ owb: 14, mbb: 2 });
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 4, 55, 55, 16], depthwise: false })).toMatchObject({ owb: 11, mbb: 2 });
  });

  it('lets the last tile of a row be narrower on WebAssembly where the width has only small divisors', () => {
    // Rule: 13 columns divide only into 1 × 1 tiles within 8 accumulators; 2 × 4 (4 + 4 + 4 + 1
    // columns) loads 21 times per 26 multiply-adds instead of twice per one. 7 columns: 1 × 7 →
    // 2 × 4 (4 + 3). Where the divisors are good (40: 2 × 4) nothing changes.
    const WASM = { ...SIMD128, name: 'wasm' };
    expect(defaultBlockedConvKnobs(WASM, { out: [1, 250, 13, 13, 4], depthwise: false })).toMatchObject({ owb: 4, mbb: 2 });
    expect(defaultBlockedConvKnobs(WASM, { out: [1, 32, 7, 7, 4], depthwise: false })).toMatchObject({ owb: 4, mbb: 2 });
    expect(defaultBlockedConvKnobs(WASM, { out: [1, 4, 40, 40, 4], depthwise: false })).toMatchObject({ owb: 4, mbb: 2 });
    // depthwise: one block, up to 8 columns (13 → 1 × 8, 8 + 5)
    expect(defaultBlockedConvKnobs(WASM, { out: [1, 4, 13, 13, 4], depthwise: true })).toMatchObject({ owb: 8, mbb: 1 });
    // x86 folds the broadcast into the FMA: the dividing tile stays (13 on AVX-512: 2 × 13)
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 16, 13, 13, 16], depthwise: false })).toMatchObject({ owb: 13, mbb: 2 });
  });

  it('splits output-channel blocks across tasks when rows alone are too few for the cores', () => {
    // Rule: 7 rows make 7 one-row tasks, under 4 per core on 2 cores: tasks of mbb blocks too
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 32, 7, 7, 16], depthwise: false })).toMatchObject({ taskRows: 1, mbb: 4, splitBlocks: true });
    // one core, or a single block group, keeps whole rows
    expect(defaultBlockedConvKnobs({ ...AVX512, cores: 1 }, { out: [1, 32, 7, 7, 16], depthwise: false })).not.toHaveProperty('splitBlocks');
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 4, 7, 7, 16], depthwise: false })).not.toHaveProperty('splitBlocks');
  });

  it('chunks the channel reduction when the weight panel of a tile outgrows half of L1', () => {
    // Rule: 4 blocks × 3×3 × 16×16 lanes is 36 KiB a block of input channels, over 24 KiB: chunks
    // of one block, the 28 columns (7 KiB of accumulators) one column chunk.
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 32, 28, 28, 16], depthwise: false, reduce: [32, 3, 3, 16] })).toMatchObject({ rcbChunk: 1, owc: 28 });
    // 1×1 over 128 blocks: 4 KiB a block, chunks of 4 (the largest divisor of 128 within 6)
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 32, 7, 7, 16], depthwise: false, reduce: [128, 1, 1, 16] })).toMatchObject({ rcbChunk: 4, owc: 7 });
    // 224 columns × 2 blocks is 28 KiB of accumulators: column chunks of 112 (14 KiB)
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 4, 224, 224, 16], depthwise: false, reduce: [4, 3, 3, 16] })).toMatchObject({ rcbChunk: 1, owc: 112 });
    // a panel within the budget, depthwise, and WebAssembly (accumulators in locals) never chunk
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 2, 16, 20, 16], depthwise: false, reduce: [1, 3, 3, 16] })).not.toHaveProperty('rcbChunk');
    expect(defaultBlockedConvKnobs({ ...SIMD128, name: 'wasm' }, { out: [1, 32, 28, 28, 4], depthwise: false, reduce: [128, 3, 3, 4] })).not.toHaveProperty('rcbChunk');
  });

  it('pads the input rows per task only where they copy as whole vectors', () => {
    // Rule: a 3-channel input block (det's first conv, 3×3 stride 2) is narrower than AVX-512's
    // 16 lanes: its convolution reads the input through bounds tests, as a depthwise one does (9
    // reads of each input vector do not repay the copy); 16 channels and WebAssembly (whose copy
    // stays faster) pad rows.
    const stem = { out: [1, 1, 320, 320, 16], depthwise: false, reduce: [1, 3, 3, 3] };
    expect(defaultBlockedConvKnobs(AVX512, stem)).toMatchObject({ padRows: false });
    expect(defaultBlockedConvKnobs({ ...SIMD128, name: 'wasm' }, stem)).toMatchObject({ padRows: true });
    expect(defaultBlockedConvKnobs(AVX512, { ...stem, reduce: [1, 3, 3, 16] })).toMatchObject({ padRows: true });
    expect(defaultBlockedConvKnobs(AVX512, { out: [1, 1, 320, 320, 16], depthwise: true })).toMatchObject({ padRows: false });
    expect(defaultBlockedConvKnobs({ ...SIMD128, name: 'wasm' }, { out: [1, 1, 320, 320, 4], depthwise: true })).toMatchObject({ padRows: true });
  });
});

describe('scheduleBlocked', () => {
  it('accumulates a register tile of columns × channel-block vectors, padding rows per task', () => {
    // Rule: the accumulators are a 'local' cache of the convolution computed at the tile loop,
    // reduce loops outside the unrolled tile (columns outside blocks) and the vectorized lanes;
    // the padded input is built per task of rows; the epilogue (relu, axes i…m = n, mb, oh, ow,
    // co) writes the tile from registers.
    const steps = printSchedule(defaultSchedule([blockedConv(1, 16, 20, 2)], AVX512)).split('\n');
    expect(steps).toEqual([
      'pad: computeInline()',
      'conv2d_nchwc: cacheWrite(local) -> conv2d_nchwc.local',
      'conv2d_nchwc: computeInline()',
      'relu: split(k, factor=2) -> k.outer, k.inner',
      'relu: split(j, factor=2) -> j.outer, j.inner',
      'relu: split(l, factor=10) -> l.outer, l.inner',
      'relu: reorder(i, k.outer, k.inner, j.outer, l.outer, j.inner, l.inner, m)',
      'conv2d_nchwc.local: computeAt(relu, l.outer)',
      'conv2d_nchwc.local: reorder(rcb, ry, rx, rci, n, oh, ow, mb, co)',
      'conv2d_nchwc.local: unroll(ow)',
      'conv2d_nchwc.local: unroll(mb)',
      'conv2d_nchwc.local: vectorize(co)',
      'relu: vectorize(m)',
      'relu: parallel(k.outer)',
      'pad: computeAt(relu, k.outer)',
      'pad: vectorize(m)',
    ]);
  });

  it('chunks a reduction whose weight panel outgrows L1 into partial sums per column chunk', () => {
    // Rule: 3 input blocks × 2 output blocks of 3×3 weights (54 KiB) exceed half of L1: the
    // reduction splits by one input block and is rfactored; the partials of a column chunk (the
    // row's 20 columns) are computed at that chunk, each tile in registers over its chunk's
    // weights; the output's tile then sums the partials in registers.
    const steps = printSchedule(defaultSchedule([blockedConv(3, 16, 20, 2)], AVX512)).split('\n');
    expect(steps).toEqual([
      'pad: computeInline()',
      'conv2d_nchwc: cacheWrite(local) -> conv2d_nchwc.local',
      'conv2d_nchwc: computeInline()',
      'relu: split(k, factor=2) -> k.outer, k.inner',
      'relu: split(j, factor=2) -> j.outer, j.inner',
      'relu: split(l, factor=20) -> l.outer, l.inner',
      'relu: split(l.inner, factor=10) -> l.inner.outer, l.inner.inner',
      'relu: reorder(i, k.outer, k.inner, j.outer, l.outer, l.inner.outer, j.inner, l.inner.inner, m)',
      'conv2d_nchwc.local: split(rcb, factor=1) -> rcb.outer, rcb.inner',
      'conv2d_nchwc.local: rfactor(rcb.outer) -> conv2d_nchwc.local.rf',
      'conv2d_nchwc.local.rf: cacheWrite(local) -> conv2d_nchwc.local.rf.local',
      'conv2d_nchwc.local.rf: computeAt(relu, l.outer)',
      'conv2d_nchwc.local.rf: split(ow, factor=10) -> ow.outer, ow.inner',
      'conv2d_nchwc.local.rf: reorder(rcb.outer, ow.outer, n, mb, oh, ow.inner, co)',
      'conv2d_nchwc.local.rf: vectorize(co)',
      'conv2d_nchwc.local.rf.local: computeAt(conv2d_nchwc.local.rf, ow.outer)',
      'conv2d_nchwc.local.rf.local: reorder(rcb.inner, ry, rx, rci, rcb.outer, n, oh, ow, mb, co)',
      'conv2d_nchwc.local.rf.local: unroll(ow)',
      'conv2d_nchwc.local.rf.local: unroll(mb)',
      'conv2d_nchwc.local.rf.local: vectorize(co)',
      'conv2d_nchwc.local: computeAt(relu, l.inner.outer)',
      'conv2d_nchwc.local: reorder(rcb.outer, n, oh, ow, mb, co)',
      'conv2d_nchwc.local: unroll(ow)',
      'conv2d_nchwc.local: unroll(mb)',
      'conv2d_nchwc.local: vectorize(co)',
      'relu: vectorize(m)',
      'relu: parallel(k.outer)',
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
