/**
 * @file The NCHW convolution strategies (src/strategy/cpu/conv2d.ts, depthwise.ts) through
 * defaultSchedule: each scheduled kernel computes what the unscheduled program computes, on every
 * available target, for strides 1 and 2, padding, dilation, groups, depthwise, 1×1 (flat-row
 * tiles), transposed convolutions, sizes no tile divides and fused element-wise epilogues; the
 * register tile's inner loop is vector FMAs on contiguous loads, without guards or gathers.
 */

import { describe, expect, it } from 'vitest';
import { buildKernel } from '../../../src/codegen/build.js';
import { lowerKernel } from '../../../src/codegen/build.js';
import type { TargetName } from '../../../src/codegen/index.js';
import type { TargetInfo } from '../../../src/codegen/target.js';
import { wasmTargetInfo } from '../../../src/codegen/wasm/backend.js';
import type { Attr } from '../../../src/graph/attrs.js';
import { int, ints } from '../../../src/graph/attrs.js';
import { makeNode, value } from '../../../src/graph/graph.js';
import { tensorType } from '../../../src/graph/types.js';
import { constant, max } from '../../../src/ir/expr.js';
import { computeNode } from '../../../src/ops/index.js';
import { defaultSchedule } from '../../../src/runtime/schedule.js';
import { createSchedule, printSchedule } from '../../../src/schedule/index.js';
import type { Conv2dKnobs, ConvShape } from '../../../src/strategy/cpu/conv2d.js';
import { convShapeOf, defaultConv2dKnobs, scheduleConv2d } from '../../../src/strategy/cpu/conv2d.js';
import { defaultDepthwiseKnobs } from '../../../src/strategy/cpu/depthwise.js';
import { compute, placeholder } from '../../../src/te/compute.js';
import type { Tensor } from '../../../src/te/tensor.js';
import { inputTensors, postOrder } from '../../../src/te/tensor.js';
import { printFunc } from '../../../src/tir/print.js';
import { TARGETS, randomFloats } from '../../api/helpers.js';

const AVX512: TargetInfo = { name: 'c', vectorBits: 512, cores: 2, l1Bytes: 32768, l2Bytes: 1 << 20, l3Bytes: 8 << 20, threads: true, sharedMemory: false };
const INFO: Record<TargetName, TargetInfo> = { js: { ...AVX512, name: 'js', vectorBits: 128 }, c: AVX512, wasm: wasmTargetInfo };

interface ConvCase {
  /** input channels, output channels, input height, input width */
  readonly c: number;
  readonly m: number;
  readonly h: number;
  readonly w: number;
  readonly k: number;
  readonly attrs?: Readonly<Record<string, Attr>>;
  readonly transpose?: boolean;
  /** a ReLU after the convolution, in the same kernel */
  readonly relu?: boolean;
  readonly bias?: boolean;
}

interface Program {
  readonly inputs: Tensor[];
  readonly out: Tensor;
}

function program(cc: ConvCase): Program {
  const group = cc.attrs?.group?.kind === 'int' ? cc.attrs.group.value : 1;
  const X = placeholder([1, cc.c, cc.h, cc.w], 'float32', 'X');
  const W = placeholder(cc.transpose ? [cc.c, cc.m / group, cc.k, cc.k] : [cc.m, cc.c / group, cc.k, cc.k], 'float32', 'W');
  const B = placeholder([cc.m], 'float32', 'B');
  const inputs = cc.bias === false ? [X, W] : [X, W, B];
  const node = makeNode({
    op: cc.transpose ? 'ConvTranspose' : 'Conv',
    name: 'conv',
    inputs: inputs.map((t, k) => value(`x${k}`, tensorType('float32', t.shape))),
    outputs: [value('y', null)],
    attrs: new Map(Object.entries(cc.attrs ?? {})),
  });
  const [Y] = computeNode(node, 17, inputs);
  const out = cc.relu ? compute(Y.shape, (...i) => max(Y.at(...i), constant(0, 'float32')), 'relu', { tag: 'elemwise' }) : Y;
  return { inputs, out };
}

