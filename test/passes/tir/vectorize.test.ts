import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, buffer, call, cast, floatImm, floordiv, floormod, ge, intImm, letExpr, load, lt, mul, select, sub, variable } from '../../../src/ir/expr.js';
import type { Expr, Var } from '../../../src/ir/expr.js';
import { forLoop, ifThenElse, letStmt, primFunc, seq, store } from '../../../src/tir/stmt.js';
import type { PrimFunc, Stmt } from '../../../src/tir/stmt.js';
import { printFunc, printStmt } from '../../../src/tir/print.js';
import { verifyFunc } from '../../../src/tir/verify.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { vectorize } from '../../../src/passes/tir/vectorize.js';
import { runBoth } from './interp.js';

const ctx = makePassContext();
const A = buffer('A', 'float32', [32]);
const B = buffer('B', 'float32', [32]);
const C = buffer('C', 'float32', [32]);
const i = variable('i');
const j = variable('j');
const k = variable('k');
const x = variable('x', 'float32');
const y = variable('y', 'float32');

const vloop = (body: Stmt, lanes = 8, min: Expr = intImm(0), v: Var = j) => forLoop(v, min, intImm(lanes), body, 'vectorized');
const func = (body: Stmt): PrimFunc => primFunc('k', [A, B, C], body);
const body = (f: PrimFunc): string => printStmt(f.body);

/** The 4×8 register tile of a GEMM: C[i*8 + j] += A[i*4 + k] * B[k*8 + j], j vectorized. */
function gemmTile(): PrimFunc {
  const cij = add(mul(i, 8), j);
  const update = store(C, [cij], add(load(C, [cij]), mul(load(A, [add(mul(i, 4), k)]), load(B, [add(mul(k, 8), j)]))));
  return func(forLoop(i, intImm(0), intImm(4), forLoop(k, intImm(0), intImm(4), vloop(update))));
}

/** Programs the pass must either vectorize or leave serial, all with the same meaning after. */
const programs: Record<string, () => PrimFunc> = {
  gemm: gemmTile,
  accumulator: () => func(vloop(store(C, [intImm(0)], add(load(C, [intImm(0)]), load(A, [j]))))),
  guardInBounds: () => func(vloop(ifThenElse(lt(j, 5), store(B, [j], load(A, [j])), store(B, [j], floatImm(-1))))),
  guardTail: () => func(forLoop(i, intImm(0), intImm(4), vloop(ifThenElse(lt(add(mul(i, 8), j), 30), store(B, [add(mul(i, 8), j)], load(A, [add(mul(i, 8), add(j, 2))])))))),
  dependence: () => func(vloop(store(B, [add(j, 1)], load(B, [j])), 8)),
  gather: () => func(vloop(store(B, [j], load(A, [floordiv(mul(j, j), 2)])))),
  depthToSpace: () => {
    const read = load(A, [add(add(mul(floordiv(j, 2), 4), floormod(j, 2)), mul(i, 2))]);
    return func(forLoop(i, intImm(0), intImm(2), vloop(store(B, [add(mul(i, 16), j)], read), 16)));
  },
  strided: () => func(vloop(store(B, [j], load(A, [mul(j, 2)])), 8, intImm(4))),
  innerLoop: () => func(vloop(forLoop(k, intImm(0), intImm(2), store(B, [j], load(A, [add(j, k)]))))),
  uniformIf: () => func(forLoop(i, intImm(0), intImm(4), vloop(ifThenElse(lt(i, 2), store(B, [add(mul(i, 8), j)], call('exp', load(A, [j]))))))),
  lets: () => func(vloop(letStmt(x, cast(j, 'float32'), store(B, [j], letExpr(y, mul(x, x), add(y, load(A, [sub(intImm(31), j)]))))))),
  padSelect: () => func(vloop(store(B, [j], select(ge(j, 1), load(A, [sub(j, 1)]), floatImm(0))))),
  extentOne: () => func(vloop(store(B, [j], load(A, [j])), 1, intImm(3))),
};

