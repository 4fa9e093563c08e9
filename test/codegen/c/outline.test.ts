/**
 * Parallel loops on the c target run their body as a function the thread pool calls per chunk,
 * with the values it uses from the kernel passed in a struct. These cases give the body every kind
 * of outside value — an enclosing loop variable, scalar and vector lets, a heap buffer allocated
 * around the loop and read by a later loop, a loop range that depends on an outer variable, an
 * int64 loop variable, an in-place (aliased) pair of parameters — and check js and c agree with
 * values computed here, on 3 threads. A nested parallel loop runs serially inside its parent's body.
 */

import { describe, expect, it } from 'vitest';
import type { Expr } from '../../../src/ir/expr.js';
import { add, broadcast, buffer, cast, intImm, load, mul, ramp, variable } from '../../../src/ir/expr.js';
import type { Stmt } from '../../../src/tir/stmt.js';
import { allocate, forLoop, letStmt, primFunc, seq, store } from '../../../src/tir/stmt.js';
import { emitC } from '../../../src/codegen/c/emit.js';
import type { Case } from '../harness.js';
import { runOnTargets } from '../harness.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const par = (name: string, min: Expr | number, extent: Expr | number, body: (v: Expr) => Stmt, kind: 'serial' | 'parallel' = 'parallel'): Stmt => {
  const v = variable(name);
  return forLoop(v, typeof min === 'number' ? intImm(min) : min, typeof extent === 'number' ? intImm(extent) : extent, body(v), kind);
};

/** out[r*100 + i] = base + r*1000 + i + (vector let lane): outer loop var, scalar and vector lets captured. */
function capturedLets(): Case {
  const out = buffer('out', 'int32', [800]);
  const base = variable('base');
  const lanes = variable('lanes');
  const lanesVec = { ...lanes, lanes: 4 };
  const body = letStmt(base, intImm(7), par('r', 0, 8, (r) =>
    letStmt(lanesVec, ramp(mul(r, 1000), 1, 4), par('i', 0, 25, (i) =>
      store(out, [ramp(add(mul(r, 100), mul(i, 4)), 1, 4)], add(add(lanesVec, broadcast(mul(i, 4), 4)), broadcast(base, 4)))),
    ), 'serial'));
  const want = range(800).map((n) => 7 + Math.floor(n / 100) * 1000 + (n % 100));
  return { func: primFunc('captured_lets', [out], body), args: () => [new Int32Array(800)], expect: [{ arg: 0, values: want }] };
}

/** A heap scratch buffer written by one parallel loop and read, reversed, by the next. */
function sharedScratch(): Case {
  const n = 6000;
  const src = buffer('src', 'float32', [n]);
  const out = buffer('out', 'float32', [n]);
  const tmp = buffer('tmp', 'float32', [n], 'global');
  const body = allocate(tmp, seq(
    par('k', 0, n, (k) => store(tmp, [k], mul(load(src, [k]), 2))),
    par('k', 0, n, (k) => store(out, [k], load(tmp, [add(mul(k, -1), n - 1)]))),
  ));
  const input = range(n).map((k) => k % 977);
  return {
    func: primFunc('shared_scratch', [src, out], body),
    args: () => [Float32Array.from(input), new Float32Array(n)],
    expect: [{ arg: 1, values: input.map((_, k) => 2 * input[n - 1 - k]) }],
  };
}

/** Row r of a triangle: a parallel loop from r to 2r over an int64 variable, nested in a parallel loop (which runs serially). */
function triangleInt64(): Case {
  const out = buffer('out', 'int64', [30 * 60]);
  const j = variable('j', 'int64');
  const body = par('r', 0, 30, (r) =>
    forLoop(j, cast(r, 'int64'), cast(r, 'int64'), store(out, [add(mul(r, 60), cast(j, 'int32'))], add(mul(j, intImm(1000, 'int64')), cast(r, 'int64'))), 'parallel'));
  const want = range(30 * 60).map((n) => {
    const [r, c] = [Math.floor(n / 60), n % 60];
    return c >= r && c < 2 * r ? BigInt(c * 1000 + r) : 0n;
  });
  return { func: primFunc('triangle_int64', [out], body), args: () => [new BigInt64Array(30 * 60)], expect: [{ arg: 0, values: want }] };
}

/** out = in + 1 where out may be passed in's memory. */
function inPlace(): Case {
  const n = 4096;
  const a = buffer('a', 'float32', [n]);
  const o = buffer('o', 'float32', [n]);
  const f = { ...primFunc('in_place', [a, o], par('i', 0, n, (i) => store(o, [i], add(load(a, [i]), 1)))), aliases: [{ written: 1, read: 0 }] };
  const shared = new Float32Array(range(n));
  return { func: f, args: () => [shared.fill(0).map((_, k) => k), shared], expect: [{ arg: 1, values: range(n).map((k) => k + 1) }] };
}

runOnTargets([capturedLets(), sharedScratch(), triangleInt64(), inPlace()], 3);

describe('an outlined parallel loop', () => {
  it('passes what its body uses in a struct and runs through kiln_parallel', () => {
    const code = emitC([capturedLets().func]);
    // the inner loop's body: its range, then what it uses from outside, in order of first use
    expect(code).toContain('static int32_t kiln_captured_lets_par1(int64_t kiln_lo, int64_t kiln_hi, int32_t *restrict out_0, const int32_t r_2, const kiln_i32x4 lanes_3, const int32_t base_1) {');
    expect(code).toContain('struct kiln_captured_lets_par1_args { int32_t *out_0; const int32_t r_2; const kiln_i32x4 lanes_3; const int32_t base_1; };');
    expect(code).toContain('kiln_parallel(kiln_captured_lets_par1_task, (void *)&kiln_args1, 0, 25, kiln_nthreads);');
    expect(code).not.toContain('#pragma omp');
  });
});
