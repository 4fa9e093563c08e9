/**
 * Vector TIR on js (lane by lane) and c (GCC vector extensions): contiguous ramps of 3, 4, 5, 8
 * and 16 lanes (3 and 5 use padded vector types), strided gathers and scatters, broadcast loads
 * and stores, indices computed as vectors, select/compare/logic masks over 8-, 32- and 64-bit
 * lanes, math calls, casts (including float → uint8 and to/from bool), integer division, ramps
 * used as values, vector lets, and a GEMM micro-kernel written the way a schedule produces one.
 *
 * Values are chosen to be exact, except in the math calls and the GEMM, which allow float32
 * tolerances (libm rounding; FMA contraction in c: rtol 1e-5 over a 64-term dot product).
 */

import type { DType } from '../../src/ir/dtype.js';
import type { Buffer, Expr, Var } from '../../src/ir/expr.js';
import {
  add, and, binary, broadcast, buffer, call, cast, floatImm, floordiv, gt, intImm, letExpr, load, lt, mul, not, ramp, select, variable,
} from '../../src/ir/expr.js';
import type { Stmt } from '../../src/tir/stmt.js';
import { allocate, forLoop, letStmt, primFunc, seq, store } from '../../src/tir/stmt.js';
import type { Case } from './harness.js';
import { hostArray, runOnTargets } from './harness.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

interface Spec {
  readonly name: string;
  readonly lanes: number;
  readonly iters: number;
  readonly bufs: readonly [string, DType, readonly number[]][];
  readonly body: (i: Var, b: Buffer[], L: number) => Stmt;
  /** expected values per buffer index (the others are inputs) */
  readonly expect: Record<number, readonly (number | bigint)[]>;
  readonly rtol?: number;
  readonly atol?: number;
}

function vcase(s: Spec): Case {
  const bufs = s.bufs.map(([n, t, v]) => buffer(n, t, [v.length]));
  const i = variable('i');
  return {
    func: primFunc(s.name, bufs, forLoop(i, intImm(0), intImm(s.iters), s.body(i, bufs, s.lanes))),
    args: () => s.bufs.map(([, t, v]) => hostArray(t, v)),
    expect: Object.entries(s.expect).map(([arg, values]) => ({ arg: Number(arg), values, rtol: s.rtol, atol: s.atol })),
  };
}

const row = (i: Expr, L: number): Expr => ramp(mul(i, L), 1, L);
const zeros = (n: number): number[] => new Array<number>(n).fill(0);

/** out = a * 3 + b over contiguous vectors, for a dtype and lane count. */
function axpy(t: DType, L: number): Case {
  const n = 4 * L;
  const a = range(n).map((k) => (k % 7) * (t === 'uint8' ? 30 : 11) - (t === 'uint8' ? 0 : 30));
  const b = range(n).map((k) => k % 5);
  const wrapped = (v: number): number => (t === 'int8' ? ((v << 24) >> 24) : t === 'uint8' ? v & 255 : v);
  return vcase({
    name: `axpy_${t}_x${L}`, lanes: L, iters: 4,
    bufs: [['a', t, a], ['b', t, b], ['out', t, zeros(n)]],
    body: (i, [A, B, O]) => store(O, [row(i, L)], add(mul(load(A, [row(i, L)]), broadcast(t === 'float32' || t === 'float64' ? floatImm(3, t) : intImm(3, t), L)), load(B, [row(i, L)]))),
    expect: { 2: a.map((x, k) => wrapped(x * 3 + b[k])) },
  });
}

const src = range(64).map((k) => k * 1.5);

