/**
 * @file The errors the wasm backend raises. Codegen errors name the function and the construct;
 * runtime errors name the entry and the argument; a failed TIR `assert` surfaces as an
 * AssertionFailed carrying the assert's message, which was kept in a table on the JS side.
 */

/** TIR the wasm backend cannot translate (a GPU-only construct, an ill-typed node). */
export class WasmCodegenError extends Error {
  override readonly name = 'WasmCodegenError';
}

/** Bad arguments to `run`, a corrupt artifact, or a trap inside generated code. */
export class WasmRuntimeError extends Error {
  override readonly name = 'WasmRuntimeError';
}

/** A TIR `assert` whose condition was false while the kernel ran. */
export class WasmAssertionError extends Error {
  override readonly name = 'WasmAssertionError';
  constructor(
    readonly entry: string,
    readonly assertMessage: string,
  ) {
    super(`${entry}: assertion failed: ${assertMessage}`);
  }
}
