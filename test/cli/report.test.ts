/**
 * @file The numbers `kiln compare` and `kiln run` report: the per-output error and its tolerance
 * (max_abs ≤ 1e-4·max|reference| + 1e-5, which decides compare's exit status), medians and
 * tensor summaries.
 */

import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/api/tensor.js';
import { median, outputError, summarize } from '../../src/cli/report.js';

const t = (values: readonly number[], dims = [values.length]) => new Tensor('float32', values, dims);

describe('outputError', () => {
  it('passes within 1e-4·max|reference| + 1e-5 and fails beyond it', () => {
    expect(outputError(t([100, 1]), t([100.009, 1]))).toMatchObject({ ok: true });
    const e = outputError(t([100, 1]), t([100, 1.02]));
    expect(e.ok).toBe(false);
    expect(e.maxAbs).toBeCloseTo(0.02, 5);
    expect(e.maxRel).toBeCloseTo(0.0002, 6);
  });

  it('matches NaN with NaN only', () => {
    expect(outputError(t([NaN, 1]), t([NaN, 1]))).toMatchObject({ ok: true, maxAbs: 0 });
    expect(outputError(t([NaN, 1]), t([0, 1]))).toMatchObject({ ok: false, maxAbs: Infinity });
  });

  it('reports outputs of different shapes as a mismatch', () => {
    expect(outputError(t([1, 2]), t([1, 2], [1, 2]))).toMatchObject({ ok: false, mismatch: 'got float32[2], reference is float32[1, 2]' });
  });
});

describe('report helpers', () => {
  it('takes medians of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('summarizes a tensor, counting NaNs apart', () => {
    expect(summarize(t([1, -2, NaN, 4], [2, 2]))).toBe('float32[2, 2]  min -2  max 4  mean 1  NaN 1');
  });
});