const cases: Case[] = [
  ...[3, 4, 5, 8, 16].flatMap((L) => [axpy('float32', L), axpy('int32', L)]),
  axpy('int8', 16),
  axpy('uint8', 8),
  axpy('float64', 4),
  vcase({
    name: 'gather_stride3', lanes: 8, iters: 2,
    bufs: [['in', 'float32', src], ['out', 'float32', zeros(16)]],
    body: (i, [I, O], L) => store(O, [row(i, L)], load(I, [ramp(mul(i, 2), 3, L)])),
    expect: { 1: range(16).map((k) => src[Math.floor(k / 8) * 2 + (k % 8) * 3]) },
  }),
  vcase({
    name: 'scatter_stride4', lanes: 4, iters: 4,
    bufs: [['in', 'float32', src.slice(0, 16)], ['out', 'float32', zeros(16)]],
    body: (i, [I, O], L) => store(O, [ramp(i, 4, L)], load(I, [row(i, L)])),
    expect: { 1: range(16).map((k) => src[(k % 4) * 4 + Math.floor(k / 4)]) },
  }),
  vcase({
    name: 'broadcast_index_load_store', lanes: 8, iters: 4,
    bufs: [['in', 'float32', src.slice(0, 32)], ['wide', 'float32', zeros(32)], ['last', 'float32', zeros(4)]],
    body: (i, [I, W, Last], L) => seq(
      store(W, [row(i, L)], load(I, [broadcast(i, L)])),
      store(Last, [broadcast(i, L)], load(I, [row(i, L)])),
    ),
    expect: { 1: range(32).map((k) => src[Math.floor(k / 8)]), 2: range(4).map((k) => src[k * 8 + 7]) },
  }),
  vcase({
    name: 'computed_vector_index', lanes: 8, iters: 2,
    bufs: [['in', 'int32', range(16).map((k) => k * 10)], ['out', 'int32', zeros(16)]],
    body: (i, [I, O], L) => store(O, [row(i, L)], load(I, [floordiv(row(i, L), broadcast(intImm(2), L))])),
    expect: { 1: range(16).map((k) => Math.floor(k / 2) * 10) },
  }),
  ...(['float32', 'int8', 'float64'] as const).map((t) => {
    const L = t === 'int8' ? 16 : t === 'float64' ? 4 : 8;
    const a = range(2 * L).map((k) => (k % 5) - 2);
    const b = range(2 * L).map((k) => (k % 3) - 1);
    const two = t === 'int8' ? intImm(2, t) : floatImm(2, t);
    return vcase({
      name: `select_lt_${t}`, lanes: L, iters: 2,
      bufs: [['a', t, a], ['b', t, b], ['out', t, zeros(2 * L)]],
      body: (i, [A, B, O]) => {
        const [x, y] = [load(A, [row(i, L)]), load(B, [row(i, L)])];
        return store(O, [row(i, L)], select(lt(x, y), mul(x, broadcast(two, L)), y));
      },
      expect: { 2: a.map((x, k) => (x < b[k] ? 2 * x : b[k])) },
    });
  }),
  vcase({
    name: 'mask_logic_and_bool_vectors', lanes: 8, iters: 2,
    bufs: [['a', 'float32', range(16).map((k) => k - 4)], ['flags', 'bool', zeros(16)], ['out', 'float32', zeros(16)]],
    body: (i, [A, F, O], L) => {
      const x = load(A, [row(i, L)]);
      const inRange = and(gt(x, broadcast(floatImm(0), L)), not(gt(x, broadcast(floatImm(6), L))));
      return seq(store(F, [row(i, L)], inRange), store(O, [row(i, L)], select(load(F, [row(i, L)]), x, broadcast(floatImm(-1), L))));
    },
    expect: { 1: range(16).map((k) => (k - 4 > 0 && k - 4 <= 6 ? 1 : 0)), 2: range(16).map((k) => (k - 4 > 0 && k - 4 <= 6 ? k - 4 : -1)) },
  }),
  vcase({
    name: 'scalar_condition_vector_select', lanes: 4, iters: 2,
    bufs: [['a', 'int32', [1, 2, 3, 4, 5, 6, 7, 8]], ['out', 'int32', zeros(8)]],
    body: (i, [A, O], L) => store(O, [row(i, L)], select(gt(i, 0), load(A, [row(i, L)]), broadcast(intImm(-7), L))),
    expect: { 1: [-7, -7, -7, -7, 5, 6, 7, 8] },
  }),
  ...(['min', 'max'] as const).flatMap((op) =>
    ([['float32', 8], ['int32', 4], ['uint8', 16]] as const).map(([t, L]) => {
      const a = range(2 * L).map((k) => (k * 7) % 11);
      const b = range(2 * L).map((k) => (k * 5) % 9);
      return vcase({
        name: `${op}_${t}_x${L}`, lanes: L, iters: 2,
        bufs: [['a', t, a], ['b', t, b], ['out', t, zeros(2 * L)]],
        body: (i, [A, B, O]) => store(O, [row(i, L)], binary(op, load(A, [row(i, L)]), load(B, [row(i, L)]))),
        expect: { 2: a.map((x, k) => (op === 'min' ? Math.min(x, b[k]) : Math.max(x, b[k]))) },
      });
    }),
  ),
  ...(['div', 'mod', 'floordiv', 'floormod'] as const).map((op) => {
    const a = [-7, 7, -7, 7, -2147483648, 5, 0, -1];
    const b = [2, -2, -2, 2, -1, 0, 3, 3];
    const ref = { div: (x: number, y: number) => (y === 0 ? 0 : Math.trunc(x / y) | 0), mod: (x: number, y: number) => (y === 0 ? 0 : (x % y) | 0),
      floordiv: (x: number, y: number) => (y === 0 ? 0 : Math.floor(x / y) | 0), floormod: (x: number, y: number) => (y === 0 ? 0 : x - y * Math.floor(x / y)) }[op];
    return vcase({
      name: `vector_${op}_int32`, lanes: 8, iters: 1,
      bufs: [['a', 'int32', a], ['b', 'int32', b], ['out', 'int32', zeros(8)]],
      body: (i, [A, B, O], L) => store(O, [row(i, L)], binary(op, load(A, [row(i, L)]), load(B, [row(i, L)]))),
      expect: { 2: a.map((x, k) => ref(x, b[k])) },
    });
  }),
  ...([['int32', 8, 4], ['int32', 8, 6], ['int8', 16, 3], ['int64', 4, 8]] as const).flatMap(([t, L, c]) =>
    (['floordiv', 'floormod', 'div', 'mod'] as const).map((op) => {
      const a = range(L).map((k) => (k - L / 2) * 5 + (k % 3));
      const ref = { div: (x: number) => Math.trunc(x / c) + 0, mod: (x: number) => x % c + 0, floordiv: (x: number) => Math.floor(x / c), floormod: (x: number) => x - c * Math.floor(x / c) }[op];
      return vcase({
        name: `vector_${op}_${t}x${L}_by_${c}`, lanes: L, iters: 1,
        bufs: [['a', t, a], ['out', t, zeros(L)]],
        body: (i, [A, O]) => store(O, [row(i, L)], binary(op, load(A, [row(i, L)]), broadcast(intImm(c, t), L))),
        expect: { 1: a.map((x) => (t === 'int64' ? BigInt(ref(x)) : ref(x))) },
      });
    }),
  ),
  ...(['exp', 'sqrt', 'floor', 'round', 'erf', 'sigmoid'] as const).map((fn) => {
    const a = range(8).map((k) => k * 0.75 - 1.5);
    const want = {
      exp: a.map(Math.exp),
      sqrt: a.map(Math.sqrt),
      floor: a.map(Math.floor),
      round: [-2, -1, 0, 1, 2, 2, 3, 4],
      erf: [-0.9661051464753108, -0.7111556336535151, 0, 0.7111556336535151, 0.9661051464753108, 0.9985372834133188, 0.9999779095030014, 0.9999998862727434],
      sigmoid: a.map((x) => 1 / (1 + Math.exp(-x))),
    }[fn];
    return vcase({
      name: `vector_${fn}_f32x8`, lanes: 8, iters: 1,
      bufs: [['a', 'float32', a], ['out', 'float32', zeros(8)]],
      body: (i, [A, O], L) => store(O, [row(i, L)], call(fn, load(A, [row(i, L)]))),
      expect: { 1: want.map(Math.fround) },
      rtol: 1e-6, atol: 1e-7,
    });
  }),
  vcase({
    name: 'vector_casts', lanes: 16, iters: 1,
    bufs: [
      ['f', 'float32', range(16).map((k) => k * 40.7 - 200)],
      ['i32', 'int32', zeros(16)], ['u8', 'uint8', zeros(16)], ['nz', 'bool', zeros(16)], ['back', 'float32', zeros(16)], ['wide', 'float64', zeros(16)],
    ],
    body: (i, [F, I32, U8, NZ, Back, Wide], L) => {
      const x = load(F, [row(i, L)]);
      return seq(
        store(I32, [row(i, L)], cast(x, 'int32')),
        store(U8, [row(i, L)], cast(x, 'uint8')),
        store(NZ, [row(i, L)], cast(cast(x, 'int32'), 'bool')),
        store(Back, [row(i, L)], add(cast(load(NZ, [row(i, L)]), 'float32'), cast(load(I32, [row(i, L)]), 'float32'))),
        store(Wide, [row(i, L)], cast(x, 'float64')),
      );
    },
    expect: (() => {
      const f = range(16).map((k) => Math.fround(k * 40.7 - 200));
      const t = f.map(Math.trunc);
      return { 1: t, 2: t.map((v) => v & 255), 3: t.map((v) => (v !== 0 ? 1 : 0)), 4: t.map((v) => v + (v !== 0 ? 1 : 0)), 5: f };
    })(),
  }),
  vcase({
    name: 'ramp_values', lanes: 8, iters: 2,
    bufs: [['iota', 'float32', zeros(16)], ['evens', 'int32', zeros(16)]],
    body: (i, [Iota, Ev], L) => seq(store(Iota, [row(i, L)], cast(row(i, L), 'float32')), store(Ev, [row(i, L)], ramp(mul(i, 2 * L), 2, L))),
    expect: { 0: range(16), 1: range(16).map((k) => 2 * k) },
  }),
  vcase({
    name: 'vector_lets', lanes: 8, iters: 2,
    bufs: [['a', 'float32', range(16)], ['sq', 'float32', zeros(16)], ['cube', 'float32', zeros(16)]],
    body: (i, [A, Sq, Cube], L) => {
      const v: Var = { ...variable('v', 'float32'), lanes: L };
      const w: Var = { ...variable('w', 'float32'), lanes: L };
      return letStmt(v, add(load(A, [row(i, L)]), broadcast(floatImm(1), L)), seq(
        store(Sq, [row(i, L)], mul(v, v)),
        store(Cube, [row(i, L)], letExpr(w, mul(v, v), mul(w, v))),
      ));
    },
    expect: { 1: range(16).map((k) => (k + 1) ** 2), 2: range(16).map((k) => (k + 1) ** 3) },
  }),
  vcase({
    name: 'int64_vectors', lanes: 4, iters: 2,
    bufs: [['a', 'int64', range(8).map((k) => k * 2 ** 33)], ['out', 'int64', zeros(8)]],
    body: (i, [A, O], L) => store(O, [row(i, L)], add(mul(load(A, [row(i, L)]), broadcast(intImm(3, 'int64'), L)), broadcast(intImm(-5, 'int64'), L))),
    expect: { 1: range(8).map((k) => BigInt(k) * 3n * 2n ** 33n - 5n) },
  }),
  gemmMicroKernel(),
];

