/**
 * @file Running op computes through the real pipeline: TE → lower (default schedule) →
 * optimizeTir → js backend. The conformance tests use it so that what they check is what a
 * compiled model runs, not only the TE's meaning.
 */

import type { HostTensor } from '../../src/graph/tensor.js';
import { zeros } from '../../src/graph/tensor.js';
import { createJsBackend } from '../../src/codegen/js/backend.js';
import type { HostArray } from '../../src/codegen/target.js';
import { lower } from '../../src/lower/index.js';
import { makePassContext } from '../../src/passes/pass.js';
import { optimizeTir } from '../../src/passes/tir/pipeline.js';
import { createSchedule } from '../../src/schedule/index.js';
import type { Tensor } from '../../src/te/tensor.js';

const backend = createJsBackend();

/**
 * The values of `outputs` computed by a js kernel whose parameters are `inputs` then `outputs`;
 * `feeds[k]` holds the data of `inputs[k]`.
 */
export async function runJs(inputs: readonly Tensor[], feeds: readonly HostTensor[], outputs: readonly Tensor[]): Promise<HostTensor[]> {
  const f = optimizeTir(lower(createSchedule(outputs), [...inputs, ...outputs], 'kernel'), makePassContext());
  const exe = await backend.load(backend.emit([f]));
  const results = outputs.map((t) => zeros(t.dtype, t.shape));
  try {
    exe.run('kernel', [...feeds, ...results].map((h): HostArray => h.data));
  } finally {
    exe.dispose();
  }
  return results;
}
