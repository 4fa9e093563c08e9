/**
 * @file The wasm backend's own errors: a trap inside generated code (integer division
 * by zero, an out-of-bounds access) or an artifact that is not a kiln wasm module, and an engine
 * without the relaxed SIMD that was asked for. Codegen
 * failures, bad arguments and failed asserts use the errors every CPU backend shares
 * (../abi.ts), so callers catch the same classes whatever the target.
 */

export class WasmRuntimeError extends Error {
  override readonly name = 'WasmRuntimeError';
}

/** Relaxed SIMD was asked for and the engine cannot run it. */
export class RelaxedSimdError extends Error {
  override readonly name = 'RelaxedSimdError';
}
