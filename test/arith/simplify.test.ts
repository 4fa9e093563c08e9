import { describe, expect, it } from 'vitest';
import type { Expr, Var } from '../../src/ir/expr.js';
import {
  add,
  and,
  broadcast,
  cast,
  div,
  eq,
  floordiv,
  floormod,
  ge,
  gt,
  intImm,
  le,
  letExpr,
  lt,
  max,
  min,
  mod,
  mul,
  ne,
  not,
  or,
  ramp,
  select,
  sub,
  variable,
} from '../../src/ir/expr.js';
import { printExpr } from '../../src/ir/print.js';
import type { Interval } from '../../src/arith/index.js';
import { simplify } from '../../src/arith/index.js';

const x = variable('x');
const y = variable('y');
const i = variable('i');
const j = variable('j');
const f = variable('f');
const n = variable('n');

/** i, j: loop-like [0, 8); f: a fused axis [0, 64); x, y, n: unbounded. */
const RANGES = new Map<number, Interval>([
  [i.id, { min: 0, max: 7 }],
  [j.id, { min: 0, max: 7 }],
  [f.id, { min: 0, max: 63 }],
]);

function s(e: Expr, ranges: ReadonlyMap<number, Interval> = RANGES): string {
  return printExpr(simplify(e, ranges));
}

function within(v: Var, min: number, max: number): Map<number, Interval> {
  return new Map([...RANGES, [v.id, { min, max }]]);
}

describe('linear forms', () => {
  it('cancels terms: (i*8 + j) - i*8 → j', () => expect(s(sub(add(mul(i, 8), j), mul(i, 8)))).toBe('j'));
  it('collects coefficients: x*4 + x*4 → x*8', () => expect(s(add(mul(x, 4), mul(x, 4)))).toBe('x * 8'));
  it('orders terms by variable: j + i → i + j', () => expect(s(add(j, i))).toBe('i + j'));
  it('puts the constant last: 3 + (x - 1) → x + 2', () => expect(s(add(3, sub(x, 1)))).toBe('x + 2'));
  it('subtracts negative terms: x - y*2', () => expect(s(add(mul(y, -2), x))).toBe('x - y * 2'));
  it('distributes a constant factor: (x + 1)*3 → x*3 + 3', () => expect(s(mul(add(x, 1), 3))).toBe('x * 3 + 3'));
  it('multiplies by zero to zero on integers: x*0 → 0', () => expect(s(mul(x, 0))).toBe('0'));
  it('orders the operands of a product: y*x → x*y', () => expect(s(mul(y, x))).toBe('x * y'));
  it('gives equal linear forms equal expressions', () => {
    const a = simplify(add(add(mul(i, 8), j), 1));
    const b = simplify(sub(add(j, mul(add(i, 1), 8)), 7));
    expect(printExpr(a)).toBe(printExpr(b));
  });
});

