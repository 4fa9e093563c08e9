/**
 * @file The default schedule: which primitives it applies (compared as printed steps, each test
 * stating its rule) and that what it schedules computes the same numbers as the unscheduled
 * program on every available target.
 */

import { describe, expect, it } from 'vitest';
import { buildKernel } from '../../src/codegen/build.js';
import type { TargetInfo } from '../../src/codegen/target.js';
import { defaultSchedule } from '../../src/runtime/schedule.js';
import { createSchedule, printSchedule } from '../../src/schedule/index.js';
import { defaultMatmulKnobs } from '../../src/strategy/cpu/matmul.js';
import type { Tensor } from '../../src/te/index.js';
import { add, compute, max, mul, placeholder, reduceAxis, reduceMax, sum } from '../../src/te/index.js';
import { TARGETS, randomFloats } from '../api/helpers.js';

const CPU: TargetInfo = { name: 'test', vectorBits: 256, cores: 4, l1Bytes: 32768, l2Bytes: 1 << 20, l3Bytes: 8 << 20, threads: true, sharedMemory: false };

function program(): { A: Tensor; B: Tensor; C: Tensor; S: Tensor; T: Tensor } {
  const A = placeholder([64, 128], 'float32', 'A');
  const B = compute([64, 128], (i, j) => add(A.at(i, j), 1), 'B');
  const C = compute([64, 128], (i, j) => mul(B.at(i, j), 2), 'C');
  const r = reduceAxis(128, 'r');
  const S = compute([64], (i) => sum(B.at(i, r.var), [r]), 'S');
  const T = compute([64], (i) => max(S.at(i), 0), 'T');
  return { A, B, C, S, T };
}

const { mr, nr } = defaultMatmulKnobs(CPU);

/** An m × n matmul (tagged `tag`); the default is two register tiles each way. */
function matmul(n = 2 * nr, m = 2 * mr, tag = 'matmul'): { X: Tensor; W: Tensor; M: Tensor } {
  const X = placeholder([m, 32], 'float32', 'X');
  const W = placeholder([32, n], 'float32', 'W');
  const k = reduceAxis(32, 'k');
  return { X, W, M: compute([m, n], (i, j) => sum(mul(X.at(i, k.var), W.at(k.var, j)), [k]), 'M', { tag }) };
}

/** The max of each of 8 rows of 100: one output per row, a long contiguous reduction. */
function rowMax(): { X: Tensor; M: Tensor } {
  const X = placeholder([8, 100], 'float32', 'X');
  const r = reduceAxis(100, 'r');
  return { X, M: compute([8, 1], (i) => reduceMax(X.at(i, r.var), [r]), 'M') };
}

/** Global average pooling's sum over a 3 × 37 window per channel. */
function globalSum(): { X: Tensor; G: Tensor } {
  const X = placeholder([1, 5, 3, 37], 'float32', 'X');
  const [rh, rw] = [reduceAxis(3, 'rh'), reduceAxis(37, 'rw')];
  return { X, G: compute([1, 5, 1, 1], (n, c) => sum(X.at(n, c, rh.var, rw.var), [rh, rw]), 'G') };
}

