/**
 * @file A tiny graph interpreter for the pass tests: each node — and each Fused node's body,
 * composed into one kernel — runs through its op's TE compute, built unscheduled with
 * `buildKernel` on the js target. It knows nothing of what an op means, so comparing a graph
 * before and after a pass compares what the passes did, not two implementations of the ops.
 */

import { buildKernel } from '../../../src/codegen/build.js';
import type { Graph, Node, Value } from '../../../src/graph/graph.js';
import type { HostTensor } from '../../../src/graph/tensor.js';
import { zeros } from '../../../src/graph/tensor.js';
import { computeNode } from '../../../src/ops/index.js';
import { fusedBody, isFused } from '../../../src/passes/graph/index.js';
import { createSchedule } from '../../../src/schedule/index.js';
import { compute, placeholder } from '../../../src/te/compute.js';
import type { Tensor } from '../../../src/te/tensor.js';
import { postOrder } from '../../../src/te/tensor.js';

/** Runs `outputs` as one kernel over the placeholders in `feeds` that they read. */
async function runKernel(outputs: readonly Tensor[], feeds: ReadonlyMap<Tensor, HostTensor>): Promise<HostTensor[]> {
  const read = new Set(postOrder(outputs).map((t) => t.id));
  const inputs = [...feeds.keys()].filter((t) => read.has(t.id));
  const seen = new Set<number>();
  // a kernel writes each output once and never writes an input: copy where that would happen
  const written = outputs.map((t) => {
    const out = t.op.kind === 'placeholder' || seen.has(t.id) ? compute(t.shape, (...i) => t.at(...i), 'copy') : t;
    seen.add(out.id);
    return out;
  });
  const results = written.map((t) => zeros(t.dtype, t.shape));
  const kernel = await buildKernel(createSchedule(written), [...inputs, ...written], { target: 'js' });
  try {
    kernel.run([...inputs.map((t) => feeds.get(t)!), ...results].map((h) => h.data));
  } finally {
    kernel.dispose();
  }
  return results;
}

/** The computes of `nodes` chained over tensors for their inputs; `known` gives constant inputs. */
function chain(nodes: readonly Node[], opsets: Graph['opsets'], tensors: Map<number, Tensor>, known: (v: Value) => HostTensor | undefined): void {
  for (const n of nodes) {
    const ins = n.inputs.map((v) => v && tensors.get(v.id)!);
    const outs = computeNode(n, opsets.get(n.domain) ?? 1, ins, (i) => {
      const v = n.inputs[i];
      return (v && known(v)) ?? null;
    });
    n.outputs.forEach((v, k) => tensors.set(v.id, outs[k]));
  }
}

/** A placeholder for each of `values`, fed from `data`. */
function holders(values: readonly Value[], data: readonly HostTensor[], tensors: Map<number, Tensor>, feeds: Map<Tensor, HostTensor>): void {
  values.forEach((v, k) => {
    const t = placeholder(data[k].shape, data[k].dtype, `p${k}`);
    tensors.set(v.id, t);
    feeds.set(t, data[k]);
  });
}

/** One node (a Fused node as its whole body) on its input values. */
async function runNode(n: Node, opsets: Graph['opsets'], inputs: readonly (HostTensor | null)[]): Promise<HostTensor[]> {
  const tensors = new Map<number, Tensor>();
  const feeds = new Map<Tensor, HostTensor>();
  const values = new Map<number, HostTensor>();
  if (isFused(n)) {
    const body = fusedBody(n);
    holders(body.inputs, inputs.map((t) => t!), tensors, feeds);
    holders(body.initializers.map((i) => i.value), body.initializers.map((i) => i.tensor), tensors, feeds);
    body.initializers.forEach((i) => values.set(i.value.id, i.tensor));
    chain(body.nodes, opsets, tensors, (v) => values.get(v.id));
    return runKernel(body.outputs.map((v) => tensors.get(v.id)!), feeds);
  }
  const present = n.inputs.flatMap((v, k) => (v === null ? [] : [[v, inputs[k]!] as const]));
  holders(present.map(([v]) => v), present.map(([, t]) => t), tensors, feeds);
  present.forEach(([v, t]) => values.set(v.id, t));
  chain([n], opsets, tensors, (v) => values.get(v.id));
  return runKernel(n.outputs.map((v) => tensors.get(v.id)!), feeds);
}

/** The values of `g`'s outputs for `feeds` (one per graph input). */
export async function runGraph(g: Graph, feeds: readonly HostTensor[]): Promise<HostTensor[]> {
  const env = new Map<number, HostTensor>();
  g.inputs.forEach((v, k) => env.set(v.id, feeds[k]));
  for (const i of g.initializers) env.set(i.value.id, i.tensor);
  for (const n of g.nodes) {
    const outs = await runNode(n, g.opsets, n.inputs.map((v) => v && env.get(v.id)!));
    n.outputs.forEach((v, k) => env.set(v.id, outs[k]));
  }
  return g.outputs.map((v) => env.get(v.id)!);
}
