/**
 * @file Running one op in the op tests: build a node over typed values, infer its output types,
 * build its computes over placeholders and evaluate them on the given inputs.
 */

import type { Attr } from '../../src/graph/attrs.js';
import type { Node } from '../../src/graph/graph.js';
import { makeNode, value } from '../../src/graph/graph.js';
import type { HostTensor } from '../../src/graph/tensor.js';
import { tensorType } from '../../src/graph/types.js';
import { placeholder } from '../../src/te/compute.js';
import type { Tensor } from '../../src/te/tensor.js';
import { computeNode } from '../../src/ops/index.js';
import { evaluate } from './evaluate.js';

export interface RunOptions {
  readonly attrs?: Readonly<Record<string, Attr>>;
  readonly opset?: number;
  readonly outputs?: number;
  /** whether the op may read inputs' values as constants (shape inputs); default true */
  readonly constants?: boolean;
}

/** A node of `op` over values typed like `inputs` (null: an omitted input). */
export function nodeOf(op: string, inputs: readonly (HostTensor | null)[], opts: RunOptions = {}): Node {
  return makeNode({
    op,
    inputs: inputs.map((t, k) => t && value(`x${k}`, tensorType(t.dtype, t.shape))),
    outputs: Array.from({ length: opts.outputs ?? 1 }, (_, k) => value(`y${k}`, null)),
    attrs: new Map(Object.entries(opts.attrs ?? {})),
  });
}

/** The outputs of `node` evaluated on `inputs`. */
export function runNode(node: Node, inputs: readonly (HostTensor | null)[], opts: RunOptions = {}): HostTensor[] {
  const tensors = inputs.map((t, k) => t && placeholder(t.shape, t.dtype, `in${k}`));
  const constants = opts.constants ?? true;
  const outs = computeNode(node, opts.opset ?? 21, tensors, (i) => (constants ? (inputs[i] ?? null) : null));
  const feeds = new Map<number, HostTensor>();
  tensors.forEach((t, k) => t && feeds.set(t.id, inputs[k]!));
  return evaluate(outs, (p: Tensor) => {
    const h = feeds.get(p.id);
    if (!h) throw new Error(`no feed for ${p.name}`);
    return h;
  });
}

/** Shorthand: run `op` with attributes on `inputs`. */
export function runOp(op: string, inputs: readonly (HostTensor | null)[], opts: RunOptions = {}): HostTensor[] {
  return runNode(nodeOf(op, inputs, opts), inputs, opts);
}
