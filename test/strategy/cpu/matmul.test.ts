/**
 * @file The matrix-product strategies (src/strategy/cpu/matmul.ts, gemv.ts) through
 * defaultSchedule: each scheduled kernel computes what the unscheduled program computes, on every
 * available target, for batched products (B shared or per batch), sizes no register tile divides,
 * a fused bias epilogue, operands read through a fused transpose, Gemm with transposed operands,
 * and one-row products (GEMV) over [N, K] and [K, N] weights; and the schedules take the shapes
 * they are meant for: a packed register-tiled GEMM, or a GEMV streaming each weight row once.
 */

import { describe, expect, it } from 'vitest';
import { buildKernel, lowerKernel } from '../../../src/codegen/build.js';
import type { TargetName } from '../../../src/codegen/index.js';
import type { TargetInfo } from '../../../src/codegen/target.js';
import { wasmTargetInfo } from '../../../src/codegen/wasm/backend.js';
import { int } from '../../../src/graph/attrs.js';
import { makeNode, value } from '../../../src/graph/graph.js';
import { tensorType } from '../../../src/graph/types.js';
import { add, floordiv, floormod } from '../../../src/ir/expr.js';
import { computeNode } from '../../../src/ops/index.js';
import { defaultSchedule } from '../../../src/runtime/schedule.js';
import type { Schedule } from '../../../src/schedule/index.js';
import { createSchedule, printSchedule } from '../../../src/schedule/index.js';
import { defaultMatmulKnobs } from '../../../src/strategy/cpu/matmul.js';
import { compute, placeholder } from '../../../src/te/compute.js';
import type { Tensor } from '../../../src/te/tensor.js';
import { printFunc } from '../../../src/tir/print.js';
import { TARGETS, randomFloats } from '../../api/helpers.js';

const AVX512: TargetInfo = { name: 'c', vectorBits: 512, cores: 2, l1Bytes: 32768, l2Bytes: 1 << 20, l3Bytes: 8 << 20, threads: true, sharedMemory: false };
const INFO: Record<TargetName, TargetInfo> = { js: { ...AVX512, name: 'js', vectorBits: 128 }, c: AVX512, wasm: wasmTargetInfo };

interface ProductCase {
  readonly op: 'MatMul' | 'Gemm';
  readonly a: readonly number[];
  readonly b: readonly number[];
  readonly transA?: boolean;
  readonly transB?: boolean;
  /** a bias over the last axis added in the same kernel */
  readonly bias?: boolean;
  /** B is read through a transpose of its last two axes computed in the same kernel */
  readonly transposeB?: boolean;
  /** A ([M, K]) is read through a flatten of an [M, 4, K / 4] input computed in the same kernel */
  readonly flattenA?: boolean;
}

interface Program {
  readonly inputs: Tensor[];
  readonly out: Tensor;
}

function program(pc: ProductCase): Program {
  const Ain = placeholder(pc.flattenA ? [pc.a[0], 4, pc.a[1] / 4] : pc.a, 'float32', 'A');
  const A = pc.flattenA
    ? compute(pc.a, (i, k) => Ain.at(i, floordiv(k, pc.a[1] / 4), floormod(k, pc.a[1] / 4)), 'flatten', { tag: 'injective' })
    : Ain;
  const Bin = placeholder(pc.b, 'float32', 'B');
  const r = pc.b.length;
  const B = pc.transposeB
    ? compute([...pc.b.slice(0, -2), pc.b[r - 1], pc.b[r - 2]], (...i) => Bin.at(...i.slice(0, -2), i[r - 1], i[r - 2]), 'transpose', { tag: 'injective' })
    : Bin;
  const attrs = new Map([...(pc.transA ? [['transA', int(1)] as const] : []), ...(pc.transB ? [['transB', int(1)] as const] : [])]);
  const node = makeNode({
    op: pc.op,
    name: 'product',
    inputs: [A, B].map((t, k) => value(`x${k}`, tensorType('float32', t.shape))),
    outputs: [value('y', null)],
    attrs,
  });
  const [Y] = computeNode(node, 17, [A, B]);
  const inputs = [Ain, Bin];
  if (!pc.bias) return { inputs, out: Y };
  const bias = placeholder([Y.shape[Y.ndim - 1]], 'float32', 'bias');
  const out = compute(Y.shape, (...i) => add(Y.at(...i), bias.at(i[i.length - 1])), 'add', { tag: 'broadcast' });
  return { inputs: [...inputs, bias], out };
}

async function run(target: TargetName, s: Schedule, p: Program, data: Float32Array[]): Promise<Float32Array> {
  const kernel = await buildKernel(s, [...p.inputs, p.out], { target, threads: 2 });
  const result = new Float32Array(p.out.shape.reduce((a, b) => a * b, 1));
  kernel.run([...data, result]);
  kernel.dispose();
  return result;
}

async function expectMatchesReference(target: TargetName, p: Program, scheduled: Schedule): Promise<void> {
  const data = p.inputs.map((t, k) => randomFloats(t.shape.reduce((a, b) => a * b, 1), k + 1));
  const expected = await run(target, createSchedule([p.out]), p, data);
  const actual = await run(target, scheduled, p, data);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst).toBeLessThanOrEqual(1e-5);
}

