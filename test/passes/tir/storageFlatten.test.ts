import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, buffer, floatImm, intImm, load, mul, variable } from '../../../src/ir/expr.js';
import { allocate, attr, forLoop, primFunc, seq, store } from '../../../src/tir/stmt.js';
import { printFunc } from '../../../src/tir/print.js';
import { verifyFunc } from '../../../src/tir/verify.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { storageFlatten } from '../../../src/passes/tir/storageFlatten.js';
import { runBoth } from './interp.js';

const ctx = makePassContext();

function transposeAdd() {
  const A = buffer('A', 'float32', [3, 5]);
  const B = buffer('B', 'float32', [5, 3]);
  const T = buffer('T', 'float32', [5, 3], 'local', [4, 1]);
  const i = variable('i');
  const j = variable('j');
  const body = allocate(
    T,
    seq(
      forLoop(i, intImm(0), intImm(3), forLoop(j, intImm(0), intImm(5), store(T, [j, i], load(A, [i, j])))),
      forLoop(j, intImm(0), intImm(5), forLoop(i, intImm(0), intImm(3), store(B, [j, i], add(load(T, [j, i]), floatImm(1))))),
    ),
  );
  return primFunc('transpose_add', [A, B], body);
}

describe('tir.storageFlatten', () => {
  it('flattens row-major params and padded locals by their strides', () => {
    // Rule: A[i, j] → A[i*5 + j] (row-major); T with strides [4, 1] → T[j*4 + i], span 4*4+3 = 19.
    const after = storageFlatten.run(transposeAdd(), ctx);
    expect(printFunc(after)).toBe(
      [
        'func transpose_add(A: float32[15], B: float32[15]) {',
        '  allocate T: float32[19] local',
        '  for (i, 0, 3) {',
        '    for (j, 0, 5) {',
        '      T[j * 4 + i] = A[i * 5 + j]',
        '    }',
        '  }',
        '  for (j, 0, 5) {',
        '    for (i, 0, 3) {',
        '      B[j * 3 + i] = T[j * 4 + i] + 1.0f',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    verifyFunc(after);
  });

  it('keeps buffer ids, names and param order so callers can map arguments', () => {
    const before = transposeAdd();
    const after = storageFlatten.run(before, ctx);
    expect(after.params.map((p) => [p.id, p.name, p.dtype, p.scope])).toEqual(before.params.map((p) => [p.id, p.name, p.dtype, p.scope]));
  });

  it('drops storage_align attrs, indexes scalars at 0 and leaves flat buffers alone', () => {
    // Rule: a 0-d buffer has span 1 and index 0; a dense 1-D buffer is the same object after.
    const S = buffer('S', 'float32', []);
    const V = buffer('V', 'float32', [4]);
    const i = variable('i');
    const f = primFunc('scalar', [S, V], attr('storage_align', V, [0, 4, 0], forLoop(i, intImm(0), intImm(4), store(V, [i], mul(load(S, []), load(V, [i]))))));
    const after = storageFlatten.run(f, ctx);
    expect(printFunc(after)).toBe('func scalar(S: float32[1], V: float32[4]) {\n  for (i, 0, 4) {\n    V[i] = S[0] * V[i]\n  }\n}\n');
    expect(after.params[1]).toBe(V);
  });

  it('computes the same buffers as the multi-dimensional program', () => {
    const before = transposeAdd();
    const after = storageFlatten.run(before, ctx);
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const [a, b] = runBoth(before, after, seed);
        expect(b).toEqual(a);
      }),
      { numRuns: 20 },
    );
  });
});
