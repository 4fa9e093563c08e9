/**
 * @file The one error of the wasm backend's own: a trap inside generated code (integer division
 * by zero, an out-of-bounds access) or an artifact that is not a kiln wasm module. Codegen
 * failures, bad arguments and failed asserts use the errors every CPU backend shares
 * (../abi.ts), so callers catch the same classes whatever the target.
 */

export class WasmRuntimeError extends Error {
  override readonly name = 'WasmRuntimeError';
}
