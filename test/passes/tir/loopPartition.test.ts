import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, and, buffer, floatImm, ge, gt, intImm, load, lt, mul, select, sub, variable } from '../../../src/ir/expr.js';
import { forLoop, ifThenElse, primFunc, store } from '../../../src/tir/stmt.js';
import type { ForKind, PrimFunc } from '../../../src/tir/stmt.js';
import { printFunc, printStmt } from '../../../src/tir/print.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { loopPartition } from '../../../src/passes/tir/loopPartition.js';
import { runBoth } from './interp.js';

const ctx = makePassContext();
const io = variable('io');
const ii = variable('ii');

/** B[io*8 + ii] = A[io*8 + ii] + 1 over ceil(n/8) tiles of 8, guarded by io*8 + ii < n. */
function tail(n: number, kind: ForKind = 'serial'): PrimFunc {
  const A = buffer('A', 'float32', [n]);
  const B = buffer('B', 'float32', [n]);
  const x = add(mul(io, 8), ii);
  const guarded = ifThenElse(lt(x, n), store(B, [x], add(load(A, [x]), floatImm(1))));
  return primFunc('tail', [A, B], forLoop(io, intImm(0), intImm(Math.ceil(n / 8)), forLoop(ii, intImm(0), intImm(8), guarded), kind));
}

/** A 1-D "convolution" with padding: B[h] = Σ_r (0 <= h + r - 1 < n ? A[h + r - 1] : 0). */
function padded(n: number, kind: ForKind = 'serial'): PrimFunc {
  const A = buffer('A', 'float32', [n]);
  const B = buffer('B', 'float32', [n]);
  const h = variable('h');
  const r = variable('r');
  const src = sub(add(h, r), 1);
  const acc = store(B, [h], add(load(B, [h]), load(A, [src])));
  return primFunc('pad', [A, B], forLoop(h, intImm(0), intImm(n), forLoop(r, intImm(0), intImm(3), ifThenElse(and(ge(src, 0), lt(src, n)), acc)), kind));
}