describe('tir.vectorize', () => {
  it('turns a GEMM register tile into contiguous vector accesses with a broadcast of A', () => {
    // Rule: j → ramp(0, 1, 8); i*8 + ramp → ramp(i*8, 1, 8); A's index is uniform → broadcast.
    expect(printFunc(vectorize.run(gemmTile(), ctx))).toBe(
      [
        'func k(A: float32[32], B: float32[32], C: float32[32]) {',
        '  for (i, 0, 4) {',
        '    for (k, 0, 4) {',
        '      C[ramp(i * 8, 1, 8)] = C[ramp(i * 8, 1, 8)] + x8(A[i * 4 + k]) * B[ramp(k * 8, 1, 8)]',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('keeps an accumulator, a dependence between lanes, a gather and an inner loop serial', () => {
    // Rule: each of these would change the result or need a gather; the loop just becomes serial.
    for (const name of ['accumulator', 'dependence', 'gather', 'innerLoop'] as const) {
      const out = body(vectorize.run(programs[name](), ctx));
      expect(out.startsWith('for (j, 0, 8) {'), name).toBe(true);
    }
  });

  it('reads through floordiv and floormod of the variable in strided ramps, phase by phase', () => {
    // Rule: j = 2q + r: a serial loop over the phase r, q vectorized over 16 / 2 lanes; the
    // index floordiv(j, 2)·4 + floormod(j, 2) becomes a ramp of stride 4, the store's j of 2.
    expect(body(vectorize.run(programs.depthToSpace(), ctx))).toBe(
      ['for (i, 0, 2) {', '  for (j.r, 0, 2) {', '    B[ramp(i * 16 + j.r, 2, 8)] = A[ramp(i * 2 + j.r, 4, 8)]', '  }', '}', ''].join('\n'),
    );
  });

  it('turns an if on the vector variable into selects when every lane is in bounds', () => {
    // Rule: if (j < 5) S1 else S2 → S1 with mask j < 5, S2 with mask !(j < 5).
    expect(body(vectorize.run(programs.guardInBounds(), ctx))).toBe(
      [
        'B[ramp(0, 1, 8)] = select(ramp(0, 1, 8) < x8(5), A[ramp(0, 1, 8)], B[ramp(0, 1, 8)])',
        'B[ramp(0, 1, 8)] = select(!(ramp(0, 1, 8) < x8(5)), x8(-1.0f), B[ramp(0, 1, 8)])',
        '',
      ].join('\n'),
    );
  });

  it('keeps a tail guard serial when its lanes would leave the buffer', () => {
    // Rule: in the last tile, lanes 30 and 31 of A[i*8 + j + 2] are past the end of A.
    expect(body(vectorize.run(programs.guardTail(), ctx))).toContain('  for (j, 0, 8) {\n    if (');
  });

  it('keeps uniform conditions as ifs, strides ramps, and widens lets', () => {
    // Rule: a condition without j stays a scalar if; A[j*2] with j from 4 is ramp(8, 2, 8);
    // a let whose value depends on j becomes a vector let.
    expect(body(vectorize.run(programs.uniformIf(), ctx))).toContain('if (i < 2) {\n    B[ramp(i * 8, 1, 8)] = exp(A[ramp(0, 1, 8)])');
    expect(body(vectorize.run(programs.strided(), ctx))).toBe('B[ramp(4, 1, 8)] = A[ramp(4 * 2, 2, 8)]\n');
    const lets = body(vectorize.run(programs.lets(), ctx));
    expect(lets).toBe('let x = float32x8(ramp(0, 1, 8))\nB[ramp(0, 1, 8)] = (let y = x * x in y + A[ramp(31, -1, 8)])\n');
  });

  it('keeps a select with a vector condition only when both branches are in bounds', () => {
    // Rule: select(j >= 1, A[j - 1], 0) reads A[-1] on lane 0 once both branches are evaluated.
    expect(body(vectorize.run(programs.padSelect(), ctx)).startsWith('for (j, 0, 8)')).toBe(true);
  });

  it('substitutes a loop of one lane', () => {
    expect(body(vectorize.run(programs.extentOne(), ctx))).toBe('B[3] = A[3]\n');
  });

  it('produces verified functions that compute the same buffers', () => {
    const names = Object.keys(programs);
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.integer(), (name, seed) => {
        const before = programs[name]();
        const after = vectorize.run(before, ctx);
        verifyFunc(after);
        const [a, b] = runBoth(before, after, seed);
        expect(b).toEqual(a);
      }),
      { numRuns: 60 },
    );
  });

  it('leaves a vectorized loop with a symbolic extent serial', () => {
    const f = func(forLoop(i, intImm(1), intImm(4), forLoop(j, intImm(0), i, store(B, [j], floatImm(0)), 'vectorized')));
    expect(body(vectorize.run(f, ctx))).toContain('for (j, 0, i)');
    expect(() => verifyFunc(vectorize.run(seqFunc(), ctx))).not.toThrow();
  });
});

function seqFunc(): PrimFunc {
  return func(vloop(seq(store(B, [j], load(A, [j])), store(C, [j], add(load(B, [j]), floatImm(1))))));
}
