// The work estimate of a loop (src/codegen/wasm/work.ts): operations per store times trip
// counts, bounded by interval analysis of the enclosing loops, unbounded where nothing bounds it.
import { describe, expect, it } from 'vitest';
import { iterationWork, workOf } from '../../../src/codegen/wasm/work.js';
import { add, binary, broadcast, buffer, call, cmp, floatImm, intImm, load, mul, ramp, sub, variable } from '../../../src/ir/expr.js';
import { forLoop, ifThenElse, seq, store } from '../../../src/tir/stmt.js';

const C = buffer('C', 'float32', [4096]);

describe('workOf', () => {
  it('counts a store and its value once per v128 written, times the trip counts', () => {
    const [i, j] = [variable('i'), variable('j')];
    // C[i·64 + 4j : +4] = C[…] · 0.5 + 1: a store, an add, a mul and a load per vector
    const at = ramp(add(mul(i, 64), mul(j, 4)), 1, 4);
    const body = store(C, [at], add(mul(load(C, [at]), broadcast(floatImm(0.5), 4)), broadcast(floatImm(1), 4)));
    expect(workOf(forLoop(i, intImm(0), intImm(8), forLoop(j, intImm(0), intImm(16), body)))).toBe(8 * 16 * 4);
    // eight lanes are two v128s
    const wide = store(C, [ramp(mul(i, 8), 1, 8)], broadcast(floatImm(0), 8));
    expect(workOf(forLoop(i, intImm(0), intImm(8), wide))).toBe(8 * 2);
  });

  it('weighs math calls above plain arithmetic', () => {
    const i = variable('i');
    const plain = workOf(forLoop(i, intImm(0), intImm(4), store(C, [i], add(load(C, [i]), floatImm(1)))));
    const exp = workOf(forLoop(i, intImm(0), intImm(4), store(C, [i], call('exp', load(C, [i])))));
    expect(exp).toBeGreaterThan(4 * plain);
  });

  it('bounds a trip count that depends on an outer loop by that loop’s range', () => {
    const [t, r] = [variable('t'), variable('r')];
    // tasks of 8 rows, the last one 3 (min(8, 59 − 8t)): at most 8 rows per task
    const rows = binary('min', intImm(8), sub(intImm(59), mul(t, 8)));
    const loop = forLoop(t, intImm(0), intImm(8), forLoop(r, intImm(0), rows, store(C, [r], floatImm(0))), 'parallel');
    expect(iterationWork(loop)).toBe(8);
    expect(workOf(loop)).toBe(64);
  });

  it('takes the larger branch of an if, and counts an unbounded loop as unbounded work', () => {
    const [i, n] = [variable('i'), variable('n')];
    const branch = ifThenElse(cmp('lt', i, intImm(2)), seq(store(C, [i], floatImm(0)), store(C, [add(i, 1)], floatImm(0))), store(C, [i], floatImm(1)));
    expect(workOf(forLoop(i, intImm(0), intImm(4), branch))).toBe(4 * 2);
    const open = forLoop(i, intImm(0), n, store(C, [i], floatImm(0)));
    expect(workOf(open)).toBe(Infinity);
    expect(iterationWork(forLoop(variable('k'), intImm(0), intImm(2), open))).toBe(0x7fffffff);
  });
});