describe('defaultSchedule', () => {
  it('inlines injective intermediates; fuses outer loops in parallel and vectorizes the inner one', () => {
    // Rule: the row loop of whole vectors stays out of the fused outer loops (its indices are
    // not recomputed by division per vector); 2^18 elements and more run in parallel.
    const A = placeholder([4, 256, 256], 'float32', 'A');
    const B = compute(A.shape, (i, j, k) => add(A.at(i, j, k), 1), 'B');
    const C = compute(A.shape, (i, j, k) => mul(B.at(i, j, k), 2), 'C');
    expect(printSchedule(defaultSchedule([C], CPU))).toBe(
      [
        'B: computeInline()',
        'C: split(k, factor=8) -> k.outer, k.inner',
        'C: fuse(i, j) -> i.j.fused',
        'C: vectorize(k.inner)',
        'C: parallel(i.j.fused)',
      ].join('\n'),
    );
    const small = program().C;
    expect(printSchedule(defaultSchedule([small], CPU))).toBe(['B: computeInline()', 'C: split(j, factor=8) -> j.outer, j.inner', 'C: vectorize(j.inner)'].join('\n'));
  });

  it('keeps the axis above a row of few vectors serial too, while the fused loop has enough iterations per core', () => {
    // Rule: a blocked row is one vector (8 lanes); 4·64 = 256 ≥ 8 iterations × 4 cores, so w
    // stays out of the fused parallel loop. With only 2 rows (2·1 < 32), it joins the fused loop.
    const blocked = (h: number) => {
      const A = placeholder([4, h, 256, 8], 'float32', 'A');
      return compute(A.shape, (c, y, x, l) => mul(A.at(c, y, x, l), 2), 'C');
    };
    expect(printSchedule(defaultSchedule([blocked(64)], CPU))).toBe(
      ['C: split(l, factor=8) -> l.outer, l.inner', 'C: fuse(i, j) -> i.j.fused', 'C: vectorize(l.inner)', 'C: parallel(i.j.fused)'].join('\n'),
    );
    expect(printSchedule(defaultSchedule([blocked(2)], CPU))).toContain('fuse(i, j, k) -> i.j.k.fused');
  });

  it('keeps reductions at the root, accumulating in registers per vector of outputs; small stages stay serial', () => {
    const { T } = program();
    expect(printSchedule(defaultSchedule([T], CPU))).toBe(
      [
        'B: computeInline()',
        'S: cacheWrite(local) -> S.local',
        'S: split(i, factor=8) -> i.outer, i.inner',
        'S: vectorize(i.inner)',
        'S.local: computeAt(S, i.outer)',
        'S.local: reorder(r, i)',
        'S.local: vectorize(i)',
        'T: split(i, factor=8) -> i.outer, i.inner',
        'T: vectorize(i.inner)',
      ].join('\n'),
    );
  });

  it('gives matmul-tagged computes the GEMM schedule, partial edge tiles included', () => {
    const steps = printSchedule(defaultSchedule([matmul().M], CPU)).split('\n');
    // the strategy's own steps follow; its tests pin them down
    expect(steps.slice(0, 2)).toEqual(['M: cacheWrite(local) -> M.local', 'W: cacheRead(global, readers=[M.local]) -> W.global']);
    expect(printSchedule(defaultSchedule([matmul(nr + 8).M], CPU))).toContain('cacheRead');
  });

  it('reduces in vector lanes when the outputs are too few along their innermost axis: rfactor by the lanes', () => {
    // Rule: 8 outputs of a 100-long row each: the row is split by 8 lanes, the lanes sum
    // contiguous loads, then each output adds its 8 lanes.
    const steps = printSchedule(defaultSchedule([rowMax().M], CPU)).split('\n');
    expect(steps).toContain('M: split(r, factor=8) -> r.outer, r.inner');
    expect(steps).toContain('M: rfactor(r.inner) -> M.rf');
    expect(steps).toContain('M.rf: vectorize(r.inner)');
  });

  it('keeps a partial last vector in a loop of its own, outside the fused outer loops', () => {
    // Rule: 36 columns are 4 vectors of 8 and a partial one; j.outer is not fused with i, so
    // tir.loopPartition can cut the partial vector off and the rest stays vectorized.
    const steps = printSchedule(defaultSchedule([matmul(36, 2 * mr, 'reduce').M], CPU)).split('\n');
    expect(steps).toContain('M: split(j, factor=8) -> j.outer, j.inner');
    expect(steps).not.toContain('M: fuse(i, j.outer) -> i.j.outer.fused');
    expect(steps).toContain('M.local: computeAt(M, j.outer)');
  });

  it('marks loops parallel from the runtime minimum where the runtime gates them by their work', () => {
    // Rule: below the strategy's sizes a loop stays serial, unless the target's runtime decides
    // per loop at run time (wasm's pool runs a small one on the calling thread alone); loops
    // below the runtime's minimum stay serial there too.
    const gated = { ...CPU, parallelMinWork: 8 };
    const above = { ...CPU, parallelMinWork: 1 << 20 };
    expect(printSchedule(defaultSchedule([program().C], CPU))).not.toContain('parallel');
    expect(printSchedule(defaultSchedule([program().C], gated))).toContain('C: parallel(i)');
    expect(printSchedule(defaultSchedule([program().C], above))).not.toContain('parallel');
    expect(printSchedule(defaultSchedule([rowMax().M], CPU))).not.toContain('parallel');
    expect(printSchedule(defaultSchedule([rowMax().M], gated))).toContain('parallel');
    expect(printSchedule(defaultSchedule([rowMax().M], above))).not.toContain('parallel');
  });

  it('leaves parallel loops out on targets without threads', () => {
    expect(printSchedule(defaultSchedule([program().C], { ...CPU, threads: false }))).not.toContain('parallel');
  });
});

describe.each(TARGETS)('defaultSchedule computes what the unscheduled program does, on %s', (target) => {
  const cases: [string, () => { inputs: Tensor[]; out: Tensor }][] = [
    ['injective chain', () => {
      const p = program();
      return { inputs: [p.A], out: p.C };
    }],
    ['reduction', () => {
      const p = program();
      return { inputs: [p.A], out: p.T };
    }],
    ['matmul', () => {
      const m = matmul();
      return { inputs: [m.X, m.W], out: m.M };
    }],
    ['matmul with a partial last vector', () => {
      const m = matmul(36);
      return { inputs: [m.X, m.W], out: m.M };
    }],
    ['row max in lanes', () => {
      const p = rowMax();
      return { inputs: [p.X], out: p.M };
    }],
    ['global sum in lanes, with a partial vector', () => {
      const p = globalSum();
      return { inputs: [p.X], out: p.G };
    }],
    ['matmul with a partial tile', () => {
      const m = matmul(nr + 8);
      return { inputs: [m.X, m.W], out: m.M };
    }],
  ];
  it.each(cases)('%s', async (_, make) => {
    const { inputs, out } = make();
    const info = { ...CPU, vectorBits: target === 'js' ? 128 : CPU.vectorBits };
    const data = inputs.map((t, k) => randomFloats(t.shape.reduce((a, b) => a * b, 1), k + 1));
    const results = await Promise.all(
      [createSchedule([out]), defaultSchedule([out], info)].map(async (s) => {
        const kernel = await buildKernel(s, [...inputs, out], { target, threads: 2 });
        const result = new Float32Array(out.shape.reduce((a, b) => a * b, 1));
        kernel.run([...data, result]);
        kernel.dispose();
        return result;
      }),
    );
    const [expected, actual] = results;
    for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected[i])));
  });
});
