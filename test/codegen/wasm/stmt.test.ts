// Statements, whole loop nests, the run-time checks of an Executable, and the rule that no text
// from the IR reaches the binary.
import { describe, expect, it } from 'vitest';
import { CodegenError, KernelArgError, KernelAssertError } from '../../../src/codegen/abi.js';
import { wasmBackend } from '../../../src/codegen/wasm/index.js';
import type { Expr } from '../../../src/ir/expr.js';
import { add, broadcast, buffer, cmp, floatImm, intImm, load, mul, ramp, sub, variable } from '../../../src/ir/expr.js';
import type { ForKind, Stmt } from '../../../src/tir/stmt.js';
import { allocate, assertStmt, attr, forLoop, ifThenElse, letStmt, NOOP, primFunc, seq, store } from '../../../src/tir/stmt.js';
import { META_SECTION, parseMeta } from '../../../src/codegen/wasm/meta.js';
import { debugNames, runFunc } from './helpers.js';

const loop = (n: number, body: (i: Expr) => Stmt, kind: ForKind = 'serial'): Stmt => {
  const i = variable('i');
  return forLoop(i, intImm(0), intImm(n), body(i), kind);
};

describe('statements', () => {
  it('allocates stack buffers, nested and inside loops', async () => {
    const [A, C] = [buffer('A', 'float32', [16]), buffer('C', 'float32', [16])];
    const T = buffer('T', 'float32', [16], 'local');
    const U = buffer('U', 'int32', [3], 'local');
    const inner = allocate(U, seq(store(U, [intImm(2)], intImm(7)), loop(16, (i) => store(C, [i], add(load(C, [i]), floatImm(1))))));
    const body = allocate(
      T,
      seq(
        loop(16, (i) => store(T, [i], mul(load(A, [i]), floatImm(2)))),
        loop(16, (i) => store(C, [i], load(T, [sub(intImm(15), i)]))),
        loop(2, () => inner),
      ),
    );
    const a = Float32Array.from({ length: 16 }, (_, k) => k);
    const c = new Float32Array(16);
    await runFunc(primFunc('alloc', [A, C], body), [a, c]);
    expect([...c]).toEqual([...a].map((_, k) => 2 * (15 - k) + 2));
  });

  it('sizes memory for large parameters and stack buffers', async () => {
    const n = 300_000;
    const [A, C] = [buffer('A', 'float32', [n]), buffer('C', 'float32', [n])];
    const T = buffer('T', 'float32', [n], 'global');
    const body = allocate(T, seq(loop(n, (i) => store(T, [i], load(A, [i]))), loop(n, (i) => store(C, [i], add(load(T, [i]), floatImm(1))))));
    const a = Float32Array.from({ length: n }, (_, k) => k);
    const c = new Float32Array(n);
    await runFunc(primFunc('big', [A, C], body), [a, c]);
    expect(c[n - 1]).toBe(n);
  });

  it('keeps small local buffers with constant indices in locals, packed or per element', async () => {
    const [A, C] = [buffer('A', 'float32', [32]), buffer('C', 'float32', [12])];
    const acc = buffer('acc', 'float32', [8], 'local');
    const odd = buffer('odd', 'float32', [3], 'local');
    const v = { ...variable('v', 'float32'), lanes: 4 };
    const r0 = ramp(intImm(0), 1, 4);
    const r4 = ramp(intImm(4), 1, 4);
    const body = seq(
      allocate(
        acc,
        seq(
          store(acc, [r0], broadcast(floatImm(0), 4)),
          store(acc, [r4], broadcast(floatImm(1), 4)),
          loop(4, (k) => seq(
            store(acc, [r0], add(load(acc, [r0]), load(A, [ramp(mul(k, intImm(8)), 1, 4)]))),
            store(acc, [r4], mul(load(acc, [r4]), load(A, [ramp(add(mul(k, intImm(8)), intImm(4)), 1, 4)]))),
          )),
          // a read taken before a store keeps the old value
          letStmt(v, load(acc, [r0]), seq(store(acc, [r0], broadcast(floatImm(-1), 4)), store(C, [r0], add(v, load(acc, [r0]))))),
          store(C, [r4], load(acc, [r4])),
        ),
      ),
      allocate(
        odd,
        seq(
          store(odd, [intImm(0)], floatImm(2)),
          store(odd, [intImm(2)], floatImm(5)),
          store(C, [ramp(intImm(8), 1, 2)], load(odd, [ramp(intImm(0), 2, 2)])),
        ),
      ),
    );
    const a = Float32Array.from({ length: 32 }, (_, k) => (k % 5) + 1);
    const c = new Float32Array(12);
    const f = primFunc('regs', [A, C], body);
    // neither buffer takes stack memory
    const meta = parseMeta(WebAssembly.Module.customSections(new WebAssembly.Module(wasmBackend.emit([f], { threads: 1 }).code as Uint8Array), META_SECTION));
    expect(meta.stackPerThread).toBe(0);
    await runFunc(f, [a, c]);
    const sums = [0, 1, 2, 3].map((j) => [0, 1, 2, 3].reduce((t, k) => t + a[8 * k + j], 0) - 1);
    const prods = [0, 1, 2, 3].map((j) => [0, 1, 2, 3].reduce((t, k) => t * a[8 * k + 4 + j], 1));
    expect([...c]).toEqual([...sums, ...prods, 2, 5, 0, 0]);
  });

  it('keeps a local buffer in locals when a small loop indexes it, unrolling that loop', async () => {
    // a register tile's write-back: for (r, 0, 3) C[r * 8 : +8] = acc[r * 8 : +8]
    const [A, C] = [buffer('A', 'float32', [24]), buffer('C', 'float32', [24])];
    const acc = buffer('acc', 'float32', [24], 'local');
    const fill = loop(3, (r) => store(acc, [ramp(mul(r, intImm(8)), 1, 8)], mul(load(A, [ramp(mul(r, intImm(8)), 1, 8)]), broadcast(floatImm(2), 8))));
    const back = loop(3, (r) => store(C, [ramp(mul(r, intImm(8)), 1, 8)], add(load(acc, [ramp(mul(r, intImm(8)), 1, 8)]), broadcast(floatImm(1), 8))));
    const f = primFunc('tile', [A, C], allocate(acc, seq(fill, back)));
    const meta = parseMeta(WebAssembly.Module.customSections(new WebAssembly.Module(wasmBackend.emit([f], { threads: 1 }).code as Uint8Array), META_SECTION));
    expect(meta.stackPerThread).toBe(0);
    const a = Float32Array.from({ length: 24 }, (_, k) => k - 7);
    const c = new Float32Array(24);
    await runFunc(f, [a, c]);
    expect([...c]).toEqual([...a].map((x) => 2 * x + 1));
  });

  it('runs if/else and scalar lets', async () => {
    const [A, C] = [buffer('A', 'int32', [10]), buffer('C', 'int32', [10])];
    const t = variable('t');
    const body = loop(10, (i) =>
      letStmt(t, mul(load(A, [i]), intImm(3)), ifThenElse(cmp('gt', t, intImm(10)), store(C, [i], t), store(C, [i], sub(intImm(0), t)))),
    );
    const a = Int32Array.from({ length: 10 }, (_, k) => k);
    const c = new Int32Array(10);
    await runFunc(primFunc('iflet', [A, C], body), [a, c]);
    expect([...c]).toEqual([...a].map((x) => (3 * x > 10 ? 3 * x : -3 * x + 0)));
  });

  it('turns a failed assert into a KernelAssertError with its message, and keeps running after', async () => {
    const [A, C] = [buffer('A', 'int32', [4]), buffer('C', 'int32', [4])];
    const msg = 'index out of bounds: "A" `*/` \n';
    const body = loop(4, (i) => assertStmt(cmp('lt', load(A, [i]), intImm(100)), msg, store(C, [i], load(A, [i]))));
    const f = primFunc('checked', [A, C], body);
    const exe = await wasmBackend.load(wasmBackend.emit([f], { threads: 1 }));
    const c = new Int32Array(4);
    expect(() => exe.run('checked', [Int32Array.from([1, 2, 300, 4]), c])).toThrow(KernelAssertError);
    try {
      exe.run('checked', [Int32Array.from([1, 2, 300, 4]), c]);
    } catch (e) {
      expect((e as KernelAssertError).assertMessage).toBe(msg);
    }
    exe.run('checked', [Int32Array.from([1, 2, 3, 4]), c]);
    expect([...c]).toEqual([1, 2, 3, 4]);
    exe.dispose();
  });

  it('runs unrolled, vectorized-left-over and int64 loops, attrs and no-ops', async () => {
    const [A, C] = [buffer('A', 'int64', [70]), buffer('C', 'int64', [70])];
    const j = variable('j', 'int64');
    const body = seq(
      loop(6, (i) => store(C, [i], load(A, [i])), 'unrolled'),
      attr('pragma_unroll', null, [1], loop(64, (i) => store(C, [add(i, intImm(6))], add(load(A, [add(i, intImm(6))]), load(A, [i]))), 'unrolled')),
      loop(0, (i) => store(C, [i], load(A, [i])), 'vectorized'),
      forLoop(j, { ...intImm(0), dtype: 'int64' }, { ...intImm(3), dtype: 'int64' }, store(C, [j], mul(j, { ...intImm(1000), dtype: 'int64' }))),
      NOOP,
    );
    const a = BigInt64Array.from({ length: 70 }, (_, k) => BigInt(k) << 40n);
    const c = new BigInt64Array(70);
    await runFunc(primFunc('kinds', [A, C], body), [a, c]);
    const want = [...a].map((v, k) => (k < 3 ? BigInt(k) * 1000n : k < 6 ? v : v + a[k - 6]));
    expect([...c]).toEqual(want);
  });
});