describe('floordiv and floormod', () => {
  it('floordiv(x*c + y, c) → x + floordiv(y, c)', () => expect(s(floordiv(add(mul(x, 8), y), 8))).toBe('x + floordiv(y, 8)'));
  it('floordiv(y, c) → 0 when 0 ≤ y < c', () => expect(s(floordiv(j, 8))).toBe('0'));
  it('floormod(y, c) → y when 0 ≤ y < c', () => expect(s(floormod(j, 8))).toBe('j'));
  it('floormod(x*c + y, c) → floormod(y, c)', () => expect(s(floormod(add(mul(x, 8), y), 8))).toBe('floormod(y, 8)'));
  it('floordiv(i*8 + j, 8) → i for j in [0, 8)', () => expect(s(floordiv(add(mul(i, 8), j), 8))).toBe('i'));
  it('floormod(i*8 + j, 8) → j for j in [0, 8)', () => expect(s(floormod(add(mul(i, 8), j), 8))).toBe('j'));
  it('splits the constant: floordiv(x + 10, 4) → floordiv(x + 2, 4) + 2', () => expect(s(floordiv(add(x, 10), 4))).toBe('floordiv(x + 2, 4) + 2'));
  it('a range within one period: floormod(j + 8, 8) → j', () => expect(s(floormod(add(j, 8), 8))).toBe('j'));
  it('floordiv(floordiv(x, a), b) → floordiv(x, a*b)', () => expect(s(floordiv(floordiv(x, 4), 2))).toBe('floordiv(x, 8)'));
  it('floormod(floormod(x, a), b) → floormod(x, b) when b divides a', () => expect(s(floormod(floormod(x, 8), 4))).toBe('floormod(x, 4)'));
  it('floordiv(x, 1) → x', () => expect(s(floordiv(x, 1))).toBe('x'));
  it('floormod(x, 1) → 0', () => expect(s(floormod(x, 1))).toBe('0'));
  it('cancels a common factor: floordiv(x*4, 8) → floordiv(x, 2)', () => expect(s(floordiv(mul(x, 4), 8))).toBe('floordiv(x, 2)'));
  it('factors out of floormod: floormod(x*4, 8) → floormod(x, 2)*4', () => expect(s(floormod(mul(x, 4), 8))).toBe('floormod(x, 2) * 4'));
  it('undoes a split of a tiled axis: floordiv(x*4 + j, 8) → floordiv(x, 2) for j < 4', () =>
    expect(s(floordiv(add(mul(x, 4), j), 8), within(j, 0, 3))).toBe('floordiv(x, 2)'));
  it('and its remainder: floormod(x*4 + j, 8) → j + floormod(x, 2)*4 for j < 4', () =>
    expect(s(floormod(add(mul(x, 4), j), 8), within(j, 0, 3))).toBe('j + floormod(x, 2) * 4'));
  it('fused-axis round trip: floordiv(f, n)*n + floormod(f, n) → f', () => expect(s(add(mul(floordiv(f, 8), 8), floormod(f, 8)))).toBe('f'));
  it('round trip without ranges: floordiv(x, 3)*3 + floormod(x, 3) → x', () => expect(s(add(mul(floordiv(x, 3), 3), floormod(x, 3)))).toBe('x'));
  it('round trip of a sum: floordiv(x + y, 5)*5 + floormod(x + y, 5) → x + y', () =>
    expect(s(add(mul(floordiv(add(x, y), 5), 5), floormod(add(x, y), 5)))).toBe('x + y'));
  it('round trip of a longer sum, scaled: (floordiv(x + y*3 + 1, 7)*7 + floormod(x + y*3 + 1, 7))*2 → x*2 + y*6 + 2', () => {
    const sum = add(add(x, mul(y, 3)), 1);
    expect(s(mul(add(mul(floordiv(sum, 7), 7), floormod(sum, 7)), 2))).toBe('x * 2 + y * 6 + 2');
  });
  it('round trip through two splits → f', () => {
    const e = add(add(mul(floordiv(f, 8), 8), mul(floormod(floordiv(f, 2), 4), 2)), floormod(f, 2));
    expect(s(e)).toBe('f');
  });
  it('x - floordiv(x, c)*c → floormod(x, c)', () => expect(s(sub(x, mul(floordiv(x, 4), 4)))).toBe('floormod(x, 4)'));
  it('truncating div becomes floordiv for non-negative operands: i / 2 → floordiv(i, 2)', () => expect(s(div(i, 2))).toBe('floordiv(i, 2)'));
  it('truncating mod becomes floormod for non-negative operands: (i*8 + j) % 8 → j', () => expect(s(mod(add(mul(i, 8), j), 8))).toBe('j'));
  it('truncating div stays when the sign is unknown: x / 2', () => expect(s(div(x, 2))).toBe('x / 2'));
  it('x / 1 → x and x % 1 → 0 for any sign', () => {
    expect(s(div(x, 1))).toBe('x');
    expect(s(mod(x, 1))).toBe('0');
  });
  it('a divisor known larger than the dividend: floordiv(j, n) → 0 for n ≥ 8', () => expect(s(floordiv(j, n), within(n, 8, 100))).toBe('0'));
  it('leaves a negative divisor alone: floordiv(x, -2)', () => expect(s(floordiv(x, -2))).toBe('floordiv(x, -2)'));
});

