import { describe, expect, it } from 'vitest';
import type { DType } from '../../src/ir/dtype.js';
import type { Expr } from '../../src/ir/expr.js';
import {
  add,
  call,
  cast,
  div,
  eq,
  floatImm,
  floordiv,
  floormod,
  intImm,
  lt,
  max,
  min,
  mod,
  mul,
  ne,
  not,
  select,
  sub,
  variable,
} from '../../src/ir/expr.js';
import { printExpr } from '../../src/ir/print.js';
import { simplify } from '../../src/arith/index.js';

const s = (e: Expr): string => printExpr(simplify(e));
const int = (v: number, t: DType = 'int32'): Expr => intImm(v, t);
const f32 = (v: number): Expr => floatImm(v, 'float32');

describe('constant folding', () => {
  it('int32 arithmetic folds exactly', () => {
    expect(s(add(int(2), int(3)))).toBe('5');
    expect(s(sub(int(2), int(3)))).toBe('-1');
    expect(s(mul(int(-4), int(6)))).toBe('-24');
  });
  it('an int32 op that overflows is left alone', () => {
    expect(s(add(int(2147483647), int(1)))).toBe('2147483647 + 1');
    expect(s(mul(int(65536), int(65536)))).toBe('65536 * 65536');
    expect(s(div(int(-2147483648), int(-1)))).toBe('-2147483648 / -1');
  });
  it('division by zero is left alone', () => {
    expect(s(div(int(1), int(0)))).toBe('1 / 0');
    expect(s(floormod(int(1), int(0)))).toBe('floormod(1, 0)');
  });
  it('div and mod truncate, floordiv and floormod floor', () => {
    expect(s(div(int(-7), int(2)))).toBe('-3');
    expect(s(mod(int(-7), int(2)))).toBe('-1');
    expect(s(floordiv(int(-7), int(2)))).toBe('-4');
    expect(s(floormod(int(-7), int(2)))).toBe('1');
    expect(s(floormod(int(7), int(-2)))).toBe('-1');
  });
  it('int64 folds through exact integer division', () => {
    expect(s(floordiv(int(9007199254740991, 'int64'), int(2, 'int64')))).toBe('4503599627370495L');
    expect(s(add(int(9007199254740991, 'int64'), int(1, 'int64')))).toBe('9007199254740991L + 1L');
  });
  it('uint8 arithmetic that would wrap is left alone', () => expect(s(add(int(250, 'uint8'), int(10, 'uint8')))).toBe('250:uint8 + 10:uint8'));
  it('float32 rounds after the op', () => expect(s(add(f32(0.1), f32(0.2)))).toBe(`${Math.fround(Math.fround(0.1) + Math.fround(0.2))}f`));
  it('float64 does not round to float32', () => expect(s(add(floatImm(0.1, 'float64'), floatImm(0.2, 'float64')))).toBe('0.30000000000000004'));
  it('float division by zero is IEEE', () => expect(s(div(f32(1), f32(0)))).toBe('inf'));
  it('float min/max with NaN or signed zeros is left alone', () => {
    expect(s(min(f32(NaN), f32(1)))).toBe('min(nan, 1.0f)');
    expect(s(max(f32(-0), f32(0)))).toBe('max(0.0f, 0.0f)');
    expect(s(min(f32(2), f32(1)))).toBe('1.0f');
  });
  it('comparisons fold, NaN compares unequal', () => {
    expect(s(lt(int(1), int(2)))).toBe('true');
    expect(s(eq(f32(NaN), f32(NaN)))).toBe('false');
    expect(s(ne(f32(NaN), f32(NaN)))).toBe('true');
  });
  it('logic and select with constant conditions', () => {
    expect(s(not(lt(int(1), int(2))))).toBe('false');
    expect(s(select(lt(int(2), int(1)), int(5), int(6)))).toBe('6');
  });
  it('casts: float → int truncates toward zero', () => {
    expect(s(cast(f32(-2.7), 'int32'))).toBe('-2');
    expect(s(cast(f32(2.7), 'int32'))).toBe('2');
  });
  it('casts: out of range or NaN float → int32 is left alone', () => {
    expect(s(cast(f32(3e9), 'int32'))).toBe('int32(3000000000.0f)');
    expect(s(cast(f32(NaN), 'int32'))).toBe('int32(nan)');
  });
  it('casts: to bool is != 0', () => {
    expect(s(cast(f32(0.5), 'bool'))).toBe('true');
    expect(s(cast(int(0), 'bool'))).toBe('false');
    expect(s(cast(f32(NaN), 'bool'))).toBe('true');
  });
  it('casts: to int8/uint8 wrap', () => {
    expect(s(cast(int(300), 'uint8'))).toBe('44:uint8');
    expect(s(cast(int(-1), 'uint8'))).toBe('255:uint8');
    expect(s(cast(int(200), 'int8'))).toBe('-56:int8');
    expect(s(cast(f32(300.7), 'uint8'))).toBe('44:uint8');
  });
  it('casts: int → float32 rounds', () => expect(s(cast(int(16777217), 'float32'))).toBe('16777216.0f'));
  it('math calls on constants', () => {
    expect(s(call('sqrt', f32(4)))).toBe('2.0f');
    expect(s(call('exp', f32(0)))).toBe('1.0f');
    expect(s(call('round', f32(2.5)))).toBe('2.0f');
    expect(s(call('round', f32(-3.5)))).toBe('-4.0f');
    expect(s(call('pow', f32(2), f32(10)))).toBe('1024.0f');
    expect(s(call('abs', int(-3)))).toBe('3');
  });
  it('erf is not folded', () => expect(s(call('erf', f32(0.5)))).toBe('erf(0.5f)'));
});

describe('float arithmetic is never reassociated', () => {
  const a = variable('a', 'float32');
  const b = variable('b', 'float32');
  it('(a + b) - b stays', () => expect(s(sub(add(a, b), b))).toBe('a + b - b'));
  it('a + 0.0 stays (-0.0 + 0.0 is 0.0)', () => expect(s(add(a, f32(0)))).toBe('a + 0.0f'));
  it('a * 0.0 stays (NaN and ∞)', () => expect(s(mul(a, f32(0)))).toBe('a * 0.0f'));
  it('a - a stays (∞ - ∞ is NaN)', () => expect(s(sub(a, a))).toBe('a - a'));
  it('constants are not regrouped: (a + 1) + 2 stays', () => expect(s(add(add(a, f32(1)), f32(2)))).toBe('a + 1.0f + 2.0f'));
  it('a * 1.0 → a and a / 1.0 → a', () => {
    expect(s(mul(a, f32(1)))).toBe('a');
    expect(s(div(a, f32(1)))).toBe('a');
  });
  it('a == a stays (NaN), a < a is false', () => {
    expect(s(eq(a, a))).toBe('a == a');
    expect(s(lt(a, a))).toBe('false');
  });
  it('!(a < b) stays on floats', () => expect(s(not(lt(a, b)))).toBe('!(a < b)'));
});
