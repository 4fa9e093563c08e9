// TIR → wasm on hand-built PrimFuncs: every dtype and operator against a JS statement of its
// semantics (C-like wrap and truncation, floor division), casts, comparisons and selects.
import { describe, expect, it } from 'vitest';
import type { HostArray } from '../../../src/codegen/target.js';
import { WasmRuntimeError } from '../../../src/codegen/wasm/index.js';
import type { DType } from '../../../src/ir/dtype.js';
import type { BinaryOp, CmpOp, Expr } from '../../../src/ir/expr.js';
import { add, and, binary, buffer, call, cast, cmp, constant, intImm, load, not, or, select, variable } from '../../../src/ir/expr.js';
import { forLoop, primFunc, store } from '../../../src/tir/stmt.js';
import { runFunc } from './helpers.js';

const N = 64;

/** Edge values first, then a deterministic spread; ints as numbers (int64 as bigint later). */
function sample(dtype: DType, seed: number): number[] {
  const edges: Record<DType, number[]> = {
    int32: [-2147483648, 2147483647, -1, 0, 1, -7, 7, 65536],
    int8: [-128, 127, -1, 0, 1, -7, 7, 100],
    uint8: [0, 255, 1, 128, 7, 200, 13, 99],
    int64: [-(2 ** 53), 2 ** 53, -1, 0, 1, -7, 7, 2 ** 40],
    bool: [0, 1, 1, 0, 1, 0, 0, 1],
    float32: [0, -0, 1.5, -2.25, 3e38, -1e-40, 7, -7],
    float64: [0, -0, 1.5, -2.25, 1e300, -1e-310, 7, -7],
  };
  const [lo, hi] = dtype === 'uint8' ? [0, 255] : dtype === 'int8' ? [-128, 127] : dtype === 'bool' ? [0, 1] : [-1e6, 1e6];
  const out = [...edges[dtype]];
  let s = seed;
  while (out.length < N) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const v = lo + (s / 2 ** 31) * (hi - lo);
    out.push(dtype.startsWith('float') ? v : Math.round(v));
  }
  return out;
}

function hostArray(dtype: DType, values: readonly number[]): HostArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'int8':
      return Int8Array.from(values);
    case 'int64':
      return BigInt64Array.from(values.map((v) => BigInt(v)));
    default:
      return Uint8Array.from(values);
  }
}

const asNumbers = (a: HostArray): number[] => Array.from(a as ArrayLike<number | bigint>, Number);

/** The integer result wrapped to `dtype` (numbers; int64 via BigInt). */
function wrapInt(v: bigint, dtype: DType): number {
  if (dtype === 'int64') return Number(BigInt.asIntN(64, v));
  if (dtype === 'int32') return Number(BigInt.asIntN(32, v));
  if (dtype === 'int8') return Number(BigInt.asIntN(8, v));
  if (dtype === 'bool') return v !== 0n ? 1 : 0;
  return Number(BigInt.asUintN(8, v));
}

function refBinary(op: BinaryOp, dtype: DType, a: number, b: number): number {
  if (dtype === 'float32' || dtype === 'float64') {
    const r = dtype === 'float32' ? Math.fround : (x: number): number => x;
    const [x, y] = [r(a), r(b)];
    const q: Record<BinaryOp, () => number> = {
      add: () => x + y, sub: () => x - y, mul: () => x * y, div: () => x / y, mod: () => x % y,
      floordiv: () => Math.floor(r(x / y)), floormod: () => x - r(Math.floor(r(x / y)) * y),
      min: () => Math.min(x, y), max: () => Math.max(x, y),
    };
    return r(q[op]());
  }
  const [x, y] = [BigInt(a), BigInt(b)];
  const trunc = x / y;
  const floor = trunc * y !== x && (x < 0n) !== (y < 0n) ? trunc - 1n : trunc;
  const q: Record<BinaryOp, () => bigint> = {
    add: () => x + y, sub: () => x - y, mul: () => x * y, div: () => trunc, mod: () => x % y,
    floordiv: () => floor, floormod: () => x - floor * y, min: () => (x < y ? x : y), max: () => (x > y ? x : y),
  };
  return wrapInt(q[op](), dtype);
}

/** out[i] = f(a[i], b[i]) over N elements, run once. */
async function mapBinary(dtype: DType, outType: DType, f: (a: Expr, b: Expr) => Expr, a: number[], b: number[]): Promise<number[]> {
  const [A, B, C] = [buffer('A', dtype, [N]), buffer('B', dtype, [N]), buffer('C', outType, [N])];
  const i = variable('i');
  const fn = primFunc('f', [A, B, C], forLoop(i, intImm(0), intImm(N), store(C, [i], f(load(A, [i]), load(B, [i])))));
  const out = hostArray(outType, new Array<number>(N).fill(0));
  await runFunc(fn, [hostArray(dtype, a), hostArray(dtype, b), out]);
  return asNumbers(out);
}

