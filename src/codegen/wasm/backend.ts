/**
 * @file The wasm backend plug-in: emit assembles one module for all PrimFuncs, load compiles it
 * and (for modules with parallel loops) starts the thread pool; loadSync runs them single-threaded.
 */

import type { Artifact, Backend, BuildOptions, Executable, TargetInfo } from '../target.js';
import type { PrimFunc } from '../../tir/stmt.js';
import { emitModule } from './codegen.js';
import { HOST_CORES } from './host.js';
import { MIN_PARALLEL_WORK } from './parallel.js';
import { loadWasm, loadWasmSync } from './runtime.js';

export const wasmTargetInfo: TargetInfo = {
  name: 'wasm',
  vectorBits: 128,
  cores: HOST_CORES,
  // typical desktop values: WebAssembly cannot observe the caches
  l1Bytes: 32 * 1024,
  l2Bytes: 1024 * 1024,
  l3Bytes: 8 * 1024 * 1024,
  threads: true,
  parallelMinWork: MIN_PARALLEL_WORK,
  sharedMemory: false,
};

export const wasmBackend: Backend = {
  name: 'wasm',
  info: wasmTargetInfo,
  emit(funcs: readonly PrimFunc[], opts: BuildOptions = {}): Artifact {
    const code = emitModule(funcs, { threads: opts.threads ?? HOST_CORES, relaxedSimd: opts.relaxedSimd });
    return { target: 'wasm', code, entries: funcs.map((f) => f.name) };
  },
  load(artifact: Artifact, opts?: BuildOptions): Promise<Executable> {
    return loadWasm(artifact, opts);
  },
  loadSync(artifact: Artifact, opts?: BuildOptions): Executable {
    return loadWasmSync(artifact, opts);
  },
};
