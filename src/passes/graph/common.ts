/**
 * @file Helpers the graph passes share: the opset a node is read under, the constants a graph
 * defines, and output re-typing that keeps a value (and its printed form) when re-inference
 * only renews the fresh symbols of dims it cannot know.
 */

import { subgraphs } from '../../graph/attrs.js';
import type { Graph, Node, Value } from '../../graph/graph.js';
import { nodeLabel, withType } from '../../graph/graph.js';
import type { HostTensor } from '../../graph/tensor.js';
import { quote } from '../../graph/text.js';
import type { TensorType } from '../../graph/types.js';
import { isUnknownDim, tensorType, typesEqual } from '../../graph/types.js';
import { hasOp, inferNode } from '../../ops/index.js';
import { GraphPassError } from './errors.js';

/** The opset version `n`'s domain is imported at (the verifier guarantees there is one). */
export function opsetOf(g: Graph, n: Node, pass: string): number {
  const v = g.opsets.get(n.domain);
  if (v === undefined) throw new GraphPassError(pass, nodeLabel(n), `domain ${quote(n.domain)} has no opset import`);
  return v;
}

/** Initializer value id → tensor. */
export function constantsOf(g: Graph): Map<number, HostTensor> {
  return new Map(g.initializers.map((i) => [i.value.id, i.tensor]));
}

/** Whether `n` is an op of the registry without subgraphs: what rewrites may touch. */
export function isPlainOp(n: Node): boolean {
  return hasOp(n) && subgraphs(n).length === 0;
}

/**
 * `next`, except that a dim unknown in both keeps `prev`'s symbol: inference makes a fresh symbol
 * for every dim it cannot know, and re-running it must not rename them.
 */
function refine(prev: TensorType | null, next: TensorType): TensorType {
  if (prev === null || prev.dtype !== next.dtype || prev.shape.length !== next.shape.length) return next;
  return tensorType(next.dtype, next.shape.map((d, k) => (isUnknownDim(d) && isUnknownDim(prev.shape[k]) ? prev.shape[k] : d)));
}

/** `n`'s outputs typed as `types`: the same value object where the type does not change. */
export function retypeOutputs(n: Node, types: readonly TensorType[]): Value[] {
  return n.outputs.map((v, k) => {
    const t = refine(v.type, types[k]);
    return typesEqual(v.type, t) ? v : withType(v, t);
  });
}

/**
 * The inputs whose values (not only types) `n`'s inference reads — Reshape's shape, Slice's
 * starts — by position. A kernel needs these as constants: they decide its shapes.
 */
export function valueInputs(n: Node, opset: number, constant: (v: Value) => HostTensor | undefined): Set<number> {
  const asked = new Set<number>();
  inferNode(n, opset, n.inputs.map((v) => v && v.type), (i) => {
    asked.add(i);
    const v = n.inputs[i];
    return (v && constant(v)) ?? null;
  });
  return asked;
}
