/**
 * @file The operator compiler's driver: schedule → TIR → optimized TIR → target code → a callable
 * kernel. This is the one place that strings the stages together for a single operator (or fused
 * group); model compilation and the tuner build on it.
 *
 *   const s = createSchedule([C]);  …schedule C…
 *   const k = await buildKernel(s, [A, B, C], { target: 'c', threads: 2 });
 *   k.run([a, b, c]);
 */

import type { Backend, BuildOptions, Executable, HostArray } from './target.js';
import { getBackend, type TargetName } from './index.js';
import { lower } from '../lower/index.js';
import type { PassConfig } from '../passes/pass.js';
import { makePassContext } from '../passes/pass.js';
import { optimizeTir } from '../passes/tir/pipeline.js';
import type { Schedule } from '../schedule/index.js';
import type { Tensor } from '../te/tensor.js';
import type { PrimFunc } from '../tir/stmt.js';

export interface KernelOptions extends BuildOptions {
  readonly target?: TargetName;
  /** the kernel's function name (a generated identifier) */
  readonly name?: string;
  readonly passes?: Partial<PassConfig>;
  /** receives the IR after each TIR pass (`--dump-ir`) */
  readonly dump?: (passName: string, printedIr: string) => void;
}

export interface KernelSpec {
  readonly schedule: Schedule;
  /** the kernel's parameters: inputs then outputs */
  readonly args: readonly Tensor[];
  readonly name: string;
}

/** Lowers and optimizes one scheduled kernel to its final TIR. */
export function lowerKernel(spec: KernelSpec, opts: KernelOptions = {}): PrimFunc {
  const func = lower(spec.schedule, [...spec.args], spec.name);
  return optimizeTir(func, makePassContext(opts.passes ?? {}, opts.dump));
}

export class Kernel {
  constructor(
    readonly funcs: readonly PrimFunc[],
    readonly source: string | Uint8Array,
    /** the loaded artifact (the compiled-model cache asks the c backend which libraries it is) */
    readonly exe: Executable,
  ) {}

  /** Runs kernel `entry` (default: the first) on host arrays in parameter order. */
  run(args: readonly HostArray[], entry = this.funcs[0].name): void {
    this.exe.run(entry, args);
  }

  arena(bytes: number): Uint8Array | undefined {
    return this.exe.arena?.(bytes);
  }

  dispose(): void {
    this.exe.dispose();
  }
}

/** Builds several kernels into one artifact (one compiler invocation for the C target). */
export async function buildKernels(specs: readonly KernelSpec[], opts: KernelOptions = {}): Promise<Kernel> {
  return buildFuncs(specs.map((s) => lowerKernel(s, opts)), opts);
}

/** Builds kernels already lowered (`lowerKernel`) into one artifact; the model executor lowers each itself to name the failing node. */
export async function buildFuncs(funcs: readonly PrimFunc[], opts: KernelOptions = {}): Promise<Kernel> {
  const backend: Backend = getBackend(opts.target ?? 'js');
  const artifact = backend.emit(funcs, opts);
  const exe = await backend.load(artifact, opts);
  return new Kernel(funcs, artifact.code, exe);
}

export async function buildKernel(
  schedule: Schedule,
  args: readonly Tensor[],
  opts: KernelOptions = {},
): Promise<Kernel> {
  return buildKernels([{ schedule, args, name: opts.name ?? 'kernel' }], opts);
}

/**
 * `buildKernel` for a target that loads synchronously (js): compile-time evaluation inside the
 * synchronous graph passes (constant folding) runs op computes through it. Other targets throw.
 */
export function buildKernelSync(schedule: Schedule, args: readonly Tensor[], opts: KernelOptions = {}): Kernel {
  const backend: Backend = getBackend(opts.target ?? 'js');
  if (backend.loadSync === undefined) throw new Error(`target '${backend.name}' cannot load kernels synchronously`);
  const funcs = [lowerKernel({ schedule, args, name: opts.name ?? 'kernel' }, opts)];
  const artifact = backend.emit(funcs, opts);
  return new Kernel(funcs, artifact.code, backend.loadSync(artifact, opts));
}
