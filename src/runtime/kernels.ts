/**
 * @file One node of a specialized graph → one kernel. The kernel's tensor expressions come from
 * the op library alone: a plain node's computes over placeholders, or, for a Fused node, the
 * computes of its body's nodes composed in order, so an intermediate of the group is just a
 * tensor that the default schedule inlines into its reader. Nothing here knows what an op means.
 *
 * The kernel's parameters are the inputs its computes actually read (an input that only decides
 * a shape, like Reshape's, is read as a constant and is not passed), then its outputs. Placeholder
 * and kernel names are generated (`p0`, `k3`): no name from the model reaches generated source.
 */

import type { KernelSpec } from '../codegen/build.js';
import type { TargetInfo } from '../codegen/target.js';
import type { Node, Value } from '../graph/graph.js';
import { nodeLabel, valueLabel } from '../graph/graph.js';
import type { HostTensor } from '../graph/tensor.js';
import { staticShape } from '../graph/types.js';
import { computeNode } from '../ops/index.js';
import { fusedBody, isFused } from '../passes/graph/index.js';
import type { Schedule } from '../schedule/index.js';
import { compute, placeholder } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import { postOrder } from '../te/tensor.js';
import { SessionError } from './errors.js';
import { defaultSchedule } from './schedule.js';

/** What a kernel parameter is bound to: a value of the graph, or a constant of a fused body. */
export type Binding = { readonly kind: 'value'; readonly value: Value } | { readonly kind: 'constant'; readonly tensor: HostTensor };

export interface NodeKernel {
  readonly spec: KernelSpec;
  /** one binding per kernel parameter: the read inputs, then the node's outputs */
  readonly params: readonly Binding[];
}

/** What a kernel computes: nodes over inputs, and which of their values leave the kernel. */
interface Body {
  readonly nodes: readonly Node[];
  /** each body input and what the kernel binds it to */
  readonly inputs: readonly (readonly [Value, Binding])[];
  readonly outputs: readonly Value[];
}

function bodyOf(node: Node): Body {
  if (!isFused(node)) {
    const seen = new Map<number, Value>();
    for (const v of node.inputs) if (v !== null) seen.set(v.id, v);
    return { nodes: [node], inputs: [...seen.values()].map((v) => [v, { kind: 'value', value: v }] as const), outputs: node.outputs };
  }
  const body = fusedBody(node);
  const inputs = body.inputs.map((v, k): readonly [Value, Binding] => {
    const outer = node.inputs[k];
    if (outer === null) throw new SessionError(nodeLabel(node), `input ${k} of a fused group is absent`);
    return [v, { kind: 'value', value: outer }];
  });
  const constants = body.initializers.map((i): readonly [Value, Binding] => [i.value, { kind: 'constant', tensor: i.tensor }]);
  return { nodes: body.nodes, inputs: [...inputs, ...constants], outputs: body.outputs };
}

function concreteShape(v: Value, node: Node): number[] {
  const shape = v.type && staticShape(v.type.shape);
  if (!shape) throw new SessionError(nodeLabel(node), `${valueLabel(v)} has no concrete shape`);
  return shape;
}

/** `t` itself, or a copy when it is a placeholder or already an output (a kernel writes each output once). */
function asOutput(t: Tensor, taken: Set<number>): Tensor {
  const out = t.op.kind === 'placeholder' || taken.has(t.id) ? compute(t.shape, (...i) => t.at(...i), 'copy', { tag: 'injective' }) : t;
  taken.add(out.id);
  return out;
}

/** The tensors of a kernel, unscheduled: its parameters (read inputs, then outputs) and how each is bound. */
export interface KernelCompute {
  readonly outputs: readonly Tensor[];
  /** the kernel's parameters: the inputs its computes read, then its outputs */
  readonly args: readonly Tensor[];
  readonly params: readonly Binding[];
}

/**
 * Picks a kernel's schedule in place of the default one (tuning records do); null keeps the
 * default. It gets freshly built tensors, so it may replay a recorded schedule onto them.
 */
export type KernelScheduler = (kernel: Pick<KernelCompute, 'outputs' | 'args'>, target: TargetInfo) => Schedule | null;

/**
 * The tensor expressions of `node` (a node of a specialized graph). `constant` gives the values
 * of the graph's constants, which ops may read as known values (shape inputs). Each call builds
 * fresh tensors.
 */
export function kernelCompute(node: Node, opset: number, constant: (v: Value) => HostTensor | undefined): KernelCompute {
  const body = bodyOf(node);
  const tensors = new Map<number, Tensor>();
  const known = new Map<number, HostTensor>();
  const holders = body.inputs.map(([v, binding], k) => {
    const t = placeholder(concreteShape(v, node), v.type!.dtype, `p${k}`);
    tensors.set(v.id, t);
    const c = binding.kind === 'constant' ? binding.tensor : constant(binding.value);
    if (c !== undefined) known.set(v.id, c);
    return { tensor: t, binding };
  });
  for (const n of body.nodes) {
    const ins = n.inputs.map((v) => (v === null ? null : tensors.get(v.id) ?? missing(n, v)));
    const outs = computeNode(n, opset, ins, (i) => known.get(n.inputs[i]?.id ?? -1) ?? null);
    n.outputs.forEach((v, k) => tensors.set(v.id, outs[k]));
  }
  const taken = new Set<number>();
  const outputs = body.outputs.map((v) => asOutput(tensors.get(v.id) ?? missing(node, v), taken));
  const read = new Set(postOrder(outputs).map((t) => t.id));
  const used = holders.filter((h) => read.has(h.tensor.id));
  return {
    outputs,
    args: [...used.map((h) => h.tensor), ...outputs],
    params: [...used.map((h) => h.binding), ...node.outputs.map((value): Binding => ({ kind: 'value', value }))],
  };
}

/** The kernel of `node`, named `name`: its computes under `scheduler`'s schedule, or the default one. */
export function nodeKernel(
  node: Node,
  name: string,
  opset: number,
  constant: (v: Value) => HostTensor | undefined,
  target: TargetInfo,
  scheduler?: KernelScheduler,
): NodeKernel {
  const k = kernelCompute(node, opset, constant);
  const schedule = scheduler?.(k, target) ?? defaultSchedule(k.outputs, target);
  return { spec: { schedule, args: k.args, name }, params: k.params };
}

function missing(n: Node, v: Value): never {
  throw new SessionError(nodeLabel(n), `${valueLabel(v)} is not computed before it is used`);
}
