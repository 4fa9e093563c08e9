/**
 * @file The NCHW window-pool strategy (src/strategy/cpu/pool.ts) through defaultSchedule: each
 * scheduled pool computes what the unscheduled program computes, on every available target —
 * max, average (whole and clipped windows, count_include_pad), Lp, strides 1 to 3, dilation,
 * ceil_mode, widths no vector divides, a fused element-wise tail, on NCHW and on the blocked
 * layout (a 3-D pool one lane wide) — and its window loop reads the materialized padded rows
 * without bounds tests.
 */

import { describe, expect, it } from 'vitest';
import { buildKernel, lowerKernel } from '../../../src/codegen/build.js';
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
import type { Schedule } from '../../../src/schedule/index.js';
import { createSchedule, printSchedule } from '../../../src/schedule/index.js';
import { compute, placeholder } from '../../../src/te/compute.js';
import type { Tensor } from '../../../src/te/tensor.js';
import { printFunc } from '../../../src/tir/print.js';
import { TARGETS, randomFloats } from '../../api/helpers.js';

const AVX512: TargetInfo = { name: 'c', vectorBits: 512, cores: 2, l1Bytes: 32768, l2Bytes: 1 << 20, l3Bytes: 8 << 20, threads: true, sharedMemory: false };
const INFO: Record<TargetName, TargetInfo> = { js: { ...AVX512, name: 'js', vectorBits: 128 }, c: AVX512, wasm: wasmTargetInfo };

interface PoolCase {
  readonly op: 'MaxPool' | 'AveragePool' | 'LpPool';
  /** input shape [N, C, H, W], or blocked [N, C / c, H, W, c] */
  readonly shape: readonly number[];
  readonly attrs: Readonly<Record<string, Attr>>;
  /** a ReLU after the pool, in the same kernel */
  readonly relu?: boolean;
}

interface Program {
  readonly x: Tensor;
  readonly out: Tensor;
}

function program(pc: PoolCase): Program {
  const x = placeholder([...pc.shape], 'float32', 'X');
  const node = makeNode({ op: pc.op, name: 'pool', inputs: [value('x', tensorType('float32', x.shape))], outputs: [value('y', null)], attrs: new Map(Object.entries(pc.attrs)) });
  const [y] = computeNode(node, 18, [x]);
  const out = pc.relu ? compute(y.shape, (...i) => max(y.at(...i), constant(0, 'float32')), 'relu', { tag: 'elemwise' }) : y;
  return { x, out };
}

async function run(target: TargetName, s: Schedule, p: Program, data: Float32Array): Promise<Float32Array> {
  const kernel = await buildKernel(s, [p.x, p.out], { target, threads: 2 });
  const result = new Float32Array(p.out.shape.reduce((a, b) => a * b, 1));
  kernel.run([data, result]);
  kernel.dispose();
  return result;
}

const k = (n: number): Attr => ints([n, n]);
const pads = (p: number): Attr => ints([p, p, p, p]);

const CASES: [string, PoolCase][] = [
  ['max 3×3 stride 2 pad 1 (ShuffleNet, ResNet)', { op: 'MaxPool', shape: [1, 5, 22, 22], attrs: { kernel_shape: k(3), strides: k(2), pads: pads(1) } }],
  ['max 3×3 stride 2, ceil_mode, width no vector divides', { op: 'MaxPool', shape: [2, 3, 27, 37], attrs: { kernel_shape: k(3), strides: k(2), ceil_mode: int(1) } }],
  ['max 3×3 stride 1 pad 1 with a ReLU tail', { op: 'MaxPool', shape: [1, 4, 9, 40], attrs: { kernel_shape: k(3), pads: pads(1) }, relu: true }],
  ['max 2×2 dilation 2, asymmetric pads', { op: 'MaxPool', shape: [1, 3, 13, 19], attrs: { kernel_shape: k(2), dilations: k(2), pads: ints([0, 1, 2, 1]) } }],
  ['average 3×3 stride 2 pad 1, clipped windows', { op: 'AveragePool', shape: [1, 6, 28, 28], attrs: { kernel_shape: k(3), strides: k(2), pads: pads(1) } }],
  ['average 3×3 pad 1, count_include_pad', { op: 'AveragePool', shape: [1, 2, 17, 33], attrs: { kernel_shape: k(3), pads: pads(1), count_include_pad: int(1) } }],
  ['average 2×2 stride 2 (DenseNet transition)', { op: 'AveragePool', shape: [1, 7, 32, 32], attrs: { kernel_shape: k(2), strides: k(2) } }],
  ['average 3×3 stride 3 with a ReLU tail', { op: 'AveragePool', shape: [1, 3, 30, 48], attrs: { kernel_shape: k(3), strides: k(3) }, relu: true }],
  ['blocked: max 3×3 stride 2 pad 1 over (h, w, 16 lanes)', { op: 'MaxPool', shape: [1, 3, 13, 14, 16], attrs: { kernel_shape: ints([3, 3, 1]), strides: ints([2, 2, 1]), pads: ints([1, 1, 0, 1, 1, 0]) } }],
  ['blocked: max 3×3 stride 2 ceil_mode over 4 lanes, a ReLU tail', { op: 'MaxPool', shape: [1, 2, 11, 11, 4], attrs: { kernel_shape: ints([3, 3, 1]), strides: ints([2, 2, 1]), ceil_mode: int(1) }, relu: true }],
  ['blocked: average 2×2 stride 2 over 8 lanes', { op: 'AveragePool', shape: [1, 3, 10, 10, 8], attrs: { kernel_shape: ints([2, 2, 1]), strides: ints([2, 2, 1]) } }],
  ['blocked: average 3×3 pad 1, clipped windows', { op: 'AveragePool', shape: [2, 2, 7, 9, 4], attrs: { kernel_shape: ints([3, 3, 1]), pads: ints([1, 1, 0, 1, 1, 0]) } }],
  ['Lp 2 over 3×3 stride 2', { op: 'LpPool', shape: [1, 4, 15, 34], attrs: { kernel_shape: k(3), strides: k(2), p: int(2) } }],
];

