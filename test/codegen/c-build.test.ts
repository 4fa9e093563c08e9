/**
 * The c backend's build path: the disk cache (a second load of the same source does not run the
 * compiler; a failed compile leaves no entry), the errors for a missing or failing compiler, the
 * thread count per executable, the shape of the emitted source, and one look at the assembly of
 * a GEMM micro-kernel (its accumulators must stay in registers). Compilers are wrapped in small
 * shell scripts that count their invocations.
 */

import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { add, broadcast, buffer, floatImm, intImm, load, mul, ramp, variable } from '../../src/ir/expr.js';
import type { PrimFunc } from '../../src/tir/stmt.js';
import { allocate, forLoop, primFunc, seq, store } from '../../src/tir/stmt.js';
import { createCBackend } from '../../src/codegen/c/backend.js';
import { CompileError, CompilerNotFoundError, compilerFlags } from '../../src/codegen/c/compile.js';
import { HAS_CC, NO_CC, tempDir } from './harness.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** out[i] = in[i] * k over a parallel loop; `k` makes distinct sources. */
function scale(k: number): PrimFunc {
  const a = buffer('a', 'float32', [1000]);
  const o = buffer('o', 'float32', [1000]);
  const i = variable('i');
  return primFunc(`scale${k}`, [a, o], forLoop(i, intImm(0), intImm(1000), store(o, [i], mul(load(a, [i]), floatImm(k))), 'parallel'));
}