async function run(target: TargetName, s: ReturnType<typeof createSchedule>, p: Program, data: Float32Array[]): Promise<Float32Array> {
  const kernel = await buildKernel(s, [...p.inputs, p.out], { target, threads: 2 });
  const result = new Float32Array(p.out.shape.reduce((a, b) => a * b, 1));
  kernel.run([...data, result]);
  kernel.dispose();
  return result;
}

async function expectMatchesReference(target: TargetName, p: Program, scheduled: ReturnType<typeof createSchedule>): Promise<void> {
  const data = p.inputs.map((t, k) => randomFloats(t.shape.reduce((a, b) => a * b, 1), k + 1));
  const expected = await run(target, createSchedule([p.out]), p, data);
  const actual = await run(target, scheduled, p, data);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst).toBeLessThanOrEqual(1e-5);
}

const pads = (p: number): Attr => ints([p, p, p, p]);
const stride = (s: number): Attr => ints([s, s]);

const CASES: [string, ConvCase][] = [
  ['3×3 pad 1, bias and ReLU epilogue', { c: 5, m: 12, h: 9, w: 23, k: 3, attrs: { pads: pads(1) }, relu: true }],
  ['3×3 stride 2, pad 1, odd sizes', { c: 3, m: 7, h: 11, w: 13, k: 3, attrs: { pads: pads(1), strides: stride(2) } }],
  ['5×5 dilation 2, asymmetric pads, no bias', { c: 4, m: 6, h: 12, w: 14, k: 5, attrs: { pads: ints([2, 1, 3, 4]), dilations: ints([2, 2]) }, bias: false }],
  ['1×1, narrow rows (flat-row tile)', { c: 16, m: 24, h: 6, w: 5, k: 1, relu: true }],
  ['1×1 stride 2', { c: 8, m: 9, h: 7, w: 9, k: 1, attrs: { strides: stride(2) } }],
  ['1×1 grouped on 7×7 planes (a whole-plane tile ending in a partial vector)', { c: 24, m: 40, h: 7, w: 7, k: 1, attrs: { group: int(4) }, relu: true }],
  ['group conv, 2 groups', { c: 8, m: 6, h: 8, w: 19, k: 3, attrs: { pads: pads(1), group: int(2) }, relu: true }],
  ['depthwise 3×3 pad 1', { c: 6, m: 6, h: 10, w: 21, k: 3, attrs: { pads: pads(1), group: int(6) }, relu: true }],
  ['depthwise 5×5 stride 2 pad 2', { c: 5, m: 5, h: 13, w: 11, k: 5, attrs: { pads: pads(2), strides: stride(2), group: int(5) } }],
  ['depthwise with channel multiplier 2', { c: 3, m: 6, h: 7, w: 18, k: 3, attrs: { pads: pads(1), group: int(3) } }],
  ['transposed 2×2 stride 2 (upsampling)', { c: 5, m: 8, h: 6, w: 9, k: 2, attrs: { strides: stride(2) }, transpose: true, relu: true }],
  ['transposed 3×3 stride 2 pad 1, two output channels', { c: 4, m: 2, h: 5, w: 7, k: 3, attrs: { strides: stride(2), pads: pads(1) }, transpose: true }],
];