describe('a matmul-like loop nest', () => {
  const [M, K, N] = [12, 10, 16];
  const [A, B, C] = [buffer('A', 'float32', [M, K]), buffer('B', 'float32', [K, N]), buffer('C', 'float32', [M, N])];

  /** C = A·B with C's row initialised then accumulated over k; j runs 4 at a time when vectorized. */
  function matmul(vectorized: boolean, multiDim: boolean): Stmt {
    const lanes = vectorized ? 4 : 1;
    const vec = (e: Expr): Expr => broadcast(e, lanes);
    return loop(M, (i) =>
      loop(N / lanes, (jj) => {
        const j = vectorized ? ramp(mul(jj, 4), 1, 4) : jj;
        const cIdx = multiDim ? [vec(i), j] : [add(mul(vec(i), vec(intImm(N))), j)];
        return seq(
          store(C, cIdx, vec(floatImm(0))),
          loop(K, (k) => {
            const a = vec(load(A, multiDim ? [i, k] : [add(mul(i, intImm(K)), k)]));
            const b = load(B, multiDim ? [vec(k), j] : [add(mul(vec(k), vec(intImm(N))), j)]);
            return store(C, cIdx, add(load(C, cIdx), mul(a, b)));
          }),
        );
      }),
    );
  }

  it('matches a JS computation, scalar and vectorized, flat and multi-dimensional', async () => {
    const a = Float32Array.from({ length: M * K }, (_, k) => ((k * 37) % 17) / 7 - 1);
    const b = Float32Array.from({ length: K * N }, (_, k) => ((k * 11) % 13) / 5 - 1.2);
    const want = new Float32Array(M * N);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc = Math.fround(acc + Math.fround(a[i * K + k] * b[k * N + j]));
        want[i * N + j] = acc;
      }
    }
    for (const vectorized of [false, true]) {
      for (const multiDim of [false, true]) {
        const c = new Float32Array(M * N);
        await runFunc(primFunc('mm', [A, B, C], matmul(vectorized, multiDim)), [a, b, c]);
        expect([...c], `vectorized=${vectorized} multiDim=${multiDim}`).toEqual([...want]);
      }
    }
  });
});

