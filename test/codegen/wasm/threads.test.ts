// Parallel loops on the worker pool: same results as serial code, captured values and buffers,
// per-thread stacks, traps and failed asserts in workers, and reuse after an error.
import { describe, expect, it } from 'vitest';
import type { Executable } from '../../../src/codegen/target.js';
import { KernelAssertError } from '../../../src/codegen/abi.js';
import { CTRL, JOB_GEN_SHIFT, JOB_WAITER } from '../../../src/codegen/wasm/layout.js';
import { MIN_PARALLEL_WORK } from '../../../src/codegen/wasm/parallel.js';
import { loadWasm, WasmRuntimeError, wasmBackend } from '../../../src/codegen/wasm/index.js';
import type { Expr } from '../../../src/ir/expr.js';
import { add, broadcast, buffer, cmp, div, floatImm, intImm, load, mul, ramp, sub, variable } from '../../../src/ir/expr.js';
import type { ForKind, PrimFunc, Stmt } from '../../../src/tir/stmt.js';
import { allocate, assertStmt, forLoop, letStmt, primFunc, seq, store } from '../../../src/tir/stmt.js';

const loop = (n: number, body: (i: Expr) => Stmt, kind: ForKind = 'serial'): Stmt => {
  const i = variable('i');
  return forLoop(i, intImm(0), intImm(n), body(i), kind);
};

/** On 4 threads, every parallel loop handed to the pool however little work it does. */
async function load4(funcs: PrimFunc[]): Promise<Executable> {
  return loadWasm(wasmBackend.emit(funcs, { threads: 4 }), { threads: 4, minParallelWork: 0 });
}

const ROWS = 37;
const COLS = 64;

/** C[r, :] = A[r, :]·s + (a row sum of A, kept in a per-row scratch buffer), rows in parallel. */
function rowKernel(kind: ForKind): PrimFunc {
  const [A, C] = [buffer('A', 'float32', [ROWS * COLS]), buffer('C', 'float32', [ROWS * COLS])];
  const T = buffer('T', 'float32', [1], 'local');
  const s = variable('s', 'float32');
  const body = loop(
    ROWS,
    (r) =>
      allocate(
        T,
        seq(
          store(T, [intImm(0)], floatImm(0)),
          loop(COLS, (c) => store(T, [intImm(0)], add(load(T, [intImm(0)]), load(A, [add(mul(r, intImm(COLS)), c)])))),
          loop(COLS / 4, (c) => {
            const idx = ramp(add(mul(r, intImm(COLS)), mul(c, intImm(4))), 1, 4);
            return store(C, [idx], add(mul(load(A, [idx]), broadcast(s, 4)), broadcast(load(T, [intImm(0)]), 4)));
          }),
        ),
      ),
    kind,
  );
  return primFunc(`rows_${kind}`, [A, C], letStmt(s, floatImm(0.5), body));
}