describe.each(TARGETS)('NCHW convolution strategies compute what the unscheduled program does, on %s', (target) => {
  it.each(CASES)('%s', async (_, cc) => {
    const p = program(cc);
    await expectMatchesReference(target, p, defaultSchedule([p.out], INFO[target]));
  });

  it('with knobs no size divides: 5-channel blocks, 3-row blocks, 2 vectors of columns, 4-row tasks', async () => {
    const p = program({ c: 6, m: 12, h: 14, w: 27, k: 3, attrs: { pads: pads(1) }, relu: true });
    const lanes = INFO[target].vectorBits / 32;
    const knobs: Conv2dKnobs = { lanes, mb: 5, ohb: 3, owb: 2 * lanes, taskRows: 6, unrollKernel: true, flatRows: false, padPerChannel: false };
    await expectMatchesReference(target, p, scheduled(p, knobs, INFO[target]));
  });

  it('with one band over the whole plane, split into tasks by channel blocks and row blocks', async () => {
    const p = program({ c: 8, m: 12, h: 9, w: 6, k: 1, relu: true });
    const knobs: Conv2dKnobs = { lanes: 4, mb: 3, ohb: 5, owb: 6, taskRows: 10, unrollKernel: false, flatRows: true, padPerChannel: false };
    await expectMatchesReference(target, p, scheduled(p, knobs, INFO[target]));
  });

  it('with two uneven bands (fewer than two per core), split into tasks by channel blocks too', async () => {
    const p = program({ c: 8, m: 12, h: 7, w: 7, k: 1, relu: true });
    const knobs: Conv2dKnobs = { lanes: 4, mb: 3, ohb: 4, owb: 7, taskRows: 4, unrollKernel: false, flatRows: true, padPerChannel: false };
    await expectMatchesReference(target, p, scheduled(p, knobs, INFO[target]));
  });

  it('depthwise, each channel padded into a local buffer band by band (bands no tile divides)', async () => {
    const p = program({ c: 6, m: 12, h: 17, w: 13, k: 3, attrs: { pads: pads(1), strides: stride(2), group: int(6) }, relu: true });
    const knobs: Conv2dKnobs = { lanes: 1, mb: 1, ohb: 2, owb: 3, taskRows: 4, unrollKernel: true, flatRows: false, padPerChannel: true };
    await expectMatchesReference(target, p, scheduled(p, knobs, INFO[target]));
  });

  it('depthwise without padding: channel blocks as tasks, reading the input in place', async () => {
    const p = program({ c: 5, m: 5, h: 9, w: 20, k: 3, attrs: { group: int(5) } });
    const knobs: Conv2dKnobs = { lanes: 4, mb: 1, ohb: 3, owb: 8, taskRows: 3, unrollKernel: true, flatRows: false, padPerChannel: true };
    await expectMatchesReference(target, p, scheduled(p, knobs, INFO[target]));
  });

  it('with a flat-row tile whose rows do not fill whole vectors', async () => {
    const p = program({ c: 7, m: 10, h: 9, w: 6, k: 1 });
    const knobs: Conv2dKnobs = { lanes: 4, mb: 3, ohb: 2, owb: 6, taskRows: 4, unrollKernel: false, flatRows: true, padPerChannel: false };
    await expectMatchesReference(target, p, scheduled(p, knobs, INFO[target]));
  });
});

/** `p` scheduled by scheduleConv2d with explicit knobs: the bias and ReLU inlined into the output. */
function scheduled(p: Program, knobs: Conv2dKnobs, info: TargetInfo): ReturnType<typeof createSchedule> {
  const s = createSchedule([p.out]);
  const conv = s.stages.find((st) => st.tensor.op.kind === 'compute' && st.tensor.op.tag.endsWith('conv2d'))!.tensor;
  const pad = inputTensors(conv)[0];
  for (const st of s.stages) {
    if (!st.isPlaceholder && !st.isOutput && st.reduceAxis.length === 0 && st.tensor !== pad) st.computeInline();
  }
  scheduleConv2d(s, conv, p.out, pad.op.kind === 'compute' ? pad : null, knobs, info);
  return s;
}

