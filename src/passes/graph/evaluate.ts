/**
 * @file Compile-time evaluation of one node through kiln's own kernels: the op's TE compute
 * (`computeNode`) over placeholders, scheduled by nothing (`createSchedule`), lowered and built
 * for the js target and run on the constant inputs. There is no second implementation of any op
 * here: a folded constant is exactly what the compiled model would have computed at run time.
 *
 * Only the inputs the compute reads need values. Shape reads only its input's shape and
 * ConstantOfShape only the value of its shape input, so they evaluate once the shapes or that
 * value are known, whatever computes their data input — which is what folds shape chains.
 */

import { buildKernelSync } from '../../codegen/build.js';
import type { Node, Value } from '../../graph/graph.js';
import type { HostTensor } from '../../graph/tensor.js';
import { shapeSize, zeros } from '../../graph/tensor.js';
import { staticShape } from '../../graph/types.js';
import { computeNode } from '../../ops/index.js';
import { createSchedule } from '../../schedule/index.js';
import { placeholder } from '../../te/compute.js';
import type { Tensor } from '../../te/tensor.js';
import { postOrder } from '../../te/tensor.js';

/** Whether a result of `outElements` elements computed from `readElements` input elements is worth keeping. */
export type FoldPolicy = (outElements: number, readElements: number) => boolean;

interface Prepared {
  readonly outputs: readonly Tensor[];
  /** the placeholders the computes read, with the value each stands for */
  readonly reads: readonly { readonly tensor: Tensor; readonly value: Value }[];
}

/** The node's computes over placeholders, or null when some input or output shape is not concrete. */
function prepare(node: Node, opset: number, known: (v: Value) => HostTensor | undefined): Prepared | null {
  if (node.outputs.some((v) => v.type === null || staticShape(v.type.shape) === null)) return null;
  const holders: (Tensor | null)[] = [];
  for (const [k, v] of node.inputs.entries()) {
    if (v === null) {
      holders.push(null);
      continue;
    }
    const shape = v.type && staticShape(v.type.shape);
    if (!v.type || !shape) return null;
    holders.push(placeholder(shape, v.type.dtype, `in${k}`));
  }
  const lookup = (i: number): HostTensor | null => {
    const v = node.inputs[i];
    return (v && known(v)) ?? null;
  };
  const outputs = computeNode(node, opset, holders, lookup);
  const read = new Set(postOrder(outputs).map((t) => t.id));
  const reads = holders.flatMap((t, k) => (t !== null && read.has(t.id) ? [{ tensor: t, value: node.inputs[k]! }] : []));
  return { outputs, reads };
}

/** Runs `outputs` as one js kernel over `reads` fed with `feeds`. */
function run(outputs: readonly Tensor[], reads: readonly Tensor[], feeds: readonly HostTensor[]): HostTensor[] {
  const fed = new Map(reads.map((t, k) => [t.id, feeds[k]]));
  const written = [...new Map(outputs.filter((t) => !fed.has(t.id)).map((t) => [t.id, t])).values()];
  const results = new Map(written.map((t) => [t.id, zeros(t.dtype, t.shape)]));
  if (written.length > 0) {
    const kernel = buildKernelSync(createSchedule(written), [...reads, ...written], { target: 'js', name: 'fold' });
    try {
      kernel.run([...feeds, ...written.map((t) => results.get(t.id)!)].map((h) => h.data));
    } finally {
      kernel.dispose();
    }
  }
  // an output that is an input placeholder is that input: tensors are immutable, so share it
  return outputs.map((t) => fed.get(t.id) ?? results.get(t.id)!);
}

/**
 * The outputs of `node`, computed when every input its compute reads has a value in `known` and
 * `policy` accepts the sizes; null otherwise (it stays a node).
 */
export function evaluateNode(node: Node, opset: number, known: (v: Value) => HostTensor | undefined, policy: FoldPolicy): HostTensor[] | null {
  const p = prepare(node, opset, known);
  if (p === null) return null;
  const feeds: HostTensor[] = [];
  for (const r of p.reads) {
    const t = known(r.value);
    if (t === undefined) return null;
    feeds.push(t);
  }
  const outElements = p.outputs.reduce((s, t) => s + shapeSize(t.shape), 0);
  const readElements = feeds.reduce((s, t) => s + t.data.length, 0);
  if (!policy(outElements, readElements)) return null;
  return run(p.outputs, p.reads.map((r) => r.tensor), feeds);
}