const CASES: [string, ProductCase][] = [
  ['2-D, sizes no tile divides (37 × 53 × 29)', { op: 'MatMul', a: [37, 29], b: [29, 53] }],
  ['batched, B shared by the batch, bias epilogue (rec: 1 × 40 × 120 · 120 × 70)', { op: 'MatMul', a: [1, 40, 120], b: [120, 70], bias: true }],
  ['batched, B per batch (attention: 8 × 40 × 15 · 8 × 15 × 40)', { op: 'MatMul', a: [1, 8, 40, 15], b: [1, 8, 15, 40] }],
  ['batched, B read through a transpose (attention: Q · Kᵀ)', { op: 'MatMul', a: [2, 3, 21, 15], b: [2, 3, 21, 15], transposeB: true }],
  ['broadcast batch dims (3 × 1 × 9 × 6 · 4 × 6 × 35)', { op: 'MatMul', a: [3, 1, 9, 6], b: [4, 6, 35] }],
  ['Gemm with transB, several rows, bias', { op: 'Gemm', a: [19, 70], b: [45, 70], transB: true, bias: true }],
  ['Gemm with transA and transB', { op: 'Gemm', a: [33, 12], b: [40, 33], transA: true, transB: true }],
  ['one row, Gemm with transB (a fully connected layer: GEMV over [N, K])', { op: 'Gemm', a: [1, 300], b: [70, 300], transB: true, bias: true }],
  ['one row, K not a multiple of the lanes', { op: 'Gemm', a: [1, 37], b: [21, 37], transB: true }],
  ['one row, MatMul (GEMV over [K, N])', { op: 'MatMul', a: [1, 1, 130], b: [130, 301], bias: true }],
  ['a vector times a matrix (1-D A)', { op: 'MatMul', a: [50], b: [50, 40] }],
  ['one row, A through a fused flatten (vgg19: Flatten then Gemm)', { op: 'Gemm', a: [1, 200], b: [30, 200], transB: true, flattenA: true }],
  ['several rows, A through a fused flatten', { op: 'MatMul', a: [10, 48], b: [48, 40], flattenA: true }],
];

describe.each(TARGETS)('matrix-product strategies compute what the unscheduled program does, on %s', (target) => {
  it.each(CASES)('%s', async (_, pc) => {
    const p = program(pc);
    await expectMatchesReference(target, p, defaultSchedule([p.out], INFO[target]));
  });
});

describe('the default product schedules', () => {
  const steps = (pc: ProductCase): string => printSchedule(defaultSchedule([program(pc).out], AVX512));

  it('tile a batched product with a packed B panel, computed inside the bias epilogue', () => {
    const printed = steps({ op: 'MatMul', a: [1, 40, 120], b: [120, 360], bias: true });
    expect(printed).toContain('cacheRead');
    expect(printed).toContain('batch_matmul: computeInline()');
    expect(printed).toMatch(/^add: parallel/m);
  });

  it('stream a one-row product over [N, K] weights as dot products split across the lanes', () => {
    const printed = steps({ op: 'Gemm', a: [1, 4096], b: [1000, 4096], transB: true });
    expect(printed).toContain('rfactor');
    // the partial sums stay in registers: a local stage, the rfactored buffer inlined away
    expect(printed).toContain('dense.rf: cacheWrite(local)');
    expect(printed).toContain('dense.rf: computeInline()');
    expect(printed).not.toContain('cacheRead');
  });

  it('copy a row operand computed by fused producers once, before the product reads it', () => {
    for (const a of [[1, 400], [12, 400]]) expect(steps({ op: 'MatMul', a, b: [400, 64], flattenA: true })).toContain('flatten: cacheRead(global');
  });

  it('read a one-row product over [K, N] weights in place, one row of vectors per k', () => {
    const p = program({ op: 'MatMul', a: [1, 2048], b: [2048, 1000] });
    const tir = printFunc(lowerKernel({ schedule: defaultSchedule([p.out], AVX512), args: [...p.inputs, p.out], name: 'k' }));
    expect(printSchedule(defaultSchedule([p.out], AVX512))).not.toContain('cacheRead');
    // 16 accumulators of 16 lanes: each k step loads 16 contiguous vectors of B's row k
    expect(tir).toContain('B[ramp(k * 1000 + j.outer * 256 + 240, 1, 16)]');
  });
});

describe('defaultMatmulKnobs', () => {
  it('keeps the two-vector tile where it fits and narrows the vectors where N is small', () => {
    expect(defaultMatmulKnobs(AVX512, { m: 1024, n: 1024, k: 1024 })).toMatchObject({ mr: 8, nr: 32, lanes: 16 });
    // 40 columns: 8-lane vectors cover them exactly, 16-lane ones would leave a partial vector
    const narrow = defaultMatmulKnobs(AVX512, { m: 40, n: 40, k: 15 });
    expect(narrow.lanes).toBe(8);
    expect(narrow.mr * (narrow.nr / narrow.lanes)).toBeLessThanOrEqual(16);
  });
});
