/**
 * @file Running op computes through the real pipeline — TE → default schedule → lower →
 * optimizeTir → js backend — with the driver every kernel goes through (`buildKernel`). The
 * conformance tests use it so that what they check is what a compiled model runs, not only the
 * TE's meaning.
 */

import { buildKernel } from '../../src/codegen/build.js';
import type { HostTensor } from '../../src/graph/tensor.js';
import { zeros } from '../../src/graph/tensor.js';
import type { HostArray } from '../../src/codegen/target.js';
import { createSchedule } from '../../src/schedule/index.js';
import type { Tensor } from '../../src/te/tensor.js';

/**
 * The values of `outputs` computed by a js kernel whose parameters are `inputs` then `outputs`;
 * `feeds[k]` holds the data of `inputs[k]`.
 */
export async function runJs(inputs: readonly Tensor[], feeds: readonly HostTensor[], outputs: readonly Tensor[]): Promise<HostTensor[]> {
  const kernel = await buildKernel(createSchedule(outputs), [...inputs, ...outputs], { target: 'js' });
  const results = outputs.map((t) => zeros(t.dtype, t.shape));
  try {
    kernel.run([...feeds, ...results].map((h): HostArray => h.data));
  } finally {
    kernel.dispose();
  }
  return results;
}
