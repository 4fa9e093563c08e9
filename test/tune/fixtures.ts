/**
 * Workloads and a fault-injection hook for the tuner's tests, loaded by measuring workers.
 */

import type { HostArray } from '../../src/codegen/target.js';
import type { Step } from '../../src/schedule/index.js';
import { compute, mul, placeholder, reduceAxis, sum } from '../../src/te/compute.js';
import type { TaskCompute } from '../../src/tune/task.js';
import type { BuildFn, Runnable } from '../../src/tune/measure/worker.js';
import { replaySchedule } from '../../src/schedule/index.js';

/** C = A·B with A: m×k, B: k×n, tagged as the op library tags a matmul. */
export function gemm(arg: unknown): TaskCompute {
  const { m, n, k } = arg as { m: number; n: number; k: number };
  const A = placeholder([m, k], 'float32', 'A');
  const B = placeholder([k, n], 'float32', 'B');
  const r = reduceAxis(k, 'k');
  const C = compute([m, n], (i, j) => sum(mul(A.at(i, r.var), B.at(r.var, j)), [r]), 'C', { tag: 'matmul' });
  return { outputs: [C], args: [A, B, C] };
}

/** Register-tile rows (the matmul template's `mr`) that ask for a fault. */
export const FAULTS: Readonly<Record<number, string>> = { 1: 'crash', 2: 'hang', 3: 'wrong', 5: 'throw' };

/** The register-tile rows of a matmul trace: the factor its first split of C's row axis records. */
export function mrOf(steps: readonly Step[]): number | undefined {
  const split = steps.find((s) => s.prim === 'split' && s.stage === 'C' && s.args.axis === 'i');
  return split?.prim === 'split' ? split.args.value : undefined;
}

/** The fault a candidate asks for, by its `mr`. */
function faultOf(steps: readonly Step[]): string | null {
  const mr = mrOf(steps);
  return mr === undefined ? null : (FAULTS[mr] ?? null);
}

/** Builds candidates as kiln does, except those whose tile asks for a fault. */
export async function buildCandidate(steps: readonly Step[], k: TaskCompute, build: BuildFn): Promise<Runnable> {
  const fault = faultOf(steps);
  if (fault === 'crash') process.abort();
  if (fault === 'throw') throw new Error('injected build failure');
  const kernel = await build(replaySchedule(steps, k.outputs), k);
  if (fault === 'hang') {
    return { run: () => { for (;;); }, dispose: () => kernel.dispose() };
  }
  if (fault === 'wrong') {
    return {
      run: (args: readonly HostArray[]) => {
        kernel.run(args);
        const out = args[args.length - 1];
        out[0] = Number(out[0]) + 1;
      },
      dispose: () => kernel.dispose(),
    };
  }
  return kernel;
}