describe('min and max', () => {
  it('min(x, 10) → x when x ≤ 10', () => expect(s(min(j, 10))).toBe('j'));
  it('max(x, 10) → 10 when x ≤ 10', () => expect(s(max(j, 10))).toBe('10'));
  it('min(x, x) → x', () => expect(s(min(x, x))).toBe('x'));
  it('min(x + c1, x + c2) → x + min(c1, c2)', () => expect(s(min(add(x, 1), add(x, 3)))).toBe('x + 1'));
  it('max(x + c1, x + c2) → x + max(c1, c2)', () => expect(s(max(add(x, 1), add(x, 3)))).toBe('x + 3'));
  it('min(min(x, 10), 5) → min(x, 5)', () => expect(s(min(min(x, 10), 5))).toBe('min(x, 5)'));
  it('min(x, max(x, y)) → x', () => expect(s(min(x, max(x, y)))).toBe('x'));
  it('puts constants last: min(4, x) → min(x, 4)', () => expect(s(min(4, x))).toBe('min(x, 4)'));
  it('keeps an undecided min: min(i, 4)', () => expect(s(min(i, 4))).toBe('min(i, 4)'));
  it('moves a sum into a min when one side folds: min(i*4 + 4, n) - i*4 → min(n - i*4, 4)', () =>
    expect(s(sub(min(add(mul(i, 4), 4), n), mul(i, 4)))).toBe('min(n - i * 4, 4)'));
  it('and decides it when ranges allow: min(j*4 + 4, 40) - j*4 → 4 for j < 8', () => expect(s(sub(min(add(mul(j, 4), 4), 40), mul(j, 4)))).toBe('4'));
});

describe('comparisons', () => {
  it('decides from the bound of a - b: i < 8 → true', () => expect(s(lt(i, 8))).toBe('true'));
  it('decides false: i*8 + j >= 64 → false', () => expect(s(ge(add(mul(i, 8), j), 64))).toBe('false'));
  it('x < x → false', () => expect(s(lt(x, x))).toBe('false'));
  it('x <= x → true on integers', () => expect(s(le(x, x))).toBe('true'));
  it('x + 1 == x + 1 → true; x != x + 1 → true', () => {
    expect(s(eq(add(x, 1), add(x, 1)))).toBe('true');
    expect(s(ne(x, add(x, 1)))).toBe('true');
  });
  it('moves constants right: x + 3 < 10 → x < 7', () => expect(s(lt(add(x, 3), 10))).toBe('x < 7'));
  it('divides out a common factor: x*4 < 17 → x < 5', () => expect(s(lt(mul(x, 4), 17))).toBe('x < 5'));
  it('divides out rounding the right way: x*4 <= 17 → x <= 4; x*4 > 17 → x > 4', () => {
    expect(s(le(mul(x, 4), 17))).toBe('x <= 4');
    expect(s(gt(mul(x, 4), 17))).toBe('x > 4');
  });
  it('an equality with no integer solution: x*4 == 6 → false', () => expect(s(eq(mul(x, 4), 6))).toBe('false'));
  it('keeps variables on the side of their sign: x + 1 < y → x < y - 1', () => expect(s(lt(add(x, 1), y))).toBe('x < y - 1'));
  it('a lone constant on the left flips: 5 < x → x > 5', () => expect(s(lt(5, x))).toBe('x > 5'));
  it('divides out a factor common to both sides: x*2 + 1 < y*4 → x < y*2', () => expect(s(lt(add(mul(x, 2), 1), mul(y, 4)))).toBe('x < y * 2'));
});