const ARITH: readonly BinaryOp[] = ['add', 'sub', 'mul', 'min', 'max'];
const DIVISION: readonly BinaryOp[] = ['div', 'mod', 'floordiv', 'floormod'];

describe('arithmetic on every dtype', () => {
  it.each(['float32', 'float64', 'int32', 'int8', 'uint8', 'int64'] as const)('%s: add, sub, mul, min, max, div, mod, floordiv, floormod', async (dtype) => {
    const a = sample(dtype, 1);
    // divisors without 0 (which traps on integers) and, for integers, without the −1 that overflows INT_MIN
    const b = sample(dtype, 2).map((v, i) => (v === 0 || (v === -1 && i < 8) ? 3 : v));
    // float mod is exact only for moderate quotients (see its own test)
    const ops = dtype.startsWith('float') ? [...ARITH, ...DIVISION.filter((o) => o !== 'mod')] : [...ARITH, ...DIVISION];
    for (const op of ops) {
      const got = await mapBinary(dtype, dtype, (x, y) => binary(op, x, y), a, b);
      const want = a.map((x, i) => refBinary(op, dtype, x, b[i]));
      expect(got, `${dtype} ${op}`).toEqual(want);
    }
  });

  it('wraps int32 overflow like two’s complement', async () => {
    const pad = (v: number[]): number[] => [...v, ...new Array<number>(N - v.length).fill(0)];
    const got = await mapBinary('int32', 'int32', (x, y) => binary('add', binary('mul', x, y), intImm(2147483647)), pad([65536, -65536, 3, 0]), pad([65536, 65536, 715827883, 0]));
    expect(got.slice(0, 4)).toEqual([(0 + 2147483647) | 0, (-0 + 2147483647) | 0, (Math.imul(3, 715827883) + 2147483647) | 0, 2147483647]);
  });

  it('rounds floor division toward −∞ for negative operands and constant divisors', async () => {
    const a = [-7, 7, -8, 8, -1, 0, -2147483648, 2147483647];
    for (const d of [4, 3, -4, -3]) {
      const got = await mapBinary('int32', 'int32', (x) => binary('floordiv', x, intImm(d)), [...a, ...new Array<number>(N - 8).fill(0)], new Array<number>(N).fill(1));
      const gotMod = await mapBinary('int32', 'int32', (x) => binary('floormod', x, intImm(d)), [...a, ...new Array<number>(N - 8).fill(0)], new Array<number>(N).fill(1));
      expect(got.slice(0, 8), `floordiv by ${d}`).toEqual(a.map((x) => Math.floor(x / d) + 0));
      expect(gotMod.slice(0, 8), `floormod by ${d}`).toEqual(a.map((x) => x - Math.floor(x / d) * d + 0));
    }
  });

  it('traps integer division by zero as a WasmRuntimeError', async () => {
    await expect(mapBinary('int32', 'int32', (x, y) => binary('div', x, y), new Array<number>(N).fill(1), new Array<number>(N).fill(0))).rejects.toThrow(WasmRuntimeError);
  });

  it('computes C fmod on floats, exactly', async () => {
    const a = [5.5, -5.5, 1e10, -0, 7, 3, Infinity, 1];
    const b = [2, 2, 3, 1, -2.5, Infinity, 2, 0];
    const pad = (v: number[]): number[] => [...v, ...new Array<number>(N - v.length).fill(1)];
    const got = await mapBinary('float32', 'float32', (x, y) => binary('mod', x, y), pad(a), pad(b));
    expect(got.slice(0, 8)).toEqual(a.map((x, i) => Math.fround(Math.fround(x) % b[i])));
  });
});

describe('comparisons, logic and select', () => {
  it.each(['float32', 'float64', 'int32', 'int8', 'uint8', 'int64'] as const)('%s: six comparisons', async (dtype) => {
    const a = sample(dtype, 3);
    const b = a.map((v, i) => (i % 3 === 0 ? v : sample(dtype, 4)[i]));
    const ops: [CmpOp, (x: number, y: number) => boolean][] = [
      ['eq', (x, y) => x === y], ['ne', (x, y) => x !== y], ['lt', (x, y) => x < y],
      ['le', (x, y) => x <= y], ['gt', (x, y) => x > y], ['ge', (x, y) => x >= y],
    ];
    const r = dtype === 'float32' ? Math.fround : (x: number): number => x;
    for (const [op, ref] of ops) {
      const got = await mapBinary(dtype, 'bool', (x, y) => cmp(op, x, y), a, b);
      expect(got, `${dtype} ${op}`).toEqual(a.map((x, i) => (ref(r(x), r(b[i])) ? 1 : 0)));
    }
  });

  it('combines with and/or/not and selects values', async () => {
    const a = sample('int32', 5);
    const b = sample('int32', 6);
    const got = await mapBinary('int32', 'int32', (x, y) => select(or(and(cmp('gt', x, y), cmp('gt', x, intImm(0))), not(cmp('ne', y, intImm(7)))), x, binary('sub', y, x)), a, b);
    expect(got).toEqual(a.map((x, i) => ((x > b[i] && x > 0) || b[i] === 7 ? x : (b[i] - x) | 0)));
  });

  it('reads any nonzero bool byte as true', async () => {
    const got = await mapBinary('bool', 'int32', (x) => cast(x, 'int32'), [2, 255, 0, 1, ...new Array<number>(N - 4).fill(0)], new Array<number>(N).fill(0));
    expect(got.slice(0, 4)).toEqual([1, 1, 0, 1]);
  });
});