describe('tir.loopPartition', () => {
  it('splits the outer loop into full tiles and the last partial tile', () => {
    // Rule: io*8 + ii < 30 holds for io ∈ [0, 3); for io = 3 it holds for ii ∈ [0, 6) only,
    // and is false for ii ∈ [6, 8), so that part disappears.
    expect(printFunc(loopPartition.run(tail(30), ctx))).toBe(
      [
        'func tail(A: float32[30], B: float32[30]) {',
        '  for (io, 0, 3) {',
        '    for (ii, 0, 8) {',
        '      B[io * 8 + ii] = A[io * 8 + ii] + 1.0f',
        '    }',
        '  }',
        '  for (io, 3, 1) {',
        '    for (ii, 0, 6) {',
        '      B[io * 8 + ii] = A[io * 8 + ii] + 1.0f',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('removes a guard that holds everywhere without cutting the loop', () => {
    // Rule: with n = 32 the guard always holds; one loop remains, branch-free.
    expect(printStmt(loopPartition.run(tail(32), ctx).body)).toBe('for (io, 0, 4) {\n  for (ii, 0, 8) {\n    B[io * 8 + ii] = A[io * 8 + ii] + 1.0f\n  }\n}\n');
  });

  it('finds a guard-free middle range for padding, then partitions the borders by r', () => {
    // Rule: 0 <= h + r - 1 < 10 for all r ∈ [0, 3) exactly when h ∈ [1, 9); at h = 0 only
    // r ∈ [1, 3) reads A, at h = 9 only r ∈ [0, 2).
    expect(printStmt(loopPartition.run(padded(10), ctx).body)).toBe(
      [
        'for (h, 0, 1) {',
        '  for (r, 1, 2) {',
        '    B[h] = B[h] + A[h + r - 1]',
        '  }',
        '}',
        'for (h, 1, 8) {',
        '  for (r, 0, 3) {',
        '    B[h] = B[h] + A[h + r - 1]',
        '  }',
        '}',
        'for (h, 9, 1) {',
        '  for (r, 0, 2) {',
        '    B[h] = B[h] + A[h + r - 1]',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('partitions on each conjunct of a two-dimensional tile guard', () => {
    // Rule: io*2 + ii < 3 && jo*2 + ji < 3 — jo = 0 makes the second conjunct hold, io = 0 the
    // first; the remainders keep only the conjunct still undecided, which the inner loops cut.
    const A = buffer('A', 'float32', [3, 3]);
    const [jo, ji] = [variable('jo'), variable('ji')];
    const [r, c] = [add(mul(io, 2), ii), add(mul(jo, 2), ji)];
    const guard = ifThenElse(and(lt(r, 3), lt(c, 3)), store(A, [r, c], floatImm(1)));
    const loops = forLoop(jo, intImm(0), intImm(2), forLoop(io, intImm(0), intImm(2), forLoop(ii, intImm(0), intImm(2), forLoop(ji, intImm(0), intImm(2), guard))));
    const before = primFunc('tile2d', [A], loops);
    const out = printStmt(loopPartition.run(before, ctx).body);
    expect(out).not.toContain('if (');
    expect(out.match(/A\[/g)).toHaveLength(4);
    const [a, b] = runBoth(before, loopPartition.run(before, ctx), 3);
    expect(b).toEqual(a);
  });

  it('treats the condition of a stored select as a guard: a pad copy keeps only its selected value inside', () => {
    // Rule: B[w] = select(1 <= w && w < 9, A[w - 1], 0) over w ∈ [0, 10): the select holds on
    // [1, 9), where the store copies A; at w = 0 and w = 9 it is false and stores 0.
    const A = buffer('A', 'float32', [8]);
    const B = buffer('B', 'float32', [10]);
    const w = variable('w');
    const value = select(and(ge(w, 1), lt(w, 9)), load(A, [sub(w, 1)]), floatImm(0));
    const before = primFunc('pad', [A, B], forLoop(w, intImm(0), intImm(10), store(B, [w], value)));
    const after = loopPartition.run(before, ctx);
    expect(printStmt(after.body)).toBe(['for (w, 0, 1) {', '  B[w] = 0.0f', '}', 'for (w, 1, 8) {', '  B[w] = A[w - 1]', '}', 'for (w, 9, 1) {', '  B[w] = 0.0f', '}', ''].join('\n'));
    const [a, b] = runBoth(before, after, 5);
    expect(b).toEqual(a);
  });

  it('leaves a select whose condition reads memory alone', () => {
    // Rule: a data-dependent condition (a ReLU) is never provable; the loop stays whole.
    const A = buffer('A', 'float32', [8]);
    const w = variable('w');
    const relu = store(A, [w], select(gt(load(A, [w]), floatImm(0)), load(A, [w]), floatImm(0)));
    const before = primFunc('relu', [A], forLoop(w, intImm(0), intImm(8), relu));
    expect(printStmt(loopPartition.run(before, ctx).body)).toBe(printStmt(before.body));
  });

  it('cuts a parallel loop inside its body, keeping every iteration in the one loop', () => {
    // Rule: cut outside, the partial last tile would run after the parallel loop on one thread;
    // instead each iteration branches to the copy of the body for its range.
    const before = tail(30, 'parallel');
    const after = loopPartition.run(before, ctx);
    expect(printStmt(after.body)).toBe(
      [
        'parallel (io, 0, 4) {',
        '  if (io < 3) {',
        '    for (ii, 0, 8) {',
        '      B[io * 8 + ii] = A[io * 8 + ii] + 1.0f',
        '    }',
        '  } else {',
        '    for (ii, 0, 6) {',
        '      B[io * 8 + ii] = A[io * 8 + ii] + 1.0f',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    // a second run finds the branch already decided in each copy: the same statement
    expect(printStmt(loopPartition.run(after, ctx).body)).toBe(printStmt(after.body));
    const [a, b] = runBoth(before, after, 7);
    expect(b).toEqual(a);
  });

  it('does not cut vectorized or thread loops', () => {
    expect(printStmt(loopPartition.run(tail(30, 'vectorized'), ctx).body)).toMatch(/^vectorized \(io, 0, 4\)/);
  });

  it('computes the same buffers as before', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.boolean(), fc.boolean(), fc.integer(), (n, pad, parallel, seed) => {
        const before = pad ? padded(n, parallel ? 'parallel' : 'serial') : tail(n, parallel ? 'parallel' : 'serial');
        const [a, b] = runBoth(before, loopPartition.run(before, ctx), seed);
        expect(b).toEqual(a);
      }),
      { numRuns: 25 },
    );
  });

  it('handles a long loop by sampling seeds', () => {
    // Rule: 1000 tiles of 8 with n = 7999: the first 999 tiles are full.
    const out = printStmt(loopPartition.run(tail(7999), ctx).body);
    expect(out).toContain('for (io, 0, 999) {');
    expect(out).toContain('for (io, 999, 1) {\n  for (ii, 0, 7) {');
  });
});