describe('parallel loops', () => {
  it('give the same results as serial loops, with captured values and per-thread stacks', async () => {
    const exe = await load4([rowKernel('serial'), rowKernel('parallel')]);
    const a = Float32Array.from({ length: ROWS * COLS }, (_, k) => ((k * 31) % 97) / 10);
    const serial = new Float32Array(ROWS * COLS);
    const parallel = new Float32Array(ROWS * COLS);
    exe.run('rows_serial', [a, serial]);
    for (let rep = 0; rep < 5; rep++) {
      parallel.fill(0);
      exe.run('rows_parallel', [a, parallel]);
      expect([...parallel]).toEqual([...serial]);
    }
    exe.dispose();
  });

  it('run hundreds of jobs back to back, whichever workers join each one in time', async () => {
    // jobs follow each other faster than a sleeping worker wakes: workers join some and miss others
    const exe = await load4([rowKernel('serial'), rowKernel('parallel')]);
    const a = Float32Array.from({ length: ROWS * COLS }, (_, k) => ((k * 13) % 41) / 7);
    const serial = new Float32Array(ROWS * COLS);
    exe.run('rows_serial', [a, serial]);
    const outs = Array.from({ length: 300 }, () => new Float32Array(ROWS * COLS));
    for (const out of outs) exe.run('rows_parallel', [a, out]);
    for (const out of outs) expect(out).toEqual(serial);
    exe.dispose();
  });

  it('share an allocated buffer with the workers, and run nested parallel loops serially inside', async () => {
    const [A, C] = [buffer('A', 'int32', [64]), buffer('C', 'int32', [64])];
    const S = buffer('S', 'int32', [64], 'global');
    const body = allocate(
      S,
      seq(
        loop(8, (i) => loop(8, (j) => store(S, [add(mul(i, intImm(8)), j)], mul(load(A, [add(mul(i, intImm(8)), j)]), intImm(3))), 'parallel'), 'parallel'),
        loop(64, (i) => store(C, [i], add(load(S, [sub(intImm(63), i)]), intImm(1)))),
      ),
    );
    const exe = await load4([primFunc('shared', [A, C], body)]);
    const a = Int32Array.from({ length: 64 }, (_, k) => k);
    const c = new Int32Array(64);
    exe.run('shared', [a, c]);
    expect([...c]).toEqual([...a].map((_, k) => 3 * (63 - k) + 1));
    exe.dispose();
  });

  it('report a failed assert or a trap in a worker, and keep working afterwards', async () => {
    const [A, C] = [buffer('A', 'int32', [256]), buffer('C', 'int32', [256])];
    const checked = primFunc('checked', [A, C], loop(256, (i) => assertStmt(cmp('ne', load(A, [i]), intImm(-1)), 'no -1 allowed', store(C, [i], load(A, [i]))), 'parallel'));
    const divides = primFunc('divides', [A, C], loop(256, (i) => store(C, [i], div(intImm(1000), load(A, [i]))), 'parallel'));
    const exe = await load4([checked, divides]);
    const good = Int32Array.from({ length: 256 }, (_, k) => k + 1);
    const c = new Int32Array(256);
    for (const bad of [3, 200]) {
      const a = good.slice();
      a[bad] = -1;
      expect(() => exe.run('checked', [a, c])).toThrow(KernelAssertError);
      a[bad] = 0;
      expect(() => exe.run('divides', [a, c])).toThrow(WasmRuntimeError);
    }
    exe.run('divides', [good, c]);
    expect([...c]).toEqual([...good].map((x) => Math.trunc(1000 / x)));
    exe.run('checked', [good, c]);
    expect([...c]).toEqual([...good]);
    exe.dispose();
  });

  it('run serially when built for one thread, without shared memory', async () => {
    const f = rowKernel('parallel');
    const exe = await wasmBackend.load(wasmBackend.emit([f], { threads: 1 }), { threads: 4 });
    const a = Float32Array.from({ length: ROWS * COLS }, (_, k) => k % 13);
    const c = new Float32Array(ROWS * COLS);
    exe.run(f.name, [a, c]);
    expect(c[COLS + 1]).toBe(a[COLS + 1] * 0.5 + [...a.subarray(COLS, 2 * COLS)].reduce((x, y) => Math.fround(x + y), 0));
    exe.dispose();
  });

  it('run on the calling thread when loaded synchronously', async () => {
    const a = Float32Array.from({ length: ROWS * COLS }, (_, k) => ((k * 7) % 23) / 3);
    const want = new Float32Array(ROWS * COLS);
    const serial = await load4([rowKernel('serial')]);
    serial.run('rows_serial', [a, want]);
    serial.dispose();
    const exe = wasmBackend.loadSync!(wasmBackend.emit([rowKernel('parallel')], { threads: 4 }));
    const got = new Float32Array(ROWS * COLS);
    exe.run('rows_parallel', [a, got]);
    expect([...got]).toEqual([...want]);
    exe.dispose();
  });

  it('let the calling thread sleep while a worker finishes a long chunk, and wake it when the worker leaves', async () => {
    // two chunks: the caller takes the short one, a worker the long one (about a millisecond);
    // the caller runs out of spins, sets JOB_WAITER and sleeps, and the leaving worker wakes it
    // (without that wake-up the run never returns)
    const C = buffer('C', 'float32', [2]);
    const j = variable('j');
    const body = loop(2, (i) => forLoop(j, intImm(0), add(mul(i, intImm(300_000)), intImm(40_000)), store(C, [i], add(mul(load(C, [i]), floatImm(0.5)), floatImm(1)))), 'parallel');
    const exe = await load4([primFunc('uneven', [C], body)]);
    const arena = exe.arena?.(64);
    if (!arena) throw new Error('the wasm executable gave no arena');
    const job = new Int32Array(arena.buffer, CTRL.job, 1);
    let slept = 0;
    for (let rep = 0; rep < 30; rep++) {
      const c = new Float32Array(2);
      exe.run('uneven', [c]);
      expect([...c]).toEqual([2, 2]);
      if (Atomics.load(job, 0) & JOB_WAITER) slept++;
    }
    expect(slept).toBeGreaterThan(0);
    exe.dispose();
  });

  it('run a loop estimated below MIN_PARALLEL_WORK on the calling thread, publishing no job', async () => {
    const C = buffer('C', 'float32', [8]);
    const bump = (i: Expr): Stmt => store(C, [i], add(load(C, [i]), floatImm(1)));
    const small = primFunc('small', [C], loop(8, bump, 'parallel'));
    const big = primFunc('big', [C], loop(8, (i) => loop(MIN_PARALLEL_WORK, () => bump(i)), 'parallel'));
    const exe = await wasmBackend.load(wasmBackend.emit([small, big], { threads: 2 }), { threads: 2 });
    const arena = exe.arena?.(64);
    if (!arena) throw new Error('the wasm executable gave no arena');
    const job = new Int32Array(arena.buffer, CTRL.job, 1);
    const generation = (): number => Atomics.load(job, 0) >>> JOB_GEN_SHIFT;
    const c = new Float32Array(8);
    const before = generation();
    exe.run('small', [c]);
    expect(generation()).toBe(before);
    exe.run('big', [c]);
    expect(generation()).toBe(before + 1);
    expect([...c]).toEqual(Array(8).fill(1 + MIN_PARALLEL_WORK));
    exe.dispose();
  });

  it('split a loop into at least 4 chunks per thread (one per iteration when fewer), so threads get equal shares', async () => {
    // 14 iterations on 2 threads: 14 chunks of 1; rounding the chunk size up made 7 chunks of 2,
    // which two threads share 8 : 6
    const C = buffer('C', 'float32', [360]);
    const extents = [7, 10, 14, 20, 37, 360];
    const funcs = extents.map((e) => primFunc(`loop${e}`, [C], loop(e, (i) => store(C, [i], add(load(C, [i]), floatImm(1))), 'parallel')));
    const exe = await loadWasm(wasmBackend.emit(funcs, { threads: 2 }), { threads: 2, minParallelWork: 0 });
    const arena = exe.arena?.(64);
    if (!arena) throw new Error('the wasm executable gave no arena');
    const ctrl = new Int32Array(arena.buffer, 0, 16);
    const split = extents.map((e) => {
      const c = new Float32Array(360);
      exe.run(`loop${e}`, [c]);
      expect(c.slice(0, e).every((x) => x === 1)).toBe(true);
      return [Atomics.load(ctrl, CTRL.chunks >> 2), Atomics.load(ctrl, CTRL.chunkSize >> 2)];
    });
    expect(split).toEqual([[7, 1], [10, 1], [14, 1], [10, 2], [10, 4], [8, 45]]);
    exe.dispose();
  });

  it('handle loops with fewer iterations than threads, and empty ones', async () => {
    const [A] = [buffer('A', 'int32', [3])];
    const n = variable('n');
    const body = letStmt(
      n,
      load(A, [intImm(0)]),
      seq(
        forLoop(variable('e'), intImm(0), sub(n, n), store(A, [intImm(0)], intImm(-5)), 'parallel'),
        loop(3, (i) => store(A, [i], add(load(A, [i]), intImm(10))), 'parallel'),
      ),
    );
    const exe = await load4([primFunc('small', [A], body)]);
    const a = Int32Array.from([1, 2, 3]);
    exe.run('small', [a]);
    expect([...a]).toEqual([11, 12, 13]);
    exe.dispose();
  });
});
