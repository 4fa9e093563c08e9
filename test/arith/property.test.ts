import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CmpOp, Expr, Var } from '../../src/ir/expr.js';
import { add, and, broadcast, cmp, div, floordiv, floormod, intImm, max, min, mod, mul, not, or, ramp, select, sub, variable } from '../../src/ir/expr.js';
import { printExpr } from '../../src/ir/print.js';
import { exprEqual } from '../../src/ir/equal.js';
import type { Interval } from '../../src/arith/index.js';
import { canProve, evalInterval, simplify } from '../../src/arith/index.js';
import { evaluate } from './evaluate.js';

const VARS: readonly Var[] = [variable('x'), variable('y'), variable('z')];
const CMPS: readonly CmpOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

const { expr, cond } = fc.letrec<{ expr: Expr; cond: Expr }>((tie) => ({
  expr: fc.oneof(
    { maxDepth: 5, depthIdentifier: 'expr' },
    fc.constantFrom(...VARS),
    fc.integer({ min: -9, max: 9 }).map((v) => intImm(v)),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => add(a, b)),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => sub(a, b)),
    fc.tuple(tie('expr'), fc.integer({ min: -4, max: 4 })).map(([a, c]) => mul(a, c)),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => mul(a, b)),
    fc.tuple(tie('expr'), fc.integer({ min: 1, max: 9 })).map(([a, c]) => floordiv(a, c)),
    fc.tuple(tie('expr'), fc.integer({ min: 1, max: 9 })).map(([a, c]) => floormod(a, c)),
    fc.tuple(tie('expr'), fc.integer({ min: 1, max: 9 })).map(([a, c]) => div(a, c)),
    fc.tuple(tie('expr'), fc.integer({ min: 1, max: 9 })).map(([a, c]) => mod(a, c)),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => min(a, b)),
    fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => max(a, b)),
    fc.tuple(tie('cond'), tie('expr'), tie('expr')).map(([c, a, b]) => select(c, a, b)),
  ),
  cond: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'cond' },
    fc.tuple(fc.constantFrom(...CMPS), tie('expr'), tie('expr')).map(([op, a, b]) => cmp(op, a, b)),
    fc.tuple(fc.constantFrom(...CMPS), tie('expr'), fc.integer({ min: -20, max: 20 })).map(([op, a, b]) => cmp(op, a, b)),
    fc.tuple(tie('cond'), tie('cond')).map(([a, b]) => and(a, b)),
    fc.tuple(tie('cond'), tie('cond')).map(([a, b]) => or(a, b)),
    tie('cond').map((a) => not(a)),
  ),
}));

const DIVISORS = [2, 3, 4, 6, 8, 16];

/** Index arithmetic as split, fuse and tile produce it: non-negative, with round trips. */
const { index } = fc.letrec<{ index: Expr }>((tie) => ({
  index: fc.oneof(
    { maxDepth: 5, depthIdentifier: 'index' },
    fc.constantFrom(...VARS),
    fc.integer({ min: 0, max: 8 }).map((v) => intImm(v)),
    fc.tuple(tie('index'), tie('index')).map(([a, b]) => add(a, b)),
    fc.tuple(tie('index'), fc.constantFrom(1, 2, 3, 4, 8)).map(([a, c]) => mul(a, c)),
    fc.tuple(tie('index'), fc.constantFrom(...DIVISORS)).map(([a, c]) => floordiv(a, c)),
    fc.tuple(tie('index'), fc.constantFrom(...DIVISORS)).map(([a, c]) => floormod(a, c)),
    fc.tuple(tie('index'), fc.constantFrom(...DIVISORS)).map(([a, c]) => add(mul(floordiv(a, c), c), floormod(a, c))),
  ),
}));

/** Vector index arithmetic: ramps and broadcasts of index expressions, 4 lanes. */
const vector = fc.oneof(
  fc.tuple(index, fc.integer({ min: -2, max: 4 })).map(([b, st]) => ramp(b, st, 4)),
  index.map((b) => broadcast(b, 4)),
);
const vectorExpr = fc.letrec<{ v: Expr }>((tie) => ({
  v: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'vector' },
    vector,
    fc.tuple(tie('v'), tie('v')).map(([a, b]) => add(a, b)),
    fc.tuple(tie('v'), tie('v')).map(([a, b]) => sub(a, b)),
    fc.tuple(tie('v'), fc.integer({ min: 1, max: 8 })).map(([a, c]) => mul(a, broadcast(intImm(c), 4))),
    fc.tuple(tie('v'), fc.constantFrom(...DIVISORS)).map(([a, c]) => floordiv(a, broadcast(intImm(c), 4))),
    fc.tuple(tie('v'), fc.constantFrom(...DIVISORS)).map(([a, c]) => floormod(a, broadcast(intImm(c), 4))),
  ),
})).v;

