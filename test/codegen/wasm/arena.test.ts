// Arguments that live in the module's memory (the arena a model keeps its values in) are used in
// place: the kernel reads and writes them where they are, other arguments are still copied in and
// out, and a declared in-place alias works on one shared view. Serial and on the worker pool.
import { describe, expect, it } from 'vitest';
import { wasmBackend } from '../../../src/codegen/wasm/index.js';
import type { Expr } from '../../../src/ir/expr.js';
import { add, broadcast, buffer, floatImm, intImm, load, mul, ramp, variable } from '../../../src/ir/expr.js';
import type { ForKind, PrimFunc } from '../../../src/tir/stmt.js';
import { forLoop, primFunc, store } from '../../../src/tir/stmt.js';

const N = 64;

/** C = A·2 + B over N elements, 4 lanes at a time, the outer loop of kind `kind`. */
function axpy(name: string, kind: ForKind): PrimFunc {
  const [A, B, C] = [buffer('A', 'float32', [N]), buffer('B', 'float32', [N]), buffer('C', 'float32', [N])];
  const i = variable('i');
  const at: Expr = ramp(mul(i, intImm(4)), 1, 4);
  const body = store(C, [at], add(mul(load(A, [at]), broadcast(floatImm(2), 4)), load(B, [at])));
  return primFunc(name, [A, B, C], forLoop(i, intImm(0), intImm(N / 4), body, kind));
}

const expected = (a: Float32Array, b: Float32Array): number[] => [...a].map((x, k) => x * 2 + b[k]);

describe.each([1, 3])('arena arguments, %i thread(s)', (threads) => {
  it('are read and written in place, next to copied arguments, and the arena is handed out once', async () => {
    const funcs = [axpy('serial', 'serial'), axpy('parallel', 'parallel')];
    const exe = await wasmBackend.load(wasmBackend.emit(funcs, { threads }), { threads });
    try {
      const arena = exe.arena?.(3 * N * 4);
      if (!arena) throw new Error('the wasm executable gave no arena');
      expect(exe.arena?.(N * 4)).toBeUndefined();
      // A and C in the arena, B outside it
      const a = new Float32Array(arena.buffer, arena.byteOffset, N).map((_, k) => k - 7);
      const c = new Float32Array(arena.buffer, arena.byteOffset + 2 * N * 4, N);
      const b = Float32Array.from({ length: N }, (_, k) => 0.25 * k);
      for (const f of funcs) {
        c.fill(0);
        exe.run(f.name, [a, b, c]);
        expect([...c]).toEqual(expected(a, b));
      }
      // the arena's values as B, a plain array as the output: copied in and out as before
      const out = new Float32Array(N);
      exe.run('parallel', [b, a, out]);
      expect([...out]).toEqual(expected(b, a));
    } finally {
      exe.dispose();
    }
  });

  it('lets a declared in-place output share its input view', async () => {
    const f: PrimFunc = { ...axpy('inplace', 'parallel'), aliases: [{ written: 2, read: 0 }] };
    const exe = await wasmBackend.load(wasmBackend.emit([f], { threads }), { threads });
    try {
      const arena = exe.arena?.(N * 4);
      if (!arena) throw new Error('the wasm executable gave no arena');
      const a = new Float32Array(arena.buffer, arena.byteOffset, N).map((_, k) => 3 * k);
      const b = Float32Array.from({ length: N }, (_, k) => -k);
      const want = expected(a, b);
      exe.run('inplace', [a, b, a]);
      expect([...a]).toEqual(want);
    } finally {
      exe.dispose();
    }
  });
});
