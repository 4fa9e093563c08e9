// Relaxed SIMD is opt-in: without it no relaxed instruction is emitted and a multiply-add rounds
// twice; with it the engine is enabled on demand (Node 20 needs V8's flag) and float32 vector
// multiply-adds are fused, rounding once.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { enableRelaxedSimd, relaxedSimdSupported, wasmBackend } from '../../../src/codegen/wasm/index.js';
import type { Expr } from '../../../src/ir/expr.js';
import { add, buffer, intImm, load, mul, ramp, sub, variable } from '../../../src/ir/expr.js';
import { forLoop, primFunc, store } from '../../../src/tir/stmt.js';
import { buildKernel } from '../../../src/codegen/build.js';
import { wasmTargetInfo } from '../../../src/codegen/wasm/index.js';
import { createSchedule } from '../../../src/schedule/index.js';
import { defaultMatmulKnobs, scheduleMatmul } from '../../../src/strategy/cpu/matmul.js';
import { compute, placeholder, reduceAxis, sum as reduceSum } from '../../../src/te/index.js';
import { countRelaxedMadd } from './helpers.js';

const N = 8;

/** out[k] = combine(a[k]·b[k], c[k]) four lanes at a time. */
function madFunc(combine: (prod: Expr, c: Expr) => Expr) {
  const [A, B, C, D] = ['a', 'b', 'c', 'd'].map((n) => buffer(n, 'float32', [N]));
  const i = variable('i');
  const idx = ramp(mul(i, 4), 1, 4);
  const body = store(D, [idx], combine(mul(load(A, [idx]), load(B, [idx])), load(C, [idx])));
  return primFunc('mad', [A, B, C, D], forLoop(i, intImm(0), intImm(N / 4), body));
}


// a·b = 1 + 2⁻¹¹ + 2⁻²⁴ needs 25 significant bits: unfused it rounds to 1 + 2⁻¹¹ before the add
const a = 1 + 2 ** -12;
const exact = 2 ** -11 + 2 ** -24;
const rounded = 2 ** -11;

async function run(combine: (prod: Expr, c: Expr) => Expr, relaxedSimd: boolean, c: number): Promise<{ out: Float32Array; code: Uint8Array }> {
  const f = madFunc(combine);
  const artifact = wasmBackend.emit([f], { threads: 1, relaxedSimd });
  const exe = await wasmBackend.load(artifact, { threads: 1, relaxedSimd });
  const out = new Float32Array(N);
  try {
    exe.run('mad', [new Float32Array(N).fill(a), new Float32Array(N).fill(a), new Float32Array(N).fill(c), out]);
  } finally {
    exe.dispose();
  }
  return { out, code: artifact.code as Uint8Array };
}

// V8 lowers relaxed_madd to an FMA instruction when the CPU has one (x86-64 FMA3, every arm64)
const cpuinfo = (() => {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
})();
const hasFma = cpuinfo === null || process.arch === 'arm64' || /\bfma\b/.test(cpuinfo);

describe('relaxed SIMD', () => {
  it('is off by default: no relaxed instruction, the product rounds before the add', async () => {
    const { out, code } = await run((p, c) => add(p, c), false, -1);
    expect(countRelaxedMadd(code)).toBe(0);
    expect([...out]).toEqual(Array<number>(N).fill(rounded));
  });

  it('can be enabled in Node, where V8 keeps it behind a flag', async () => {
    await enableRelaxedSimd();
    expect(relaxedSimdSupported()).toBe(true);
  });

  it.runIf(hasFma)('fuses x·y + z and z − x·y into one rounding', async () => {
    const plus = await run((p, c) => add(c, p), true, -1);
    expect(countRelaxedMadd(plus.code)).toBeGreaterThan(0);
    expect([...plus.out]).toEqual(Array<number>(N).fill(exact));
    const minus = await run((p, c) => sub(c, p), true, 1);
    expect([...minus.out]).toEqual(Array<number>(N).fill(-exact));
  });

  it('fuses the default GEMM schedule, within the tolerance of the unfused reference', async () => {
    const n = 96;
    const A = placeholder([n, n], 'float32', 'A');
    const B = placeholder([n, n], 'float32', 'B');
    const k = reduceAxis(n, 'k');
    const C = compute([n, n], (i, j) => reduceSum(mul(A.at(i, k.var), B.at(k.var, j)), [k]), 'C');
    const s = createSchedule([C]);
    scheduleMatmul(s, C, defaultMatmulKnobs(wasmTargetInfo, { n, k: n }));
    const fused = await buildKernel(s, [A, B, C], { target: 'wasm', threads: 2, relaxedSimd: true, name: 'gemm' });
    const reference = await buildKernel(createSchedule([C]), [A, B, C], { target: 'js', name: 'gemm' });
    const a = Float32Array.from({ length: n * n }, (_, q) => Math.sin(q));
    const b = Float32Array.from({ length: n * n }, (_, q) => Math.cos(3 * q));
    const [got, want] = [new Float32Array(n * n), new Float32Array(n * n)];
    fused.run([a, b, got]);
    reference.run([a, b, want]);
    expect(countRelaxedMadd(fused.source as Uint8Array)).toBeGreaterThan(0);
    // the property test's tolerance (test/property): fused sums are no less accurate
    const tol = 1e-5 * want.reduce((m, v) => Math.max(m, Math.abs(v)), 0) + 1e-6;
    for (let q = 0; q < want.length; q++) expect(Math.abs(got[q] - want[q])).toBeLessThanOrEqual(tol);
    fused.dispose();
    reference.dispose();
  });
});
