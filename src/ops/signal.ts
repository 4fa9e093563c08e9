/**
 * @file Window functions: HannWindow, HammingWindow and BlackmanWindow, sums of cosines of
 * 2πn/N with N the size (periodic) or the size − 1 (symmetric), evaluated in float64 and
 * rounded to the output type.
 */

import { add, cast, constant, mul, sub } from '../ir/expr.js';
import type { Expr } from '../ir/expr.js';
import { tensorType } from '../graph/types.js';
import { compute, cos } from '../te/compute.js';
import type { NodeContext } from './context.js';
import { checkDType } from './check.js';
import { dtypeOfCode } from './generate.js';
import { defineOp } from './registry.js';
import { unknownDim } from './shape.js';

/** Per window: the coefficients a_k of Σ (−1)^k a_k cos(2πkn/N). */
const WINDOWS: readonly [string, readonly number[]][] = [
  ['HannWindow', [0.5, 0.5]],
  ['HammingWindow', [25 / 46, 21 / 46]],
  ['BlackmanWindow', [0.42, 0.5, 0.08]],
];

function sizeOf(ctx: NodeContext): number | null {
  const v = ctx.constantValues(0);
  if (v === null) return null;
  if (v.length !== 1 || v[0] < 0) throw ctx.fail(`size must be one non-negative value, got [${v.join(', ')}]`);
  return v[0];
}

for (const [name, coeffs] of WINDOWS) {
  defineOp({
    name,
    inputs: [1, 1],
    outputs: [1, 1],
    pattern: 'injective',
    infer(ctx) {
      checkDType(ctx, ctx.type(0).dtype, 'integer', 'input 0 (size)');
      const dtype = dtypeOfCode(ctx, ctx.int('output_datatype', 1), 'output_datatype');
      return [tensorType(dtype, [sizeOf(ctx) ?? unknownDim()])];
    },
    compute(ctx) {
      const { dtype, shape } = ctx.outputs[0];
      const n = shape[0];
      const period = ctx.int('periodic', 1) !== 0 ? n : n - 1;
      return [
        compute(shape, (i) => {
          const phase = mul(cast(i, 'float64'), constant((2 * Math.PI) / Math.max(period, 1), 'float64'));
          let w: Expr = constant(coeffs[0], 'float64');
          coeffs.slice(1).forEach((a, k) => {
            const term = mul(constant(a, 'float64'), cos(mul(phase, constant(k + 1, 'float64'))));
            w = k % 2 === 0 ? sub(w, term) : add(w, term);
          });
          return cast(w, dtype);
        }, name.toLowerCase(), { tag: 'injective' }),
      ];
    },
  });
}
