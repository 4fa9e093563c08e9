// Vector TIR (ramps, broadcasts, lanes > 1) must compute exactly what the same expression does one
// element at a time: random expression trees are run scalar and with 3, 4, 8 and 16 lanes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wasmBackend } from '../../../src/codegen/wasm/index.js';
import type { DType } from '../../../src/ir/dtype.js';
import type { Buffer, Expr } from '../../../src/ir/expr.js';
import { add, binary, broadcast, buffer, call, cast, cmp, constant, floordiv, intImm, letExpr, load, mul, ramp, select, sub, variable } from '../../../src/ir/expr.js';
import type { Stmt } from '../../../src/tir/stmt.js';
import { forLoop, letStmt, primFunc, seq, store } from '../../../src/tir/stmt.js';
import { runFunc } from './helpers.js';

const N = 48;

type Leaf = (idx: Expr, lanes: number) => Expr;

/** A random expression shape over float32 and int32, instantiated for any lane count. */
type Shape = (a: Leaf, b: Leaf, idx: Expr, lanes: number) => Expr;

const konst = (v: number, dtype: DType, lanes: number): Expr => broadcast(constant(v, dtype), lanes);

function shapeArb(depth: number): fc.Arbitrary<Shape> {
  const leaf = fc.constantFrom<Shape>(
    (a, _b, idx, l) => a(idx, l),
    (_a, b, idx, l) => b(idx, l),
    (_a, _b, _i, l) => konst(1.5, 'float32', l),
  );
  if (depth === 0) return leaf;
  const sub = shapeArb(depth - 1);
  return fc.oneof(
    leaf,
    fc.tuple(fc.constantFrom('add', 'sub', 'mul', 'min', 'max', 'div', 'floordiv', 'floormod') as fc.Arbitrary<'add'>, sub, sub).map(
      ([op, x, y]): Shape => (a, b, i, l) => binary(op, x(a, b, i, l), y(a, b, i, l)),
    ),
    fc.tuple(fc.constantFrom('lt', 'ge', 'eq') as fc.Arbitrary<'lt'>, sub, sub, sub, sub).map(
      ([op, c1, c2, t, f]): Shape => (a, b, i, l) => select(cmp(op, c1(a, b, i, l), c2(a, b, i, l)), t(a, b, i, l), f(a, b, i, l)),
    ),
    // through int32 and back: truncation, int arithmetic with wrap, and conversion
    fc.tuple(sub, fc.constantFrom('add', 'mul', 'max', 'floordiv', 'floormod') as fc.Arbitrary<'add'>).map(
      ([x, op]): Shape => (a, b, i, l) => cast(binary(op, cast(x(a, b, i, l), 'int32'), konst(3, 'int32', l)), 'float32'),
    ),
    fc.tuple(sub, fc.constantFrom('exp', 'tanh', 'sqrt', 'abs', 'floor', 'round', 'sigmoid') as fc.Arbitrary<'exp'>).map(
      ([x, fn]): Shape => (a, b, i, l) => call(fn, x(a, b, i, l)),
    ),
    sub.map((x): Shape => (a, b, i, l) => {
      const v = { ...variable('t', 'float32'), lanes: l };
      return letExpr(v, x(a, b, i, l), add(v, v));
    }),
  );
}

/** out[k] = shape(A[k], B[k]) with the k loop run `lanes` elements at a time. */
function vectorFunc(shape: Shape, lanes: number, A: Buffer, B: Buffer, C: Buffer): Stmt {
  const i = variable('i');
  const idx = lanes === 1 ? i : ramp(mul(i, lanes), 1, lanes);
  const leafA: Leaf = (x) => load(A, [x]);
  const leafB: Leaf = (x) => load(B, [x]);
  return forLoop(i, intImm(0), intImm(N / lanes), store(C, [idx], shape(leafA, leafB, idx, lanes)));
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.every((x, i) => (Number.isNaN(x) ? Number.isNaN(b[i]) : Object.is(x, b[i])));
}

