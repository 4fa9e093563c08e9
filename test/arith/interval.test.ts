import { describe, expect, it } from 'vitest';
import {
  add,
  cast,
  div,
  floordiv,
  floormod,
  ge,
  intImm,
  letExpr,
  lt,
  max,
  min,
  mod,
  mul,
  ramp,
  select,
  sub,
  variable,
} from '../../src/ir/expr.js';
import type { Interval } from '../../src/arith/index.js';
import { evalInterval } from '../../src/arith/index.js';

const i = variable('i');
const j = variable('j');
const x = variable('x');
const u = variable('u', 'uint8');

const R = new Map<number, Interval>([
  [i.id, { min: 0, max: 7 }],
  [j.id, { min: 0, max: 3 }],
]);

describe('evalInterval', () => {
  it('constants are points', () => expect(evalInterval(intImm(5))).toEqual({ min: 5, max: 5 }));
  it('variables come from the ranges, or are unbounded', () => {
    expect(evalInterval(i, R)).toEqual({ min: 0, max: 7 });
    expect(evalInterval(x, R)).toEqual({ min: -Infinity, max: Infinity });
  });
  it('narrow-typed variables are bounded by their dtype', () => expect(evalInterval(u)).toEqual({ min: 0, max: 255 }));
  it('add and sub', () => expect(evalInterval(sub(add(i, j), 2), R)).toEqual({ min: -2, max: 8 }));
  it('multiplication by a negative constant flips', () => expect(evalInterval(mul(i, -3), R)).toEqual({ min: -21, max: 0 }));
  it('multiplication of intervals takes the corners', () => expect(evalInterval(mul(sub(i, 2), sub(j, 1)), R)).toEqual({ min: -5, max: 10 }));
  it('zero times unbounded is zero', () => expect(evalInterval(mul(x, 0), R)).toEqual({ min: 0, max: 0 }));
  it('cancelling terms do not widen: i*8 + j - i*8', () => expect(evalInterval(sub(add(mul(i, 8), j), mul(i, 8)), R)).toEqual({ min: 0, max: 3 }));
  it('x - floordiv(x, 4)*4 is floormod(x, 4): within [0, 3] for any x', () =>
    expect(evalInterval(sub(x, mul(floordiv(x, 4), 4)), R)).toEqual({ min: 0, max: 3 }));
  it('floordiv by a positive constant', () => expect(evalInterval(floordiv(sub(i, 3), 2), R)).toEqual({ min: -2, max: 2 }));
  it('floormod by a positive constant', () => {
    expect(evalInterval(floormod(x, 8), R)).toEqual({ min: 0, max: 7 });
    expect(evalInterval(floormod(add(i, 8), 16), R)).toEqual({ min: 8, max: 15 });
  });
  it('truncating div and mod keep the sign of the dividend', () => {
    expect(evalInterval(div(sub(i, 7), 2), R)).toEqual({ min: -3, max: 0 });
    expect(evalInterval(mod(sub(i, 7), 4), R)).toEqual({ min: -3, max: 0 });
    expect(evalInterval(mod(x, 4), R)).toEqual({ min: -3, max: 3 });
  });
  it('division by a range containing zero is unbounded', () =>
    expect(evalInterval(floordiv(i, sub(j, 1)), R)).toEqual({ min: -Infinity, max: Infinity }));
  it('a sum moved into a min: min(i*4 + 4, 30) - i*4 within [2, 4]', () =>
    expect(evalInterval(sub(min(add(mul(i, 4), 4), 30), mul(i, 4)), R)).toEqual({ min: 2, max: 4 }));
  it('min and max', () => {
    expect(evalInterval(min(i, 4), R)).toEqual({ min: 0, max: 4 });
    expect(evalInterval(max(i, j), R)).toEqual({ min: 0, max: 7 });
  });
  it('select is the union of its branches', () => expect(evalInterval(select(lt(x, 0), j, add(i, 10)), R)).toEqual({ min: 0, max: 17 }));
  it('select branches are bounded under their conditions', () =>
    expect(evalInterval(select(ge(i, 1), sub(i, 1), 0), R)).toEqual({ min: 0, max: 6 }));
  it('comparisons are booleans', () => expect(evalInterval(lt(x, i), R)).toEqual({ min: 0, max: 1 }));
  it('a widening cast keeps the range; a cast to uint8 that may wrap is the whole dtype', () => {
    expect(evalInterval(cast(i, 'int64'), R)).toEqual({ min: 0, max: 7 });
    expect(evalInterval(cast(sub(i, 1), 'uint8'), R)).toEqual({ min: 0, max: 255 });
  });
  it('narrow arithmetic that may wrap covers the whole dtype', () => expect(evalInterval(add(u, intImm(1, 'uint8')))).toEqual({ min: 0, max: 255 }));
  it('float expressions are unbounded', () => expect(evalInterval(cast(i, 'float32'), R)).toEqual({ min: -Infinity, max: Infinity }));
  it('a ramp covers all its lanes', () => expect(evalInterval(ramp(mul(i, 4), 1, 4), R)).toEqual({ min: 0, max: 31 }));
  it('a let binds its variable', () => {
    const t = variable('t');
    expect(evalInterval(letExpr(t, add(i, 1), mul(t, 2)), R)).toEqual({ min: 2, max: 16 });
  });
});