describe.each(TARGETS)('the pool strategy computes what the unscheduled program does, on %s', (target) => {
  it.each(CASES)('%s', async (_, pc) => {
    const p = program(pc);
    const data = randomFloats(p.x.shape.reduce((a, b) => a * b, 1), 3).map((v) => v - 0.5);
    const expected = await run(target, createSchedule([p.out]), p, data);
    const actual = await run(target, defaultSchedule([p.out], INFO[target]), p, data);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
    expect(worst).toBeLessThanOrEqual(1e-6);
  });
});

describe('the pool window loop', () => {
  it('reads the padded rows of its task as vectors, without bounds tests', () => {
    const p = program({ op: 'MaxPool', shape: [1, 24, 112, 112], attrs: { kernel_shape: k(3), strides: k(2), pads: pads(1) } });
    const s = defaultSchedule([p.out], AVX512);
    expect(printSchedule(s)).toMatch(/pad: computeAt\(max_pool, /);
    const tir = printFunc(lowerKernel({ schedule: s, args: [p.x, p.out], name: 'pool' }));
    const updates = tir.split('\n').filter((l) => /max_pool\.local\[ramp\(0, 1, 8\)\] = max\(/.test(l));
    // 56 output columns: 7 vectors of 8, no masked last vector; 9 window taps, unrolled (in each
    // copy of the loop that partitioning makes around the first and last bands)
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.length % 9).toBe(0);
    for (const line of updates) {
      expect(line).toMatch(/pad\[ramp\([^)]*, 2, 8\)\]/);
      expect(line).not.toMatch(/select|X\[/);
    }
  });

  it('reads whole blocks of lanes on NCHWc, a few columns per step', () => {
    const p = program({ op: 'MaxPool', shape: [1, 6, 112, 112, 16], attrs: { kernel_shape: ints([3, 3, 1]), strides: ints([2, 2, 1]), pads: ints([1, 1, 0, 1, 1, 0]) } });
    const tir = printFunc(lowerKernel({ schedule: defaultSchedule([p.out], AVX512), args: [p.x, p.out], name: 'pool' }));
    const updates = tir.split('\n').filter((l) => /max_pool\.local\[ramp\(\d+, 1, 16\)\] = max\(/.test(l));
    expect(updates.length).toBeGreaterThan(0);
    // 4 columns × 9 taps per step
    expect(updates.length % 36).toBe(0);
    for (const line of updates) expect(line).toMatch(/= max\(max_pool\.local\[ramp\(\d+, 1, 16\)\], pad\[ramp\([^)]*, 1, 16\)\]\)$/);
  });

  it('computes the average divisor from the register, in one kernel stage', () => {
    const p = program({ op: 'AveragePool', shape: [1, 6, 28, 28], attrs: { kernel_shape: k(3), strides: k(2), pads: pads(1) } });
    const printed = printSchedule(defaultSchedule([p.out], AVX512));
    expect(printed).toContain('avg_pool_sum: computeInline()');
    expect(printed).toMatch(/avg_pool_sum\.local: computeAt\(avg_pool, /);
  });
});
