/**
 * Every binary, comparison and logic op on every dtype, and every cast, on js and c, against
 * references computed here with BigInt (integers) or plain JS doubles (floats). Inputs aim at
 * the edges: int32/int8/uint8 overflow, MIN / -1, negative div/mod, division by zero (defined
 * as 0 for integers), division by constants (shifts and masks in c), NaN and -0 in min/max,
 * float→int truncation and wrap to 8 bits.
 */

import type { DType } from '../../src/ir/dtype.js';
import { isFloat } from '../../src/ir/dtype.js';
import type { BinaryOp, CmpOp } from '../../src/ir/expr.js';
import { and, binary, cast, cmp, intImm, not, or } from '../../src/ir/expr.js';
import type { Case } from './harness.js';
import { elementwise, hostArray, runOnTargets } from './harness.js';

const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'mod', 'floordiv', 'floormod', 'min', 'max'];
const CMP_OPS: readonly CmpOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];
const NUMERIC: readonly DType[] = ['float32', 'float64', 'int8', 'uint8', 'int32', 'int64'];
const ALL: readonly DType[] = [...NUMERIC, 'bool'];

const PAIRS: Record<Exclude<DType, 'bool'>, [number, number][]> = {
  float32: [[1.5, -0.25], [-7.5, 2], [7.5, -2], [-7.5, -2], [1e30, 1e30], [0.1, 0.2], [-0, 0], [3, 0], [NaN, 1], [1, NaN], [5.5, 5.5]],
  float64: [[1.5, -0.25], [-7.5, 2], [7.5, -2], [-7.5, -2], [1e300, 1e300], [0.1, 0.2], [-0, 0], [3, 0], [NaN, 1], [1, NaN], [5.5, 5.5]],
  int8: [[127, 1], [-128, -1], [-7, 2], [7, -2], [-7, -2], [100, 3], [5, 0], [-128, 127], [-6, 3]],
  uint8: [[255, 1], [0, 1], [200, 2], [7, 2], [5, 0], [3, 250], [250, 3]],
  int32: [[2147483647, 1], [-2147483648, -1], [7, -2], [-7, 2], [-7, -2], [7, 2], [5, 0], [0, 5], [123456, 7890], [-2147483648, 2147483647], [-6, 3]],
  int64: [[2 ** 40, 3], [-7, 2], [7, -2], [-7, -2], [-(2 ** 50), -1], [5, 0], [123456789, 1000], [-6, 3]],
};

function wrap(t: DType, v: bigint): bigint {
  if (t === 'uint8') return BigInt.asUintN(8, v);
  return BigInt.asIntN(t === 'int8' ? 8 : t === 'int32' ? 32 : 64, v);
}

function refInt(op: BinaryOp, t: DType, a: bigint, b: bigint): bigint {
  const flips = (r: bigint): boolean => r !== 0n && r < 0n !== b < 0n;
  switch (op) {
    case 'add':
      return wrap(t, a + b);
    case 'sub':
      return wrap(t, a - b);
    case 'mul':
      return wrap(t, a * b);
    case 'div':
      return b === 0n ? 0n : wrap(t, a / b);
    case 'mod':
      return b === 0n ? 0n : a % b;
    case 'floordiv':
      return b === 0n ? 0n : wrap(t, a / b - (flips(a % b) ? 1n : 0n));
    case 'floormod':
      return b === 0n ? 0n : a % b + (flips(a % b) ? b : 0n);
    case 'min':
      return b < a ? b : a;
    case 'max':
      return a < b ? b : a;
  }
}

function refFloat(op: BinaryOp, t: DType, a: number, b: number): number {
  const r = t === 'float32' ? Math.fround : (x: number): number => x;
  switch (op) {
    case 'add':
      return r(a + b);
    case 'sub':
      return r(a - b);
    case 'mul':
      return r(a * b);
    case 'div':
      return r(a / b);
    case 'mod':
      return a % b;
    case 'floordiv':
      return Math.floor(r(a / b));
    case 'floormod': {
      const m = a % b;
      return r(m !== 0 && m < 0 !== b < 0 ? m + b : m);
    }
    case 'min':
      return b < a ? b : a;
    case 'max':
      return a < b ? b : a;
  }
}

function binaryCase(op: BinaryOp, t: Exclude<DType, 'bool'>): Case {
  const pairs = PAIRS[t];
  const as = pairs.map((p) => p[0]);
  const bs = pairs.map((p) => p[1]);
  const asFloat = t === 'float32' ? Math.fround : (x: number): number => x;
  const expected = pairs.map(([a, b]) => {
    if (isFloat(t)) return refFloat(op, t, asFloat(a), asFloat(b));
    const v = refInt(op, t, BigInt(a), BigInt(b));
    return t === 'int64' ? v : Number(v);
  });
  return {
    func: elementwise(`${op}_${t}`, [t, t], t, pairs.length, (x, y) => binary(op, x, y)),
    args: () => [hostArray(t, as), hostArray(t, bs), hostArray(t, as.map(() => 0))],
    expect: [{ arg: 2, values: expected }],
  };
}

const DIVIDENDS: Record<'int8' | 'uint8' | 'int32' | 'int64', number[]> = {
  int8: [-128, -17, -16, -1, 0, 1, 15, 16, 17, 127],
  uint8: [0, 1, 15, 16, 17, 255],
  int32: [-2147483648, -17, -16, -1, 0, 1, 15, 16, 17, 2147483647],
  int64: [-(2 ** 50) - 3, -17, -16, -1, 0, 1, 17, 2 ** 50 + 5],
};