describe('vector code', () => {
  it('computes random float32/int32 expressions identically at 1, 3, 4, 8 and 16 lanes', async () => {
    const a = Float32Array.from({ length: N }, (_, k) => (k - 20) * 0.37);
    const b = Float32Array.from({ length: N }, (_, k) => ((k * 7) % 11) - 5.5);
    await fc.assert(
      fc.asyncProperty(shapeArb(3), async (shape) => {
        const [A, B, C] = [buffer('A', 'float32', [N]), buffer('B', 'float32', [N]), buffer('C', 'float32', [N])];
        const funcs = [1, 3, 4, 8, 16].map((l) => primFunc(`x${l}`, [A, B, C], vectorFunc(shape, l, A, B, C)));
        const exe = await wasmBackend.load(wasmBackend.emit(funcs, { threads: 1 }));
        const outs = funcs.map((f) => {
          const c = new Float32Array(N);
          exe.run(f.name, [a, b, c]);
          return c;
        });
        exe.dispose();
        for (const o of outs.slice(1)) expect(sameBits(o, outs[0])).toBe(true);
      }),
      { numRuns: 60, seed: 42 },
    );
  });

  it('gathers and scatters with strided ramps and computed vector indices', async () => {
    const [A, C] = [buffer('A', 'int32', [64]), buffer('C', 'int32', [64])];
    const i = variable('i');
    // C[8i + 2k] = A[floordiv(4i + k, 2)] + A[8i + 2k + 1]  for k in 0..3 (lanes 4)
    const even = ramp(mul(i, 8), 2, 4);
    const half = floordiv(ramp(mul(i, 4), 1, 4), broadcast(intImm(2), 4));
    const body = store(C, [even], add(load(A, [half]), load(A, [add(even, broadcast(intImm(1), 4))])));
    const f = primFunc('g', [A, C], forLoop(i, intImm(0), intImm(8), body));
    const a = Int32Array.from({ length: 64 }, (_, k) => k * k);
    const c = new Int32Array(64);
    await runFunc(f, [a, c]);
    const want = new Int32Array(64);
    for (let ii = 0; ii < 8; ii++) for (let k = 0; k < 4; k++) want[8 * ii + 2 * k] = a[Math.floor((4 * ii + k) / 2)] + a[8 * ii + 2 * k + 1];
    expect([...c]).toEqual([...want]);
  });

  it('loads every other element as vectors, up to the last element of the buffer', async () => {
    // C[8i + k] = A[16i + 2k + 1] · 2 for k in 0..7 (lanes 8): the last lane reads A's last element
    const [A, C] = [buffer('A', 'float32', [64]), buffer('C', 'float32', [32])];
    const i = variable('i');
    const body = store(C, [ramp(mul(i, 8), 1, 8)], mul(load(A, [ramp(add(mul(i, 16), 1), 2, 8)]), broadcast(constant(2, 'float32'), 8)));
    const a = Float32Array.from({ length: 64 }, (_, k) => k * 0.25 - 3);
    const c = new Float32Array(32);
    await runFunc(primFunc('odd', [A, C], forLoop(i, intImm(0), intImm(4), body)), [a, c]);
    expect([...c]).toEqual(Array.from({ length: 32 }, (_, k) => a[2 * k + 1] * 2));
  });

  it('broadcasts an element at a constant distance with the distance added to its address, not as the immediate', async () => {
    // C[4i + 4j : +4] = x4(A[i + 3j]) · B[4j : +4] for j in 0..2: `+ 3j` would be the splat's offset
    // immediate, which V8 turns into a base register of its own per offset (vector.ts loadTransform)
    const [A, B, C] = [buffer('A', 'float32', [12]), buffer('B', 'float32', [12]), buffer('C', 'float32', [48])];
    const i = variable('i');
    const body = seq(...[0, 1, 2].map((j) => store(C, [ramp(add(mul(i, 12), 4 * j), 1, 4)], mul(broadcast(load(A, [add(i, 3 * j)]), 4), load(B, [ramp(intImm(4 * j), 1, 4)])))));
    const f = primFunc('splats', [A, B, C], forLoop(i, intImm(0), intImm(4), body));
    const code = wasmBackend.emit([f], { threads: 1 }).code as Uint8Array;
    // v128.load32_splat (0xfd 0x09), align 2: offsets 12 and 24 bytes never appear as immediates
    const immediates = [...code].flatMap((b, k) => (b === 0xfd && code[k + 1] === 0x09 && code[k + 2] === 0x02 ? [code[k + 3]] : []));
    expect(immediates).toEqual([0, 0, 0]);
    const a = Float32Array.from({ length: 12 }, (_, k) => k + 1);
    const b = Float32Array.from({ length: 12 }, (_, k) => 0.5 * k);
    const c = new Float32Array(48);
    await runFunc(f, [a, b, c]);
    expect([...c]).toEqual(Array.from({ length: 48 }, (_, k) => a[Math.floor(k / 12) + 3 * Math.floor((k % 12) / 4)] * b[k % 12]));
  });

  it('computes a select on lanes known at compile time as vectors, each side loading its own lanes', async () => {
    // a tile's partial vector: C[4i : +4] = select(ramp(4i, 1, 4) < x4(6), A[4i : +4] · 2, C[4i : +4])
    // over 8 elements of which A has 6: lanes 6 and 7 of the second vector keep C's value
    const [A, C] = [buffer('A', 'float32', [6]), buffer('C', 'float32', [8])];
    const at = (k: number): Expr => ramp(intImm(4 * k), 1, 4);
    const part = (k: number): Stmt =>
      store(C, [at(k)], select(cmp('lt', at(k), broadcast(intImm(6), 4)), mul(load(A, [at(k)]), broadcast(constant(2, 'float32'), 4)), load(C, [at(k)])));
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const c = Float32Array.from([0, 0, 0, 0, 0, 0, -7, -8]);
    await runFunc(primFunc('partial', [A, C], seq(part(0), part(1))), [a, c]);
    expect([...c]).toEqual([2, 4, 6, 8, 10, 12, -7, -8]);
  });

  it('handles narrow types, int64 and float64 vectors one lane at a time', async () => {
    for (const dtype of ['uint8', 'int8', 'int64', 'float64'] as const) {
      const [A, C] = [buffer('A', dtype, [32]), buffer('C', dtype, [32])];
      const i = variable('i');
      const idx = ramp(mul(i, 16), 1, 16);
      const f = primFunc('n', [A, C], forLoop(i, intImm(0), intImm(2), store(C, [idx], mul(load(A, [idx]), konst(3, dtype, 16)))));
      const src = Array.from({ length: 32 }, (_, k) => k * 9 - 100);
      const [a, c] = dtype === 'int64' ? [BigInt64Array.from(src, BigInt), new BigInt64Array(32)] : dtype === 'float64' ? [Float64Array.from(src), new Float64Array(32)] : dtype === 'int8' ? [Int8Array.from(src), new Int8Array(32)] : [Uint8Array.from(src), new Uint8Array(32)];
      await runFunc(f, [a, c]);
      const wrap = dtype === 'uint8' ? (v: number): number => v & 255 : dtype === 'int8' ? (v: number): number => (v << 24) >> 24 : (v: number): number => v;
      expect(Array.from(c as ArrayLike<number | bigint>, Number), dtype).toEqual(Array.from(a as ArrayLike<number | bigint>, (v) => wrap(Number(v) * 3)));
    }
  });

  it('keeps guarded loads lazy, per lane and in scalar code', async () => {
    const [A, C] = [buffer('A', 'float32', [16]), buffer('C', 'float32', [16])];
    for (const lanes of [1, 4]) {
      const i = variable('i');
      const idx = lanes === 1 ? i : ramp(mul(i, lanes), 1, lanes);
      // for the first 5 elements the index is negative: evaluated eagerly it would trap
      const guarded = select(cmp('ge', idx, broadcast(intImm(5), lanes)), load(A, [sub(idx, broadcast(intImm(5), lanes))]), konst(-1, 'float32', lanes));
      const f = primFunc('p', [A, C], forLoop(i, intImm(0), intImm(16 / lanes), store(C, [idx], guarded)));
      const a = Float32Array.from({ length: 16 }, (_, k) => k + 0.5);
      const c = new Float32Array(16);
      await runFunc(f, [a, c]);
      expect([...c], `lanes ${lanes}`).toEqual(Array.from({ length: 16 }, (_, k) => (k >= 5 ? k - 5 + 0.5 : -1)));
    }
  });

  it('selects between vector loads on one condition for all lanes, loading only the chosen side', async () => {
    const [A, B, C] = [buffer('A', 'float32', [16]), buffer('B', 'float32', [16]), buffer('C', 'float32', [16])];
    for (const lanes of [4, 8]) {
      for (const broadcastCond of [false, true]) {
        const i = variable('i');
        const first = 8 / lanes;
        const cond = cmp('lt', i, intImm(first));
        // B's index is far out of memory while A is chosen: loading it eagerly would trap
        const far = mul(sub(intImm(first), binary('min', i, intImm(first))), intImm(100_000_000));
        const fromB = load(B, [ramp(add(mul(sub(i, intImm(first)), intImm(lanes)), far), 1, lanes)]);
        const value = select(broadcastCond ? broadcast(cond, lanes) : cond, load(A, [ramp(mul(i, lanes), 1, lanes)]), fromB);
        const f = primFunc('s', [A, B, C], forLoop(i, intImm(0), intImm(16 / lanes), store(C, [ramp(mul(i, lanes), 1, lanes)], value)));
        const [a, bb] = [Float32Array.from({ length: 16 }, (_, k) => k + 0.25), Float32Array.from({ length: 16 }, (_, k) => -k)];
        const c = new Float32Array(16);
        await runFunc(f, [a, bb, c]);
        expect([...c], `lanes ${lanes}, broadcast ${broadcastCond}`).toEqual(Array.from({ length: 16 }, (_, k) => (k < 8 ? k + 0.25 : -(k - 8))));
      }
    }
  });

  it('binds vector lets in statements and selects with a scalar condition', async () => {
    const [A, C] = [buffer('A', 'float32', [8]), buffer('C', 'float32', [8])];
    const i = variable('i');
    const v = { ...variable('v', 'float32'), lanes: 8 };
    const idx = ramp(mul(i, 8), 1, 8);
    const body = letStmt(v, load(A, [idx]), store(C, [idx], select(cmp('eq', i, intImm(0)), mul(v, v), v)));
    const f = primFunc('l', [A, C], forLoop(i, intImm(0), intImm(1), body));
    const a = Float32Array.from({ length: 8 }, (_, k) => k - 3);
    const c = new Float32Array(8);
    await runFunc(f, [a, c]);
    expect([...c]).toEqual([...a].map((x) => x * x));
  });
});
