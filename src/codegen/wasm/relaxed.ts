/**
 * @file Relaxed SIMD, an explicit option (off by default): float32 vector multiply-adds become
 * `f32x4.relaxed_madd`, one fused multiply-add where the CPU has FMA. Fused results round once
 * instead of twice, so they can differ in the last bit from the unfused ones (and between
 * engines), which is why it is opt-in.
 *
 * Support is decided by validating a tiny probe module that uses the instruction. Node 20's V8
 * has it behind `--experimental-wasm-relaxed-simd`; when asked for relaxed SIMD in Node, that
 * flag is set through `v8.setFlagsFromString` (V8 reads its wasm feature flags at each
 * validation, so modules compiled afterwards accept the instructions) and the probe is retried.
 * Browsers that support it (Chromium 114 and later) need nothing.
 */

import { ModuleBuilder } from './builder.js';
import { RelaxedSimdError } from './errors.js';

function probe(): Uint8Array {
  const mb = new ModuleBuilder({ relaxedSimd: true });
  const f = mb.func('probe', { params: [], results: ['v128'] });
  f.code.f32x4Const([1, 1, 1, 1]).f32x4Const([2, 2, 2, 2]).f32x4Const([3, 3, 3, 3]).relaxed('f32x4.relaxed_madd');
  return mb.finish();
}

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

/** Whether the engine accepts relaxed-SIMD instructions now. */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(probe());
}

let enabled: Promise<void> | undefined;

/** Makes the engine accept relaxed SIMD (setting V8's flag in Node), or rejects with a RelaxedSimdError saying why not. */
export function enableRelaxedSimd(): Promise<void> {
  enabled ??= (async () => {
    if (relaxedSimdSupported()) return;
    if (isNode) {
      const v8 = await import('node:v8');
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      if (relaxedSimdSupported()) return;
    }
    const engine = isNode ? `Node ${process.versions.node} (even with --experimental-wasm-relaxed-simd)` : 'this engine';
    throw new RelaxedSimdError(`relaxed SIMD is not supported by ${engine}; run without the relaxed SIMD option`);
  })();
  return enabled;
}