/** C[6x16] = A[6xK] · B[Kx16] with a 6x16 register tile of accumulators, as a schedule emits it. */
function gemmMicroKernel(): Case {
  const K = 64;
  const MR = 6;
  const NR = 16;
  const rand = (seed: number) => (k: number): number => Math.fround(Math.sin(k * 12.9898 + seed) * 0.5);
  const a = range(MR * K).map(rand(1));
  const b = range(K * NR).map(rand(2));
  const A = buffer('A', 'float32', [MR * K]);
  const B = buffer('B', 'float32', [K * NR]);
  const C = buffer('C', 'float32', [MR * NR]);
  const acc = buffer('acc', 'float32', [MR * NR], 'local');
  const [i0, i1, i2, k] = [variable('ii'), variable('ii'), variable('ii'), variable('k')];
  const tile = (v: Expr): Expr => ramp(mul(v, NR), 1, NR);
  const body = allocate(acc, seq(
    forLoop(i0, intImm(0), intImm(MR), store(acc, [tile(i0)], broadcast(floatImm(0), NR)), 'unrolled'),
    forLoop(k, intImm(0), intImm(K), forLoop(i1, intImm(0), intImm(MR),
      store(acc, [tile(i1)], add(load(acc, [tile(i1)]), mul(broadcast(load(A, [add(mul(i1, K), k)]), NR), load(B, [ramp(mul(k, NR), 1, NR)])))),
      'unrolled')),
    forLoop(i2, intImm(0), intImm(MR), store(C, [tile(i2)], load(acc, [tile(i2)])), 'unrolled'),
  ));
  const want = range(MR * NR).map((n) => {
    const [r, c] = [Math.floor(n / NR), n % NR];
    return range(K).reduce((s, kk) => s + a[r * K + kk] * b[kk * NR + c], 0);
  });
  return {
    func: primFunc('gemm_6x16', [A, B, C], body),
    args: () => [Float32Array.from(a), Float32Array.from(b), new Float32Array(MR * NR)],
    expect: [{ arg: 2, values: want, rtol: 1e-5, atol: 1e-5 }],
  };
}

runOnTargets(cases);
