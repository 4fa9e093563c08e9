/**
 * Statements on js and c: every loop kind (parallel runs on 2 threads in c), loops with a
 * non-zero start, extents that depend on an outer loop, int64 loop variables, local buffers on
 * the stack and on the heap (over 16 KiB), global scratch buffers, thread-private buffers inside
 * a parallel loop, let (statement and expression), if/else, select, and bool buffers.
 */

import type { Expr } from '../../src/ir/expr.js';
import { add, buffer, cast, floatImm, gt, intImm, letExpr, load, lt, mul, select, sub, variable } from '../../src/ir/expr.js';
import type { ForKind, Stmt } from '../../src/tir/stmt.js';
import { allocate, forLoop, ifThenElse, letStmt, primFunc, seq, store } from '../../src/tir/stmt.js';
import type { Case } from './harness.js';
import { runOnTargets } from './harness.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const loop = (name: string, extent: number | Expr, body: (v: Expr) => Stmt, kind: ForKind = 'serial', min = 0): Stmt => {
  const v = variable(name);
  return forLoop(v, intImm(min), typeof extent === 'number' ? intImm(extent) : extent, body(v), kind);
};

function loopKinds(): Case {
  const out = buffer('out', 'int32', [64]);
  const body = loop('i', 8, (i) =>
    loop('j', 4, (j) => loop('k', 2, (k) => store(out, [add(mul(add(mul(i, 4), j), 2), k)], add(add(mul(i, 100), mul(j, 10)), k)), 'vectorized'), 'unrolled'),
    'parallel',
  );
  const want = range(64).map((n) => Math.floor(n / 8) * 100 + (Math.floor(n / 2) % 4) * 10 + (n % 2));
  return { func: primFunc('loop_kinds', [out], body), args: () => [new Int32Array(64)], expect: [{ arg: 0, values: want }] };
}

function loopMin(): Case {
  const out = buffer('out', 'int32', [4]);
  const body = loop('k', 4, (k) => store(out, [sub(k, 3)], mul(k, k)), 'serial', 3);
  return { func: primFunc('loop_min', [out], body), args: () => [new Int32Array(4)], expect: [{ arg: 0, values: [9, 16, 25, 36] }] };
}

function triangular(): Case {
  const out = buffer('out', 'int32', [25]);
  const body = loop('i', 5, (i) => loop('j', add(i, 1), (j) => store(out, [add(mul(i, 5), j)], add(j, 1))));
  const want = range(25).map((n) => (n % 5 <= Math.floor(n / 5) ? (n % 5) + 1 : 0));
  return { func: primFunc('triangular', [out], body), args: () => [new Int32Array(25)], expect: [{ arg: 0, values: want }] };
}

function int64Loop(): Case {
  const out = buffer('out', 'int64', [4]);
  const k = variable('k', 'int64');
  const body = forLoop(k, intImm(0, 'int64'), intImm(4, 'int64'), store(out, [k], mul(k, intImm(2 ** 40, 'int64'))));
  return { func: primFunc('int64_loop', [out], body), args: () => [new BigInt64Array(4)], expect: [{ arg: 0, values: range(4).map((i) => BigInt(i) * 2n ** 40n) }] };
}

/** out[i] = sum_{j<100} (i + j), accumulated in a buffer private to each parallel iteration. */
function parallelPrivate(): Case {
  const out = buffer('out', 'int32', [1000]);
  const acc = buffer('acc', 'int32', [1], 'local');
  const i = variable('i');
  const j = variable('j');
  const body = forLoop(
    i, intImm(0), intImm(1000),
    allocate(acc, seq(
      store(acc, [intImm(0)], intImm(0)),
      forLoop(j, intImm(0), intImm(100), store(acc, [intImm(0)], add(load(acc, [intImm(0)]), add(i, j)))),
      store(out, [i], load(acc, [intImm(0)])),
    )),
    'parallel',
  );
  return { func: primFunc('parallel_private', [out], body), args: () => [new Int32Array(1000)], expect: [{ arg: 0, values: range(1000).map((n) => 100 * n + 4950) }] };
}

/** Reverses `n` floats through a scratch buffer of the given scope. */
function reverseThrough(name: string, n: number, scope: 'local' | 'global'): Case {
  const src = buffer('src', 'float32', [n]);
  const out = buffer('out', 'float32', [n]);
  const tmp = buffer('tmp', 'float32', [n], scope);
  const body = allocate(tmp, seq(
    loop('k', n, (k) => store(tmp, [k], mul(load(src, [k]), floatImm(0.5)))),
    loop('k', n, (k) => store(out, [k], load(tmp, [sub(n - 1, k)]))),
  ));
  const input = range(n).map((k) => k % 1000);
  return {
    func: primFunc(name, [src, out], body),
    args: () => [Float32Array.from(input), new Float32Array(n)],
    expect: [{ arg: 1, values: input.map((_, k) => input[n - 1 - k] * 0.5) }],
  };
}

/** let x = 2 * in[i]; if (x > 5) out = x else out = select(x < 0, -x, 100); out2 = let y = x + 1 in y * y */
function letIfSelect(): Case {
  const inp = buffer('in', 'int32', [6]);
  const out = buffer('out', 'int32', [6]);
  const out2 = buffer('out2', 'int32', [6]);
  const x = variable('x');
  const y = variable('y');
  const body = loop('i', 6, (i) =>
    letStmt(x, mul(load(inp, [i]), 2), seq(
      ifThenElse(gt(x, 5), store(out, [i], x), store(out, [i], select(lt(x, 0), sub(0, x), intImm(100)))),
      store(out2, [i], letExpr(y, add(x, 1), mul(y, y))),
    )),
  );
  const input = [-3, 0, 2, 3, 10, -1];
  const xs = input.map((v) => 2 * v);
  return {
    func: primFunc('let_if_select', [inp, out, out2], body),
    args: () => [Int32Array.from(input), new Int32Array(6), new Int32Array(6)],
    expect: [
      { arg: 1, values: xs.map((v) => (v > 5 ? v : v < 0 ? -v : 100)) },
      { arg: 2, values: xs.map((v) => (v + 1) * (v + 1)) },
    ],
  };
}

/** A bool buffer written from a comparison and read back as a condition and as a number. */
function boolBuffers(): Case {
  const inp = buffer('in', 'float32', [5]);
  const flags = buffer('flags', 'bool', [5]);
  const out = buffer('out', 'int32', [5]);
  const body = seq(
    loop('i', 5, (i) => store(flags, [i], gt(load(inp, [i]), floatImm(0)))),
    loop('i', 5, (i) => ifThenElse(load(flags, [i]), store(out, [i], add(cast(load(flags, [i]), 'int32'), 10)), store(out, [i], intImm(-1)))),
  );
  return {
    func: primFunc('bool_buffers', [inp, flags, out], body),
    args: () => [Float32Array.from([1, -1, 0, 2.5, -0]), new Uint8Array(5), new Int32Array(5)],
    expect: [{ arg: 1, values: [1, 0, 0, 1, 0] }, { arg: 2, values: [11, -1, -1, 11, -1] }],
  };
}

runOnTargets([
  loopKinds(),
  loopMin(),
  triangular(),
  int64Loop(),
  parallelPrivate(),
  reverseThrough('scratch_local_stack', 64, 'local'),
  reverseThrough('scratch_local_heap', 8192, 'local'),
  reverseThrough('scratch_global', 300, 'global'),
  letIfSelect(),
  boolBuffers(),
]);
