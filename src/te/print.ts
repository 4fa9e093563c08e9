/**
 * @file TE printer: one line per tensor, producers first.
 *
 *   A = placeholder(float32[64, 32])
 *   C[i, j] = sum(A[i, r] * B[r, j], axis=[r:32])     # float32[64, 64]
 */

import { printExpr } from '../ir/print.js';
import type { Tensor } from './tensor.js';
import { postOrder } from './tensor.js';

export function printTensors(outputs: readonly Tensor[]): string {
  return postOrder(outputs)
    .map((t) => {
      const type = `${t.dtype}[${t.shape.join(', ')}]`;
      if (t.op.kind === 'placeholder') return `${t.name} = placeholder(${type})`;
      const idx = t.op.axis.map((a) => a.var.name).join(', ');
      return `${t.name}[${idx}] = ${printExpr(t.op.body)}    # ${type}`;
    })
    .join('\n');
}
