import { describe, expect, it } from 'vitest';
import { add, floordiv, floormod, ge, lt, mul, variable } from '../../src/ir/expr.js';
import { printExpr } from '../../src/ir/print.js';
import { Analyzer } from '../../src/arith/index.js';

describe('Analyzer', () => {
  const i = variable('i');
  const j = variable('j');

  it('bindLoop gives [min, min + extent)', () => {
    const an = new Analyzer();
    an.bindLoop(i, 2, 5);
    expect(an.interval(i)).toEqual({ min: 2, max: 6 });
    expect(an.canProve(lt(i, 7))).toBe(true);
    expect(an.canProve(lt(i, 6))).toBe(false);
  });

  it('simplifies under its bindings', () => {
    const an = new Analyzer();
    an.bindLoop(j, 0, 4);
    expect(printExpr(an.simplify(floordiv(add(mul(i, 4), j), 4)))).toBe('i');
  });

  it('withScope drops the bindings made inside it', () => {
    const an = new Analyzer();
    an.bindLoop(i, 0, 8);
    const inner = an.withScope(() => {
      an.bind(i, { min: 0, max: 3 });
      an.bindLoop(j, 0, 4);
      return an.canProve(lt(add(i, j), 7));
    });
    expect(inner).toBe(true);
    expect(an.interval(i)).toEqual({ min: 0, max: 7 });
    expect(an.interval(j)).toEqual({ min: -Infinity, max: Infinity });
  });

  it('withScope restores the bindings when its function throws', () => {
    const an = new Analyzer();
    expect(() =>
      an.withScope(() => {
        an.bindLoop(i, 0, 2);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(an.interval(i)).toEqual({ min: -Infinity, max: Infinity });
  });

  it('an empty loop is bound to its first value', () => {
    const an = new Analyzer();
    an.bindLoop(i, 3, 0);
    expect(an.interval(i)).toEqual({ min: 3, max: 3 });
  });

  it('assume narrows ranges inside a scope', () => {
    const an = new Analyzer();
    an.bindLoop(i, 0, 8);
    an.bindLoop(j, 0, 4);
    an.withScope(() => {
      an.assume(ge(i, 7));
      expect(an.interval(i)).toEqual({ min: 7, max: 7 });
      // Facts are drawn from the ranges known when assuming: here i = 7, so j ≤ 29 - 28.
      an.assume(lt(add(mul(i, 4), j), 30));
      expect(an.interval(j)).toEqual({ min: 0, max: 1 });
    });
    expect(an.interval(i)).toEqual({ min: 0, max: 7 });
  });

  it('proves split bounds', () => {
    const an = new Analyzer();
    an.bindLoop(i, 0, 8);
    an.bindLoop(j, 0, 8);
    expect(an.canProve(lt(add(mul(i, 8), j), 64))).toBe(true);
    expect(printExpr(an.simplify(floormod(add(mul(i, 8), j), 8)))).toBe('j');
  });
});