describe('names and errors', () => {
  it('keeps IR names out of the binary: only generated names reach the name section', async () => {
    const hostile = ['a"b', 'x\ny', '*/ evil /*', '`${process.exit()}`', "'; DROP"];
    const bufs = hostile.map((n) => buffer(n, 'float32', [4]));
    const t = variable('loop"var*/\n');
    const body = forLoop(t, intImm(0), intImm(4), store(bufs[4], [t], add(load(bufs[0], [t]), load(bufs[1], [t]))));
    const art = wasmBackend.emit([primFunc('kernel_main', bufs, body)], { threads: 1 });
    const code = art.code as Uint8Array;
    for (const n of debugNames(code)) expect(n).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    const text = new TextDecoder('latin1').decode(code);
    for (const h of [...hostile, 'loop"var']) expect(text.includes(h)).toBe(false);
    const args = bufs.map(() => Float32Array.from([1, 2, 3, 4]));
    const exe = await wasmBackend.load(art);
    exe.run('kernel_main', args);
    expect([...args[4]]).toEqual([2, 4, 6, 8]);
    exe.dispose();
  });

  it('rejects GPU-only constructs and bad function names with codegen errors', () => {
    const A = buffer('A', 'float32', [4]);
    const i = variable('i');
    const threadLoop = forLoop(i, intImm(0), intImm(4), store(A, [i], floatImm(0)), 'thread', 'threadIdx.x');
    expect(() => wasmBackend.emit([primFunc('t', [A], threadLoop)])).toThrow(CodegenError);
    expect(() => wasmBackend.emit([primFunc('t', [A], threadLoop)])).toThrow('threadIdx.x');
    const S = buffer('S', 'float32', [4], 'shared');
    expect(() => wasmBackend.emit([primFunc('s', [A], allocate(S, NOOP))])).toThrow("'shared' scope");
    expect(() => wasmBackend.emit([{ kind: 'primfunc', name: 'bad name', params: [A], body: NOOP }])).toThrow('not a plain identifier');
    const stranger = buffer('X', 'float32', [4]);
    expect(() => wasmBackend.emit([primFunc('u', [A], store(stranger, [intImm(0)], floatImm(1)))])).toThrow('neither a parameter nor allocated');
  });

  it('checks arguments at run time and runs several entries of one artifact', async () => {
    const [A, B] = [buffer('A', 'float32', [3]), buffer('B', 'int32', [2])];
    const fa = primFunc('fa', [A], loop(3, (i) => store(A, [i], add(load(A, [i]), floatImm(1)))));
    const fb = primFunc('fb', [B, A], loop(2, (i) => store(B, [i], intImm(9))));
    const exe = await wasmBackend.load(wasmBackend.emit([fa, fb], { threads: 1 }));
    const a = Float32Array.from([1, 2, 3]);
    exe.run('fa', [a]);
    expect([...a]).toEqual([2, 3, 4]);
    const b = new Int32Array(2);
    exe.run('fb', [b, a]);
    expect([...b, ...a]).toEqual([9, 9, 2, 3, 4]);
    expect(() => exe.run('fa', [])).toThrow('expects 1 arguments, got 0');
    expect(() => exe.run('fa', [new Float64Array(3)])).toThrow('argument 0 (float32) must be a Float32Array, got Float64Array');
    expect(() => exe.run('fa', [new Float32Array(2)])).toThrow(KernelArgError);
    expect(() => exe.run('nope', [a])).toThrow('no such entry (artifact has: fa, fb)');
    // a longer array is fine: the entry reads and writes its first elements only
    const longer = Float32Array.from([1, 1, 1, 7]);
    exe.run('fa', [longer]);
    expect([...longer]).toEqual([2, 2, 2, 7]);
    exe.dispose();
    expect(() => exe.run('fa', [a])).toThrow('disposed');
  });

  it('refuses artifacts that are not kiln wasm modules', async () => {
    await expect(wasmBackend.load({ target: 'wasm', code: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]), entries: [] })).rejects.toThrow('corrupt metadata');
    await expect(wasmBackend.load({ target: 'wasm', code: new Uint8Array([1, 2, 3]), entries: [] })).rejects.toThrow('invalid module');
    await expect(wasmBackend.load({ target: 'js', code: 'x', entries: [] })).rejects.toThrow('cannot load a js artifact');
  });
});
