/**
 * @file Shared pieces of the graph pass tests: building small typed graphs, running one pass,
 * printing, and comparing results within float tolerance.
 */

import { GraphBuilder } from '../../../src/graph/builder.js';
import type { Graph } from '../../../src/graph/graph.js';
import { printGraph } from '../../../src/graph/print.js';
import type { HostTensor } from '../../../src/graph/tensor.js';
import { tensorNumbers, tensorOf } from '../../../src/graph/tensor.js';
import type { Dim } from '../../../src/graph/types.js';
import { tensorType } from '../../../src/graph/types.js';
import type { Pass } from '../../../src/passes/pass.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { inferGraph } from '../../../src/passes/graph/index.js';

export const OPSETS = new Map([['', 17]]);
export const ctx = makePassContext();

/** A builder with the default opset. */
export function builder(): GraphBuilder {
  return new GraphBuilder(OPSETS, 'g');
}

export const f32 = (shape: readonly Dim[]) => tensorType('float32', shape);

/** A float32 constant tensor. */
export const floats = (shape: readonly number[], values: readonly number[]) => tensorOf('float32', shape, values);

/** A float32 tensor of `shape` filled with a deterministic ramp scaled by `k`. */
export function ramp(shape: readonly number[], k = 0.25, offset = 0): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return floats(shape, Array.from({ length: n }, (_, i) => ((i * 7) % 11) * k - 1 + offset));
}

/** `g` typed by inference (what every pass after inferTypes expects). */
export const typed = (g: Graph): Graph => inferGraph(g);

/** The printed graph after `pass`, without the opset line. */
export function after(pass: Pass<Graph>, g: Graph): string {
  return body(pass.run(g, ctx));
}

/** The printed graph without its opset line. */
export function body(g: Graph): string {
  return printGraph(g).split('\n').slice(1).join('\n');
}

export const lines = (...ls: string[]): string => ls.join('\n');

/** Whether `a` and `b` have the same shape and close elements (relative and absolute tolerance). */
export function allClose(a: HostTensor, b: HostTensor, rtol = 1e-4, atol = 1e-5): boolean {
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) return false;
  const x = tensorNumbers(a);
  const y = tensorNumbers(b);
  return x.every((v, i) => v === y[i] || Math.abs(v - y[i]) <= atol + rtol * Math.abs(y[i]) || (Number.isNaN(v) && Number.isNaN(y[i])));
}