/** A shell script standing in for the compiler: logs each compile to `log`, then runs `then`. */
function fakeCompiler(name: string, then: string): { cc: string; count: () => number } {
  const cc = join(dir, name);
  const log = join(dir, `${name}.log`);
  writeFileSync(log, '');
  writeFileSync(cc, `#!/bin/sh\ncase " $* " in *" -shared "*) echo x >> '${log}';; esac\n${then}\n`);
  chmodSync(cc, 0o755);
  const count = (): number => execFileSync('cat', [log], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
  return { cc, count };
}

function run(exe: { run: (e: string, a: Float32Array[]) => void }, k: number): number {
  const out = new Float32Array(1000);
  exe.run(`scale${k}`, [Float32Array.from({ length: 1000 }, (_, i) => i), out]);
  return out[999];
}

const entries = (d: string): string[] => readdirSync(d).sort();

describe.runIf(HAS_CC)(HAS_CC ? 'c backend build and cache' : NO_CC, () => {
  it('compiles a source once, then loads it from the cache', async () => {
    const cacheDir = join(dir, 'cache');
    const cc = fakeCompiler('counting-cc', 'exec cc "$@"');
    const first = createCBackend({ cc: cc.cc, cacheDir });
    const art = first.emit([scale(2)]);
    // the thread pool's library, then the kernel's
    const e1 = await first.load(art, { threads: 2 });
    expect(cc.count()).toBe(2);
    const e2 = await createCBackend({ cc: cc.cc, cacheDir }).load(art, { threads: 1 });
    expect(cc.count()).toBe(2);
    expect([run(e1, 2), run(e2, 2)]).toEqual([1998, 1998]);
    await first.load(first.emit([scale(3)]));
    expect(cc.count()).toBe(3);
    expect(entries(cacheDir).every((f) => /^[0-9a-f]{64}\.so$/.test(f))).toBe(true);
    expect(entries(cacheDir)).toHaveLength(3);
    e1.dispose();
    e2.dispose();
  });

  it('leaves no cache entry when the compiler dies mid-write, and recovers', async () => {
    const cacheDir = join(dir, 'cache-crash');
    const dying = fakeCompiler('dying-cc', 'case " $* " in *" -shared "*) for a; do [ "$prev" = "-o" ] && echo partial > "$a"; prev="$a"; done; exit 137;; esac\nexec cc "$@"');
    const art = createCBackend({ cacheDir }).emit([scale(4)]);
    await expect(createCBackend({ cc: dying.cc, cacheDir }).load(art)).rejects.toThrow(CompileError);
    expect(entries(cacheDir)).toEqual([]);
    const good = fakeCompiler('recovering-cc', 'exec cc "$@"');
    const exe = await createCBackend({ cc: good.cc, cacheDir }).load(art);
    expect(good.count()).toBe(2);
    expect(run(exe, 4)).toBe(3996);
    exe.dispose();
  });

  it('reports a compiler failure with its log', async () => {
    const failing = fakeCompiler('failing-cc', 'case " $* " in *" -shared "*) echo "kernel.c:1: error: something broke" >&2; exit 1;; esac\nexec cc "$@"');
    const backend = createCBackend({ cc: failing.cc, cacheDir: join(dir, 'cache-fail') });
    const load = backend.load(backend.emit([scale(5)]));
    await expect(load).rejects.toThrow(CompileError);
    await expect(load).rejects.toThrow(`C compiler '${failing.cc}' failed:\nkernel.c:1: error: something broke`);
  });

  it('runs parallel kernels with each executable’s own thread count', async () => {
    const backend = createCBackend({ cacheDir: join(dir, 'cache') });
    const art = backend.emit([scale(2)]);
    const exes = await Promise.all([1, 2, 7].map((threads) => backend.load(art, { threads })));
    expect(exes.map((e) => run(e, 2))).toEqual([1998, 1998, 1998]);
    exes.forEach((e) => e.dispose());
    await expect(backend.load(art, { threads: 0 })).rejects.toThrow('c backend: threads must be a positive integer, got 0');
  });
});

describe('a missing compiler', () => {
  it('throws CompilerNotFoundError pointing at the targets that still work', async () => {
    const cc = join(dir, 'no-such-compiler');
    const backend = createCBackend({ cc, cacheDir: join(dir, 'unused') });
    const load = backend.load(backend.emit([scale(6)]));
    await expect(load).rejects.toThrow(CompilerNotFoundError);
    await expect(load).rejects.toThrow(`C compiler '${cc}' could not be run (ENOENT); install one (gcc or clang), or use the 'js' or 'wasm' target, which still work`);
  });
});

describe('emitted C', () => {
  const code = createCBackend({ cc: 'unused' }).emit([scale(2)]).code as string;

  it('uses restrict pointers, the thread pool with the per-call thread count, and the documented ABI', () => {
    expect(code).toContain('static int32_t kiln_impl_scale2(const float *restrict a_');
    expect(code).toContain('kiln_parallel(kiln_scale2_par1_task, (void *)&kiln_args1, 0, 1000, kiln_nthreads);');
    expect(code).toContain('KILN_EXPORT int32_t kiln_entry_scale2(void *const *args, int32_t nthreads) {');
    expect(code).toContain('KILN_EXPORT const char *kiln_manifest(void) {');
  });
});

/** The GEMM micro-kernel of vector.test.ts, 6 x 16 floats of accumulators. */
function gemm(): PrimFunc {
  const [K, MR, NR] = [64, 6, 16];
  const A = buffer('A', 'float32', [MR * K]);
  const B = buffer('B', 'float32', [K * NR]);
  const C = buffer('C', 'float32', [MR * NR]);
  const acc = buffer('acc', 'float32', [MR * NR], 'local');
  const [i0, i1, i2, k] = [variable('ii'), variable('ii'), variable('ii'), variable('k')];
  const tile = (v: ReturnType<typeof variable>) => ramp(mul(v, NR), 1, NR);
  return primFunc('gemm', [A, B, C], allocate(acc, seq(
    forLoop(i0, intImm(0), intImm(MR), store(acc, [tile(i0)], broadcast(floatImm(0), NR)), 'unrolled'),
    forLoop(k, intImm(0), intImm(K), forLoop(i1, intImm(0), intImm(MR),
      store(acc, [tile(i1)], add(load(acc, [tile(i1)]), mul(broadcast(load(A, [add(mul(i1, K), k)]), NR), load(B, [ramp(mul(k, NR), 1, NR)])))), 'unrolled')),
    forLoop(i2, intImm(0), intImm(MR), store(C, [tile(i2)], load(acc, [tile(i2)])), 'unrolled'),
  )));
}

describe.runIf(HAS_CC && arch() === 'x64')('GEMM micro-kernel assembly', () => {
  it('keeps the accumulator tile in registers (no vector loads or stores on the stack) and uses FMA', () => {
    const src = join(dir, 'gemm.c');
    writeFileSync(src, createCBackend({ cc: 'unused' }).emit([gemm()]).code);
    const flags = compilerFlags('fast').filter((f) => f !== '-shared');
    const asm = execFileSync('cc', [...flags, '-S', '-o', '-', src], { encoding: 'utf8' });
    const stackVectorTraffic = asm.split('\n').filter((l) => /\bv?mov\w*\s.*%[xyz]mm\d+.*\(%r[sb]p\)/.test(l));
    expect(stackVectorTraffic).toEqual([]);
    expect(asm).toMatch(/vfmadd\d+ps/);
  });
});
