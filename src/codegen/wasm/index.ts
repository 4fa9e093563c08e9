/**
 * @file The WebAssembly backend: a typed module builder and TIR → wasm code generation.
 */

export { wasmBackend, wasmTargetInfo } from './backend.js';
export { emitModule } from './codegen.js';
export type { EmitOptions } from './codegen.js';
export { loadWasm, loadWasmSync } from './runtime.js';
export type { WasmLoadOptions } from './runtime.js';
export { RelaxedSimdError, WasmRuntimeError } from './errors.js';
export { enableRelaxedSimd, relaxedSimdSupported } from './relaxed.js';
export { ModuleBuilder, FunctionBuilder } from './builder.js';
export type { FuncType, MemoryLimits, ModuleOptions } from './builder.js';
export { Code } from './code.js';
export type { BlockType, FuncRef, Global, Label, Local } from './code.js';
export type { ValType } from './opcodes.js';