/** Division by a constant (the c target specializes it: shifts, masks, unguarded division). */
function constantDivisorCase(op: BinaryOp, t: keyof typeof DIVIDENDS, c: number): Case {
  const xs = DIVIDENDS[t];
  const want = xs.map((x) => refInt(op, t, BigInt(x), BigInt(c)));
  return {
    func: elementwise(`${op}_${t}_by_${c}`, [t], t, xs.length, (x) => binary(op, x, intImm(c, t))),
    args: () => [hostArray(t, xs), hostArray(t, xs.map(() => 0))],
    expect: [{ arg: 1, values: t === 'int64' ? want : want.map(Number) }],
  };
}

const CMP_PAIRS: Record<DType, [number, number][]> = {
  float32: [[1, 2], [2, 1], [2, 2], [NaN, 1], [-0, 0]],
  float64: [[1, 2], [2, 1], [2, 2], [NaN, 1], [-0, 0]],
  int8: [[-1, 1], [1, -1], [3, 3], [-128, 127]],
  uint8: [[255, 0], [0, 255], [7, 7]],
  int32: [[-1, 1], [1, -1], [3, 3], [-2147483648, 2147483647]],
  int64: [[-1, 1], [1, -1], [3, 3], [-(2 ** 50), 2 ** 50]],
  bool: [[0, 1], [1, 0], [1, 1], [0, 0]],
};

function refCmp(op: CmpOp, a: number, b: number): number {
  const r = { eq: a === b, ne: a !== b, lt: a < b, le: a <= b, gt: a > b, ge: a >= b }[op];
  return r ? 1 : 0;
}

function cmpCase(op: CmpOp, t: DType): Case {
  const pairs = CMP_PAIRS[t];
  return {
    func: elementwise(`${op}_${t}`, [t, t], 'bool', pairs.length, (x, y) => cmp(op, x, y)),
    args: () => [hostArray(t, pairs.map((p) => p[0])), hostArray(t, pairs.map((p) => p[1])), new Uint8Array(pairs.length)],
    expect: [{ arg: 2, values: pairs.map(([a, b]) => refCmp(op, a, b)) }],
  };
}

const BOOL_A = [0, 0, 1, 1];
const BOOL_B = [0, 1, 0, 1];
const logicCases: Case[] = [
  ['and', (x: number, y: number) => x & y, and] as const,
  ['or', (x: number, y: number) => x | y, or] as const,
].map(([name, ref, make]) => ({
  func: elementwise(`logic_${name}`, ['bool', 'bool'], 'bool', 4, (x, y) => make(x, y)),
  args: () => [Uint8Array.from(BOOL_A), Uint8Array.from(BOOL_B), new Uint8Array(4)],
  expect: [{ arg: 2, values: BOOL_A.map((a, i) => ref(a, BOOL_B[i])) }],
}));
logicCases.push({
  func: elementwise('logic_not', ['bool'], 'bool', 4, (x) => not(x)),
  args: () => [Uint8Array.from(BOOL_A), new Uint8Array(4)],
  expect: [{ arg: 1, values: BOOL_A.map((a) => 1 - a) }],
});

const CAST_FROM: Record<DType, number[]> = {
  float32: [1.9, -1.9, 0, -0, 300.7, -300.7, 2.5, 100000.5, 16777217, 0.1],
  float64: [1.9, -1.9, 0, -0, 300.7, -300.7, 2.5, 100000.5, 16777217, 0.1],
  int32: [300, -1, 256, -129, 2147483647, -2147483648, 0, 1, 16777217],
  int64: [2 ** 40 + 5, -1, 300, -(2 ** 40), 0, 2 ** 53 - 1],
  int8: [-128, 127, -1, 0, 5],
  uint8: [255, 0, 128, 7],
  bool: [0, 1, 1, 0],
};

function refCast(from: DType, to: DType, v: number): number | bigint {
  if (to === 'bool') return v !== 0 ? 1 : 0;
  if (to === 'float32') return Math.fround(v);
  if (to === 'float64') return v;
  const w = wrap(to, BigInt(isFloat(from) ? Math.trunc(v) : v));
  return to === 'int64' ? w : Number(w);
}

function castCase(from: DType, to: DType): Case {
  // NaN only where it is defined: to bool (true) and to floats (NaN)
  const values = [...CAST_FROM[from], ...(isFloat(from) && (to === 'bool' || isFloat(to)) ? [NaN] : [])];
  const input = from === 'float32' ? values.map(Math.fround) : values;
  return {
    func: elementwise(`cast_${from}_to_${to}`, [from], to, values.length, (x) => cast(x, to)),
    args: () => [hostArray(from, input), hostArray(to, values.map(() => 0))],
    expect: [{ arg: 1, values: input.map((v) => refCast(from, to, v)) }],
  };
}

const cases: Case[] = [
  ...NUMERIC.flatMap((t) => BINARY_OPS.map((op) => binaryCase(op, t as Exclude<DType, 'bool'>))),
  ...ALL.flatMap((t) => CMP_OPS.map((op) => cmpCase(op, t))),
  ...logicCases,
  ...(['int8', 'uint8', 'int32', 'int64'] as const).flatMap((t) =>
    (['div', 'mod', 'floordiv', 'floormod'] as const).flatMap((op) => [1, 4, 7].map((c) => constantDivisorCase(op, t, c))),
  ),
  ...ALL.flatMap((from) => ALL.filter((to) => to !== from).map((to) => castCase(from, to))),
];

runOnTargets(cases);
