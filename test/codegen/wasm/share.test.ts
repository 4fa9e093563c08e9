// Common subexpressions of a run of stores: what is bound, where, and that results do not change.
import { describe, expect, it } from 'vitest';
import { shareSubexpressions } from '../../../src/codegen/wasm/share.js';
import { add, broadcast, buffer, floatImm, intImm, load, lt, mul, ramp, select, variable } from '../../../src/ir/expr.js';
import type { Store } from '../../../src/tir/stmt.js';
import { forLoop, primFunc, seq, store } from '../../../src/tir/stmt.js';
import { printStmt } from '../../../src/tir/print.js';
import { runFunc } from './helpers.js';

const A = buffer('A', 'float32', [16]);
const B = buffer('B', 'float32', [64]);
const C = buffer('C', 'float32', [64]);
const k = variable('k');

/** A 2 × 8 register-tile update at step k: C[r, 4c : +4] += A[2k + r] * B[8k + 4c : +4]. */
function tile(): Store[] {
  const out: Store[] = [];
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      const at = ramp(intImm(8 * r + 4 * c), 1, 4);
      const b = load(B, [ramp(add(mul(k, intImm(8)), intImm(4 * c)), 1, 4)]);
      const a = broadcast(load(A, [add(mul(k, intImm(2)), intImm(r))]), 4);
      out.push(store(C, [at], add(load(C, [at]), mul(a, b))));
    }
  }
  return out;
}

describe('shareSubexpressions', () => {
  it('binds each repeated broadcast and load once, just before its first use', () => {
    const text = printStmt(shareSubexpressions(tile())!);
    // two A broadcasts and two B vectors, plus the indices 2k and 8k their loads share
    expect(text.match(/^\s*let /gm)).toHaveLength(6);
    expect(text.indexOf('A[cse + 1]')).toBeGreaterThan(text.indexOf('C[ramp(4, 1, 4)] ='));
  });

  it('leaves loads of a buffer the run stores to in place, and returns null when nothing repeats', () => {
    const at = ramp(intImm(0), 1, 4);
    const x = load(C, [ramp(intImm(8), 1, 4)]);
    expect(shareSubexpressions([store(C, [at], x), store(C, [ramp(intImm(4), 1, 4)], x)])).toBeNull();
  });

  it('moves nothing out of a guarded select side', () => {
    const [i, j] = [variable('i'), variable('j')];
    const a = load(A, [j]);
    const guarded = [select(lt(i, intImm(4)), a, floatImm(0)), select(lt(j, intImm(4)), a, floatImm(1))];
    expect(shareSubexpressions(guarded.map((g, at) => store(C, [intImm(at)], g)))).toBeNull();
  });

  it('computes the same results as the statements it replaces', async () => {
    const f = primFunc('tile', [A, B, C], forLoop(k, intImm(0), intImm(8), seq(...tile())));
    const a = Float32Array.from({ length: 16 }, (_, i) => i - 5);
    const b = Float32Array.from({ length: 64 }, (_, i) => (i % 7) - 3);
    const c = new Float32Array(64);
    await runFunc(f, [a, b, c]);
    const ref = new Float32Array(64);
    for (let s = 0; s < 8; s++) for (let r = 0; r < 2; r++) for (let j = 0; j < 8; j++) ref[8 * r + j] += a[2 * s + r] * b[8 * s + j];
    expect([...c]).toEqual([...ref]);
  });
});
