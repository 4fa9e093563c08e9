/**
 * @file Loop-nest features: a fixed-length vector for any function, before and after the TIR
 * passes, that responds to the decisions a schedule makes (vectorizing, parallelizing, tiling,
 * accumulating locally).
 */

import { describe, expect, it } from 'vitest';
import { lowerKernel } from '../../src/codegen/build.js';
import { lower } from '../../src/lower/index.js';
import type { Schedule } from '../../src/schedule/index.js';
import { createSchedule, replaySchedule } from '../../src/schedule/index.js';
import type { Tensor } from '../../src/te/index.js';
import { kernelArgs, sampleSchedules, seededRng } from '../../src/tune/auto/index.js';
import { extractFeatures, FEATURE_NAMES } from '../../src/tune/features.js';
import { CPU128, conv2d, elementwise, matmul, softmax, task } from './auto-programs.js';

const at = (f: Float64Array, name: string): number => {
  const k = FEATURE_NAMES.indexOf(name);
  if (k < 0) throw new Error(`no feature ${name}`);
  return f[k];
};

function features(outputs: readonly Tensor[], s: Schedule): Float64Array {
  return extractFeatures(lower(s, kernelArgs(outputs), 'f'));
}

describe('extractFeatures', () => {
  it('has one name per position and a fixed length for every kind of function', () => {
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_NAMES.length);
    for (const build of [() => matmul(24, 40, 16), () => conv2d(4, 8, 8), () => softmax(6, 40), () => elementwise(12, 40)]) {
      const t = task(build, CPU128);
      for (const steps of sampleSchedules(t, 3, seededRng(2))) {
        const { outputs } = t.build();
        const s = replaySchedule(steps, outputs);
        const args = kernelArgs(outputs);
        for (const f of [extractFeatures(lower(s, args, 'f')), extractFeatures(lowerKernel({ schedule: s, args, name: 'f' }))]) {
          expect(f).toHaveLength(FEATURE_NAMES.length);
          expect(f.every(Number.isFinite)).toBe(true);
        }
      }
    }
  });

  it('sees vector lanes, parallel loops and contiguous loads', () => {
    const outputs = elementwise(16, 64);
    const plain = features(outputs, createSchedule(outputs));
    const s = createSchedule(outputs);
    for (const st of s.stages) if (!st.isPlaceholder && !st.isOutput) st.computeInline();
    const out = s.stage(outputs[0]);
    const [, j] = out.axis;
    const [, ji] = out.split(j, { factor: 4 });
    out.vectorize(ji);
    out.parallel(out.leafAxes()[0]);
    const vec = features(outputs, s);
    expect(at(plain, 'top.lanes')).toBe(Math.log2(2));
    expect(at(vec, 'top.lanes')).toBe(Math.log2(5));
    expect(at(plain, 'top.parallel_extent')).toBe(Math.log2(2)); // no parallel loop: extent 1
    expect(at(vec, 'top.parallel_extent')).toBe(Math.log2(17));
    expect(at(vec, 'top.loads_contiguous')).toBe(3); // X twice (inlined into two places) and Y
    // inlining removed the intermediate stores
    expect(at(vec, 'func.stores')).toBeLessThan(at(plain, 'func.stores'));
  });

  it('measures reuse and local accumulation of a matmul', () => {
    const outputs = matmul(32, 32, 32);
    const plain = features(outputs, createSchedule(outputs));
    const s = createSchedule(outputs);
    const C = s.stage(outputs[0]);
    const local = s.stage(s.cacheWrite(outputs[0], 'local'));
    const [, , , ji] = C.tile(C.axis[0], C.axis[1], 4, 8);
    local.computeAt(C, C.leafAxes()[1]);
    C.vectorize(ji);
    const tiled = features(outputs, s);
    // every element of A is read by 32 columns, of B by 32 rows, the accumulator by 32 k steps
    expect(at(plain, 'top.reuse_min')).toBe(Math.log2(33));
    expect(at(plain, 'top.store_local')).toBe(0);
    expect(at(tiled, 'top.store_local')).toBe(1);
    expect(at(tiled, 'func.local_bytes')).toBe(Math.log2(1 + 4 * 8 * 4));
    // the same work, however it is scheduled
    expect(at(tiled, 'func.flops')).toBeCloseTo(at(plain, 'func.flops'), 1);
  });

  it('sees a register tile: accumulators unrolled and vectorized inside the reduction loop', () => {
    /** a 4 × 8 accumulator tile at C's tile loop; `registers`: its loops unrolled and vectorized, k outside them */
    const scheduled = (registers: boolean): Float64Array => {
      const outputs = matmul(32, 32, 32);
      const s = createSchedule(outputs);
      const C = s.stage(outputs[0]);
      const local = s.stage(s.cacheWrite(outputs[0], 'local'));
      C.tile(C.axis[0], C.axis[1], 4, 8);
      local.computeAt(C, C.leafAxes()[1]);
      const [li, lj] = local.axis;
      const [k] = local.reduceAxis;
      local.reorder(...(registers ? [k, li, lj] : [li, k, lj]));
      if (registers) local.unroll(li);
      local.vectorize(lj);
      return features(outputs, s);
    };
    const inRegisters = scheduled(true);
    const spilled = scheduled(false);
    const accumulate = 'top.register_tile';
    expect(at(inRegisters, accumulate)).toBe(Math.log2(1 + 4 * 8));
    expect(at(inRegisters, 'top.carried_accumulator')).toBe(1);
    // k inside the rows: one vector of accumulators per row, and k indexes nothing it stores
    expect(at(spilled, accumulate)).toBe(Math.log2(1 + 8));
    expect(at(spilled, 'top.straight_body')).toBe(Math.log2(1 + 8));
    // per k step the 4 × 8 tile loads 4 elements of A and one vector of B for 4 vector
    // multiply-adds (2 · 8 flops each); one row of it, one of each for one
    expect(at(inRegisters, 'top.register_intensity')).toBeCloseTo(Math.log2(1 + (4 * 16) / 5));
    expect(at(spilled, 'top.register_intensity')).toBeCloseTo(Math.log2(1 + 16 / 2));
  });

  it('counts the bounds tests of an inlined pad per execution', () => {
    const outputs = conv2d(4, 8, 8);
    const s = createSchedule(outputs);
    const pad = s.stages.find((st) => st.tensor.op.kind === 'compute' && st.tensor.op.tag === 'pad');
    expect(pad).toBeDefined();
    pad?.computeInline();
    expect(at(features(outputs, s), 'top.selects_per_instance')).toBeGreaterThan(0);
    expect(at(features(outputs, createSchedule(outputs)), 'top.selects_per_instance')).toBe(0);
  });
});
