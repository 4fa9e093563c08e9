/**
 * @file The backend plug-in interface. A backend turns lowered, optimized TIR functions into an
 * artifact (source text or a binary) and loads an artifact into something that runs. Strategies
 * and the tuner read `TargetInfo`; nothing else about a target leaks into the passes.
 */

import type { PrimFunc } from '../tir/stmt.js';

export interface TargetInfo {
  readonly name: string;
  /** width of one vector register in bits (128 for wasm SIMD, 512 for AVX-512) */
  readonly vectorBits: number;
  /** hardware threads available */
  readonly cores: number;
  readonly l1Bytes: number;
  readonly l2Bytes: number;
  readonly l3Bytes: number;
  /** whether parallel loops can run on several threads */
  readonly threads: boolean;
  /**
   * set where the runtime itself runs a parallel loop estimated below this much work on the
   * calling thread alone, judging each loop when it starts (wasm's pool does): strategies then
   * mark every loop of at least this much work parallel and leave the decision to the runtime,
   * rather than keep mid-size loops serial by a fixed size of their own. Smaller loops stay
   * serial, so a model made only of them builds no threaded module.
   */
  readonly parallelMinWork?: number;
  /** whether a 'shared' scope (GPU block memory) exists */
  readonly sharedMemory: boolean;
}

export type HostArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int32Array
  | BigInt64Array;

export interface Artifact {
  readonly target: string;
  /** source text for js and c, the module bytes for wasm */
  readonly code: string | Uint8Array;
  /** the PrimFunc names the artifact exports, in order */
  readonly entries: readonly string[];
}

export interface Executable {
  /** Runs `entry` on `args`, one host array per PrimFunc param, in param order. */
  run(entry: string, args: readonly HostArray[]): void;
  /** `bytes` of memory whose views `run` takes without copying (wasm: its linear memory), at most once */
  arena?(bytes: number): Uint8Array | undefined;
  dispose(): void;
}

export interface BuildOptions {
  /** number of threads parallel loops may use (default: the target's cores) */
  readonly threads?: number;
  /** allow relaxed-SIMD instructions (wasm: fused multiply-add); off by default, see wasm/relaxed.ts */
  readonly relaxedSimd?: boolean;
}

export interface Backend {
  readonly name: string;
  readonly info: TargetInfo;
  emit(funcs: readonly PrimFunc[], opts?: BuildOptions): Artifact;
  load(artifact: Artifact, opts?: BuildOptions): Promise<Executable>;
  /** Loads without waiting, where the target can (js): compile-time evaluation in synchronous graph passes. */
  loadSync?(artifact: Artifact, opts?: BuildOptions): Executable;
}
