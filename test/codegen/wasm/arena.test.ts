// Arguments that live in the module's memory (the arena a model keeps its values in) are used in
// place: the kernel reads and writes them where they are, other arguments are still copied in and
// out, and a declared in-place alias works on one shared view. Serial and on the worker pool.
import { describe, expect, it } from 'vitest';
import { wasmBackend } from '../../../src/codegen/wasm/index.js';
import { META_SECTION, parseMeta } from '../../../src/codegen/wasm/meta.js';
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

/** A view of `arena` at element `at`, filled with value(k) (TypedArray.map would return a copy). */
function viewIn(arena: Uint8Array, at: number, value: (k: number) => number): Float32Array {
  const v = new Float32Array(arena.buffer, arena.byteOffset + at * 4, N);
  for (let k = 0; k < N; k++) v[k] = value(k);
  return v;
}

describe.each([1, 3])('arena arguments, %i thread(s)', (threads) => {
  it('are read and written in place, next to copied arguments, and the arena is handed out once', async () => {
    const funcs = [axpy('serial', 'serial'), axpy('parallel', 'parallel')];
    const exe = await wasmBackend.load(wasmBackend.emit(funcs, { threads }), { threads });
    try {
      const arena = exe.arena?.(3 * N * 4);
      if (!arena) throw new Error('the wasm executable gave no arena');
      expect(exe.arena?.(N * 4)).toBeUndefined();
      // A and C in the arena, B outside it
      const a = viewIn(arena, 0, (k) => k - 7);
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

  it('stay in place after another shared memory of the process grows', async () => {
    const f = axpy('parallel', 'parallel');
    const artifact = wasmBackend.emit([f], { threads });
    const meta = parseMeta(WebAssembly.Module.customSections(new WebAssembly.Module(artifact.code as Uint8Array), META_SECTION));
    const exe = await wasmBackend.load(artifact, { threads });
    try {
      const arena = exe.arena?.(3 * N * 4);
      if (!arena) throw new Error('the wasm executable gave no arena');
      const [a, b, c] = [0, 1, 2].map((k) => viewIn(arena, k * N, (j) => j + k));
      // a copied argument would pass through its planned region: mark them all
      const regions = meta.entries[0].params.map((p) => new Uint8Array(arena.buffer, p.offset, N * 4));
      const untouched = (): boolean => regions.every((r) => r.every((x) => x === 0xab));
      const other = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
      for (const grow of [false, true]) {
        if (grow) other.grow(1);
        for (const r of regions) r.fill(0xab);
        exe.run(f.name, [a, b, c]);
        expect([...c]).toEqual(expected(a, b));
        expect(untouched()).toBe(true);
      }
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
      const a = viewIn(arena, 0, (k) => 3 * k);
      const b = Float32Array.from({ length: N }, (_, k) => -k);
      const want = expected(a, b);
      exe.run('inplace', [a, b, a]);
      expect([...a]).toEqual(want);
    } finally {
      exe.dispose();
    }
  });
});