describe('defaultConv2dKnobs', () => {
  const shapeOf = (cc: ConvCase): ReturnType<typeof convShapeOf> => {
    const conv = postOrder([program(cc).out]).find((t) => t.op.kind === 'compute' && t.op.reduceAxis.length > 0)!;
    return convShapeOf(conv);
  };

  it('reads the geometry of the convolution from its compute', () => {
    expect(shapeOf({ c: 96, m: 24, h: 160, w: 160, k: 3, attrs: { pads: pads(1) }, bias: false })).toEqual({
      outChannels: 24, outHeight: 160, outWidth: 160, inChannels: 96, inWidth: 162,
      kernelHeight: 3, kernelWidth: 3, strideHeight: 1, strideWidth: 1, depthwise: false,
    });
    expect(shapeOf({ c: 3, m: 16, h: 64, w: 64, k: 3, attrs: { pads: pads(1), strides: stride(2) }, bias: false })).toMatchObject({ strideHeight: 2, strideWidth: 2, outWidth: 32 });
  });

  it('keeps the register tile within the register file and vectorizes contiguous columns', () => {
    // Rule: 16 accumulators on AVX-512; the vector axis is the output width for stride 1.
    const k = defaultConv2dKnobs(AVX512, shapeOf({ c: 96, m: 24, h: 160, w: 160, k: 3, attrs: { pads: pads(1) }, bias: false }));
    expect(k.lanes).toBe(16);
    expect(k.mb * k.ohb * (k.owb / k.lanes)).toBeLessThanOrEqual(16);
    expect(k.unrollKernel).toBe(true);
    expect(k.taskRows % k.ohb).toBe(0);
  });

  it('tiles a 1×1 convolution on 20-column rows by whole rows, so vectors are full', () => {
    const k = defaultConv2dKnobs(AVX512, shapeOf({ c: 384, m: 384, h: 20, w: 20, k: 1, bias: false }));
    expect(k.flatRows).toBe(true);
    expect((k.ohb * 20) % k.lanes).toBe(0);
  });

  it('tiles a 1×1 convolution on 7×7 planes by the whole plane: 3 vectors of 16 and one lane', () => {
    // Rule: no row count fills whole vectors of 7 columns but 4 rows of 4 lanes; a whole-plane
    // tile keeps 16 lanes, its last lane split off as a scalar (ShuffleNet's 544-channel stage).
    const k = defaultConv2dKnobs(AVX512, shapeOf({ c: 544, m: 544, h: 7, w: 7, k: 1, attrs: { group: int(4) }, bias: false }));
    expect(k).toMatchObject({ lanes: 16, ohb: 7, flatRows: true });
    expect(k.mb * Math.ceil(49 / 16)).toBeLessThanOrEqual(16);
  });

  it('pads a depthwise convolution per channel, in bands whose padded rows fit half of L1', () => {
    // Rule: 114 padded columns of 4 bytes, 16 KiB: at most 35 input rows, so 33 output rows;
    // 112 rows in bands of equal height.
    const k = defaultDepthwiseKnobs(AVX512, shapeOf({ c: 96, m: 96, h: 112, w: 112, k: 3, attrs: { pads: pads(1), group: int(96) } }));
    expect(k.padPerChannel).toBe(true);
    expect(k.taskRows % k.ohb).toBe(0);
    expect((k.taskRows + 2) * 114 * 4).toBeLessThanOrEqual(AVX512.l1Bytes / 2);
    expect(Math.ceil(112 / k.taskRows)).toBe(Math.ceil(112 / 33));
    // a 28×28 plane fits whole
    expect(defaultDepthwiseKnobs(AVX512, shapeOf({ c: 136, m: 136, h: 28, w: 28, k: 3, attrs: { pads: pads(1), group: int(136) } })).taskRows).toBeGreaterThanOrEqual(28);
  });

  it('leaves a strided width scalar, and a depthwise tile one channel', () => {
    expect(defaultConv2dKnobs(AVX512, shapeOf({ c: 3, m: 16, h: 64, w: 64, k: 3, attrs: { pads: pads(1), strides: stride(2) } })).lanes).toBe(1);
    expect(defaultDepthwiseKnobs(AVX512, shapeOf({ c: 48, m: 48, h: 40, w: 40, k: 3, attrs: { pads: pads(1), group: int(48) } })).mb).toBe(1);
  });
});

