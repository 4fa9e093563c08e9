// Relaxed SIMD is opt-in: without it no relaxed instruction is emitted and a multiply-add rounds
// twice; with it the engine is enabled on demand (Node 20 needs V8's flag) and float32 vector
// multiply-adds are fused, rounding once.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { enableRelaxedSimd, relaxedSimdSupported, wasmBackend } from '../../../src/codegen/wasm/index.js';
import type { Expr } from '../../../src/ir/expr.js';
import { add, buffer, intImm, load, mul, ramp, sub, variable } from '../../../src/ir/expr.js';
import { forLoop, primFunc, store } from '../../../src/tir/stmt.js';

const N = 8;

/** out[k] = combine(a[k]·b[k], c[k]) four lanes at a time. */
function madFunc(combine: (prod: Expr, c: Expr) => Expr) {
  const [A, B, C, D] = ['a', 'b', 'c', 'd'].map((n) => buffer(n, 'float32', [N]));
  const i = variable('i');
  const idx = ramp(mul(i, 4), 1, 4);
  const body = store(D, [idx], combine(mul(load(A, [idx]), load(B, [idx])), load(C, [idx])));
  return primFunc('mad', [A, B, C, D], forLoop(i, intImm(0), intImm(N / 4), body));
}

/** f32x4.relaxed_madd and relaxed_nmadd (0xFD prefix, LEB128 opcodes 0x105 and 0x106). */
function countRelaxed(code: Uint8Array): number {
  let n = 0;
  for (let k = 0; k + 2 < code.length; k++) if (code[k] === 0xfd && (code[k + 1] === 0x85 || code[k + 1] === 0x86) && code[k + 2] === 0x02) n++;
  return n;
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
    expect(countRelaxed(code)).toBe(0);
    expect([...out]).toEqual(Array<number>(N).fill(rounded));
  });

  it('can be enabled in Node, where V8 keeps it behind a flag', async () => {
    await enableRelaxedSimd();
    expect(relaxedSimdSupported()).toBe(true);
  });

  it.runIf(hasFma)('fuses x·y + z and z − x·y into one rounding', async () => {
    const plus = await run((p, c) => add(c, p), true, -1);
    expect(countRelaxed(plus.code)).toBeGreaterThan(0);
    expect([...plus.out]).toEqual(Array<number>(N).fill(exact));
    const minus = await run((p, c) => sub(c, p), true, 1);
    expect([...minus.out]).toEqual(Array<number>(N).fill(-exact));
  });
});