describe('casts', () => {
  const exact: Record<DType, (v: number) => number> = {
    float32: Math.fround, float64: (v) => v, int32: (v) => wrapInt(BigInt(Math.trunc(v)), 'int32'),
    int8: (v) => wrapInt(BigInt(Math.trunc(v)), 'int8'), uint8: (v) => wrapInt(BigInt(Math.trunc(v)), 'uint8'),
    int64: (v) => Math.trunc(v) + 0, bool: (v) => (v !== 0 ? 1 : 0),
  };
  const types: DType[] = ['float32', 'float64', 'int32', 'int8', 'uint8', 'int64', 'bool'];
  it.each(types)('from %s to every dtype', async (from) => {
    // values every source type holds exactly and whose float → int conversion is defined in C
    const values = sample(from, 7).map((v) => (from.startsWith('float') ? Math.max(-2e9, Math.min(2e9, v)) : v));
    for (const to of types) {
      const got = await mapBinary(from, to, (x) => cast(x, to), values, values);
      const src = from === 'float32' ? values.map(Math.fround) : values;
      expect(got, `${from} → ${to}`).toEqual(src.map((v) => (to.startsWith('float') || to === 'bool' ? exact[to](v) : exact[to](Math.trunc(v)))));
    }
  });

  it('wraps float → uint8/int8 through int32 like an integer store', async () => {
    const got = await mapBinary('float32', 'uint8', (x) => cast(x, 'uint8'), [300.7, -1.5, 255.9, 0.2, ...new Array<number>(N - 4).fill(0)], new Array<number>(N).fill(0));
    expect(got.slice(0, 4)).toEqual([44, 255, 255, 0]);
    const signed = await mapBinary('float64', 'int8', (x) => cast(x, 'int8'), [200, -129, 127.9, -0.5, ...new Array<number>(N - 4).fill(0)], new Array<number>(N).fill(0));
    expect(signed.slice(0, 4)).toEqual([-56, 127, 127, 0]);
  });

  it('folds constants of every dtype', async () => {
    const got = await mapBinary('float64', 'float64', () => binary('add', cast(constant(-3, 'int8'), 'float64'), cast(constant(300, 'uint8'), 'float64')), new Array<number>(N).fill(0), new Array<number>(N).fill(0));
    expect(got[0]).toBe(-3 + (300 & 255));
  });
});

/** Rounds to the nearest integer, ties to even, keeping the sign of zero. */
function halfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  const y = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
  return y === 0 && (x < 0 || Object.is(x, -0)) ? -0 : y;
}

describe('math calls with an instruction', () => {
  it('computes abs, floor, ceil, round (half to even), sqrt and rsqrt', async () => {
    const xs = [2.5, -0.5, 3.5, -2.5, 4, 0.25, -7.75, 1e-3];
    const pad = (v: number[]): number[] => [...v, ...new Array<number>(N - v.length).fill(1)];
    const fns = { abs: Math.abs, floor: Math.floor, ceil: Math.ceil, round: halfEven, sqrt: Math.sqrt, rsqrt: null };
    for (const dtype of ['float32', 'float64'] as const) {
      const r = dtype === 'float32' ? Math.fround : (x: number): number => x;
      // rsqrt is 1/sqrt in the element type: two roundings
      const rsqrt = (x: number): number => 1 / r(Math.sqrt(x));
      for (const [fn, ref] of Object.entries(fns)) {
        const got = await mapBinary(dtype, dtype, (x) => call(fn as 'abs', x), pad(xs), pad(xs));
        expect(got.slice(0, 8), `${dtype} ${fn}`).toEqual(xs.map((x) => r((ref ?? rsqrt)(r(x)))));
      }
    }
    expect((await mapBinary('float32', 'float32', (x) => call('round', x), pad([-0.5, 0.5, 1.5, -1.5]), pad([]))).slice(0, 4)).toEqual([-0, 0, 2, -2]);
  });

  it('computes integer abs with wrap-around and passes integers through floor/ceil/round', async () => {
    const got = await mapBinary('int8', 'int8', (x) => add(call('abs', x), call('round', x)), [-128, -5, 5, 0, ...new Array<number>(N - 4).fill(0)], new Array<number>(N).fill(0));
    expect(got.slice(0, 4)).toEqual([0, 0, 10, 0]);
  });
});