describe('the conv2d register tile', () => {
  it('is a loop of vector FMAs on contiguous loads and broadcast weights, without guards or gathers', () => {
    const p = program({ c: 96, m: 24, h: 160, w: 160, k: 3, attrs: { pads: pads(1) }, relu: true });
    const s = defaultSchedule([p.out], AVX512);
    expect(printSchedule(s)).toContain('pad: computeAt(relu');
    const tir = printFunc(lowerKernel({ schedule: s, args: [...p.inputs, p.out], name: 'conv' }));
    const updates = tir.split('\n').filter((l) => /conv2d\.local\[ramp\(\d+, 1, 16\)\] = conv2d\.local/.test(l));
    expect(updates.length).toBeGreaterThan(0);
    for (const line of updates) {
      expect(line).toMatch(/pad\[ramp\([^)]*, 1, 16\)\] \* x16\(W\[/);
      expect(line).not.toMatch(/select|gather|if \(/);
    }
    const reduceLoop = tir.slice(tir.indexOf('for (rc'), tir.indexOf('relu[ramp'));
    expect(reduceLoop).not.toContain('if (');
  });

  it('pads a depthwise channel into a local buffer per task, its rows copied in vectors', () => {
    // Rule: the tasks are channels; each pads its channel into a local (stack) buffer, whose
    // 30-column rows are copied 4 lanes at a time (6 vectors, 4 edge lanes) rather than as
    // 16-lane vectors that loop partitioning would leave all scalar.
    const p = program({ c: 136, m: 136, h: 28, w: 28, k: 3, attrs: { pads: pads(1), group: int(136) } });
    const tir = printFunc(lowerKernel({ schedule: defaultSchedule([p.out], AVX512), args: [...p.inputs, p.out], name: 'dw' }));
    expect(tir).toMatch(/allocate pad\.local: float32\[900\] local/);
    expect(tir).toMatch(/pad\.local\[ramp\([^)]*, 1, 4\)\] = X\[ramp\([^)]*, 1, 4\)\]/);
    expect(tir).not.toMatch(/gather/);
  });

  it('writes a flat-row tile back a vector at a time across its rows, not row by row', () => {
    // Rule: the 14-column rows of a 1×1 tile are one flat axis in the write-back as in the
    // accumulators; only the plane's last partial vector is scalar (ShuffleNet's 14×14 stage).
    const p = program({ c: 272, m: 272, h: 14, w: 14, k: 1, attrs: { group: int(4) }, relu: true });
    const tir = printFunc(lowerKernel({ schedule: defaultSchedule([p.out], AVX512), args: [...p.inputs, p.out], name: 'conv' }));
    const stores = tir.split('\n').filter((l) => /^\s*relu\[/.test(l));
    expect(stores.filter((l) => /relu\[ramp\([^)]*, 1, 16\)\]/.test(l)).length).toBeGreaterThan(0);
    expect(stores.filter((l) => !l.includes('ramp')).length).toBeLessThanOrEqual(2);
    expect(tir).not.toMatch(/gather|scatter|ramp\([^)]*, 1, 14\)/);
  });

  it('leaves a mid-size convolution parallel on a target whose runtime gates loops by their work', () => {
    // Rule: a depthwise 3×3 over 64 channels of 28×28 (452 K multiply-adds) stays serial on c;
    // on wasm its channel tasks are parallel, and the pool decides at run time. One over 4
    // channels of 8×8 (2.3 K) is below the pool's minimum and stays serial on wasm too.
    const mid = program({ c: 64, m: 64, h: 28, w: 28, k: 3, attrs: { pads: pads(1), group: int(64) } });
    expect(printSchedule(defaultSchedule([mid.out], AVX512))).not.toContain('parallel');
    expect(printSchedule(defaultSchedule([mid.out], wasmTargetInfo))).toContain('parallel');
    const tiny = program({ c: 4, m: 4, h: 8, w: 8, k: 3, attrs: { pads: pads(1), group: int(4) } });
    expect(printSchedule(defaultSchedule([tiny.out], wasmTargetInfo))).not.toContain('parallel');
  });

  it('prefers tiles a few vectors wide to tiles of many channels on wasm', () => {
    // Rule: a weight broadcast costs two loads on wasm, so ShuffleNet's 1×1 group-4 convs get
    // tiles of at most 2 channels (the 14-column rows a flat tile of 2 rows), not 4 channels × 2
    // rows × 1 vector as when broadcasts counted as one load.
    const shape = (m: number, hw: number): ConvShape => ({ outChannels: m, outHeight: hw, outWidth: hw, inChannels: m / 4, inWidth: hw, kernelHeight: 1, kernelWidth: 1, strideHeight: 1, strideWidth: 1, depthwise: false });
    expect(defaultConv2dKnobs(wasmTargetInfo, shape(272, 14))).toMatchObject({ mb: 1, ohb: 2, flatRows: true });
    expect(defaultConv2dKnobs(wasmTargetInfo, shape(136, 28)).mb).toBeLessThanOrEqual(2);
  });
});