/** Per variable: a range [min, min + extent - 1], or none (unbounded). */
const rangesArb = fc.array(fc.option(fc.tuple(fc.integer({ min: -10, max: 10 }), fc.integer({ min: 1, max: 12 })), { nil: undefined }), {
  minLength: 3,
  maxLength: 3,
});
/** Points in [0, 1) used to pick a value inside each variable's range. */
const pointsArb = fc.array(fc.tuple(fc.double({ min: 0, max: 0.999, noNaN: true }), fc.double({ min: 0, max: 0.999, noNaN: true }), fc.double({ min: 0, max: 0.999, noNaN: true })), {
  minLength: 1,
  maxLength: 6,
});

type Spec = ([number, number] | undefined)[];

function toRanges(spec: Spec): Map<number, Interval> {
  const m = new Map<number, Interval>();
  spec.forEach((r, k) => {
    if (r) m.set(VARS[k].id, { min: r[0], max: r[0] + r[1] - 1 });
  });
  return m;
}

function envs(spec: Spec, points: [number, number, number][]): Map<number, number>[] {
  return points.map((p) => {
    const env = new Map<number, number>();
    spec.forEach((r, k) => {
      const [lo, ext] = r ?? [-40, 81];
      env.set(VARS[k].id, lo + Math.floor(p[k] * ext));
    });
    return env;
  });
}

function contains(iv: Interval, v: number): boolean {
  return iv.min <= v && v <= iv.max;
}

/** Loop-like ranges: starting at 0 to 2. */
const loopRangesArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 16 })), { minLength: 3, maxLength: 3 });

const RUNS = { seed: 20240601, numRuns: 1000 };
/** Vector cases are 4 lanes of larger expressions: fewer runs cover as much. */
const VECTOR_RUNS = { seed: 20240601, numRuns: 300 };

describe('arith properties', () => {
  it('simplify preserves values, evalInterval contains them', () => {
    fc.assert(
      fc.property(expr, rangesArb, pointsArb, (e, spec, points) => {
        const ranges = toRanges(spec);
        const s = simplify(e, ranges);
        const iv = evalInterval(e, ranges);
        const ivs = evalInterval(s, ranges);
        for (const env of envs(spec, points)) {
          const v = evaluate(e, env);
          expect(evaluate(s, env), `${printExpr(e)} => ${printExpr(s)}`).toBe(v);
          expect(contains(iv, v), `${printExpr(e)} = ${v} outside [${iv.min}, ${iv.max}]`).toBe(true);
          expect(contains(ivs, v), `${printExpr(s)} = ${v} outside [${ivs.min}, ${ivs.max}]`).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('simplify preserves split/fuse index arithmetic', () => {
    fc.assert(
      fc.property(index, loopRangesArb, pointsArb, (e, spec, points) => {
        const ranges = toRanges(spec);
        const s = simplify(e, ranges);
        const iv = evalInterval(e, ranges);
        for (const env of envs(spec, points)) {
          const v = evaluate(e, env);
          expect(evaluate(s, env), `${printExpr(e)} => ${printExpr(s)}`).toBe(v);
          expect(contains(iv, v), `${printExpr(e)} = ${v} outside [${iv.min}, ${iv.max}]`).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('simplify preserves every lane of vector index arithmetic', () => {
    fc.assert(
      fc.property(vectorExpr, loopRangesArb, pointsArb, (e, spec, points) => {
        const ranges = toRanges(spec);
        const s = simplify(e, ranges);
        const iv = evalInterval(e, ranges);
        for (const env of envs(spec, points)) {
          for (let lane = 0; lane < 4; lane++) {
            const v = evaluate(e, env, lane);
            expect(evaluate(s, env, lane), `${printExpr(e)} => ${printExpr(s)} (lane ${lane})`).toBe(v);
            expect(contains(iv, v), `${printExpr(e)} = ${v} outside [${iv.min}, ${iv.max}]`).toBe(true);
          }
        }
      }),
      VECTOR_RUNS,
    );
  });

  it('canProve is sound and simplify preserves conditions', () => {
    let proved = 0;
    fc.assert(
      fc.property(cond, rangesArb, pointsArb, (c, spec, points) => {
        const ranges = toRanges(spec);
        const s = simplify(c, ranges);
        const sure = canProve(c, ranges);
        if (sure) proved++;
        for (const env of envs(spec, points)) {
          const v = evaluate(c, env);
          expect(evaluate(s, env), `${printExpr(c)} => ${printExpr(s)}`).toBe(v);
          if (sure) expect(v, `proved ${printExpr(c)}`).toBe(1);
        }
      }),
      RUNS,
    );
    // The property above is vacuous unless some conditions are proved.
    expect(proved).toBeGreaterThan(20);
  });

  it('simplify is idempotent', () => {
    fc.assert(
      fc.property(expr, rangesArb, (e, spec) => {
        const ranges = toRanges(spec);
        const s = simplify(e, ranges);
        const t = simplify(s, ranges);
        expect(exprEqual(s, t), `${printExpr(s)} => ${printExpr(t)}`).toBe(true);
      }),
      RUNS,
    );
  });
});