describe('logic and select', () => {
  const c = lt(x, y);
  it('true && c → c; false && c → false', () => {
    expect(s(and(lt(i, 8), c))).toBe('x < y');
    expect(s(and(lt(i, 0), c))).toBe('false');
  });
  it('c || true → true; c || false → c', () => {
    expect(s(or(c, lt(i, 8)))).toBe('true');
    expect(s(or(c, lt(i, 0)))).toBe('x < y');
  });
  it('c && c → c; c && !c → false', () => {
    expect(s(and(c, c))).toBe('x < y');
    expect(s(and(eq(x, y), not(eq(x, y))))).toBe('false');
    expect(s(or(lt(x, y), ge(x, y)))).toBe('true');
  });
  it('!(a < b) → a >= b on integers', () => expect(s(not(lt(x, y)))).toBe('x >= y'));
  it('!!c → c', () => expect(s(not(not(c)))).toBe('x < y'));
  it('select(true, a, b) → a', () => expect(s(select(lt(i, 8), x, y))).toBe('x'));
  it('select(c, true, false) → c; select(c, false, true) → !c', () => {
    expect(s(select(c, lt(i, 8), lt(i, 0)))).toBe('x < y');
    expect(s(select(c, lt(i, 0), lt(i, 8)))).toBe('x >= y');
  });
  it('select(c, a, a) → a', () => expect(s(select(c, add(x, 1), add(1, x)))).toBe('x + 1'));
  it('select(!c, a, b) → select(c, b, a)', () => {
    const b = variable('b', 'bool');
    expect(s(select(not(b), x, y))).toBe('select(b, y, x)');
  });
  it('a branch knows its condition: select(i < 4, min(i, 3), 0) → select(i < 4, i, 0)', () =>
    expect(s(select(lt(i, 4), min(i, 3), 0))).toBe('select(i < 4, i, 0)'));
  it('the else branch knows the negation: select(i < 4, 0, floordiv(i, 4)) → select(i < 4, 0, 1)', () =>
    expect(s(select(lt(i, 4), 0, floordiv(i, 4)))).toBe('select(i < 4, 0, 1)'));
  it('the right of && knows the left: i >= 2 && i - 2 >= 0 → i >= 2', () => expect(s(and(ge(i, 2), ge(sub(i, 2), 0)))).toBe('i >= 2'));
  it('facts from a linear guard: i*8 + j < 60 && i < 8 → i*8 + j < 60', () =>
    expect(s(and(lt(add(mul(i, 8), j), 60), lt(i, 8)))).toBe('i * 8 + j < 60'));
});

describe('robustness', () => {
  it('gives back a deeply nested expression unchanged instead of overflowing the stack', () => {
    let e: Expr = x;
    for (let k = 0; k < 50_000; k++) e = add(e, x);
    expect(simplify(e)).toBe(e);
  });
});

describe('scopes, casts and vectors', () => {
  it('a let body knows the value range', () => {
    const t = variable('t');
    expect(s(letExpr(t, floormod(x, 4), lt(t, 4)))).toBe('(let t = floormod(x, 4) in true)');
  });
  it('int32(int64(x)) → x', () => expect(s(cast(cast(x, 'int64'), 'int32'))).toBe('x'));
  it('keeps a narrowing round trip: int32(int8(x))', () => expect(s(cast(cast(x, 'int8'), 'int32'))).toBe('int32(int8(x))'));
  it('simplifies a ramp base', () => expect(s(ramp(sub(add(mul(i, 8), j), mul(i, 8)), 1, 4))).toBe('ramp(j, 1, 4)'));
  it('simplifies inside a broadcast', () => expect(s(broadcast(add(x, 0), 4))).toBe('x4(x)'));
  it('ramp(a, s) + x(b) → ramp(a + b, s)', () => expect(s(add(ramp(mul(i, 4), 1, 4), broadcast(mul(j, 16), 4)))).toBe('ramp(i * 4 + j * 16, 1, 4)'));
  it('ramp(a, s) - ramp(b, t) → ramp(a - b, s - t)', () => expect(s(sub(ramp(add(x, 2), 3, 4), ramp(x, 1, 4)))).toBe('ramp(2, 2, 4)'));
  it('ramp(a, s) * x(c) → ramp(a*c, s*c)', () => expect(s(mul(ramp(x, 1, 4), broadcast(intImm(8), 4)))).toBe('ramp(x * 8, 8, 4)'));
  it('x(a) op x(b) → x(a op b)', () => expect(s(add(broadcast(x, 4), broadcast(intImm(0), 4)))).toBe('x4(x)'));
  it('floordiv of a ramp within one period → broadcast', () => expect(s(floordiv(ramp(mul(i, 4), 1, 4), broadcast(intImm(4), 4)))).toBe('x4(i)'));
  it('floormod of a ramp within one period → ramp', () => expect(s(floormod(ramp(mul(i, 4), 1, 4), broadcast(intImm(4), 4)))).toBe('ramp(0, 1, 4)'));
  it('floordiv of a ramp that crosses a period stays', () =>
    expect(s(floordiv(ramp(mul(i, 2), 1, 4), broadcast(intImm(4), 4)))).toBe('floordiv(ramp(i * 2, 1, 4), x4(4))'));
  it('leaves float vector arithmetic alone', () => {
    const a = variable('a', 'float32');
    expect(s(add(broadcast(a, 4), ramp(a, 1, 4)))).toBe('x4(a) + ramp(a, 1, 4)');
  });
});
