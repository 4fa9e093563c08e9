import { describe, expect, it } from 'vitest';
import { compute, placeholder, reduceAxis, sum, mul, exp, printTensors, postOrder, TensorError } from '../../src/te/index.js';

describe('te', () => {
  it('defines a matmul and prints it', () => {
    const A = placeholder([4, 3], 'float32', 'A');
    const B = placeholder([3, 5], 'float32', 'B');
    const r = reduceAxis(3, 'r');
    const C = compute([4, 5], (i, j) => sum(mul(A.at(i, r.var), B.at(r.var, j)), [r]), 'C');
    expect(C.op.kind === 'compute' && C.op.reduceAxis.length).toBe(1);
    expect(printTensors([C])).toBe(
      ['A = placeholder(float32[4, 3])', 'B = placeholder(float32[3, 5])', 'C[i, j] = sum(A[i, r] * B[r, j], axis=[r:3])    # float32[4, 5]'].join('\n'),
    );
    expect(postOrder([C]).map((t) => t.name)).toEqual(['A', 'B', 'C']);
  });

  it('rejects a reduction below the top of a compute', () => {
    const A = placeholder([4], 'float32', 'A');
    const r = reduceAxis(4, 'r');
    expect(() => compute([1], () => exp(sum(A.at(r.var), [r])), 'bad')).toThrow(TensorError);
    expect(() => compute([1], () => exp(sum(A.at(r.var), [r])), 'bad')).toThrow('bad: a reduction may only appear at the top of a compute');
  });

  it('rejects a wrong number of indices', () => {
    const A = placeholder([4, 4], 'float32', 'A');
    expect(() => A.at(1)).toThrow('A: indexed with 1 indices, has 2 dimensions');
  });
});
