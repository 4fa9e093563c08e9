/**
 * @file From a model's graph to the graph its kernels are built from. `typeGraph` types every
 * value from the input types (symbolic when a session is created, which catches unknown ops and
 * bad attributes before the first run; concrete when a session sees real feeds) and
 * `specialize` also requires every shape to be concrete, since kernels are compiled per shape.
 *
 * Constant nodes become initializers here: they are data, and ops read them as known values
 * (Reshape's shape, Slice's starts). This is the bridge to the graph passes: once
 * `optimizeGraph` (constant folding, fusion) is available, `specialize` runs it instead.
 */

import type { Graph, Node, Value } from '../graph/graph.js';
import { nodeLabel, valueLabel } from '../graph/graph.js';
import { GraphBuilder } from '../graph/builder.js';
import type { HostTensor } from '../graph/tensor.js';
import { tensorOf } from '../graph/tensor.js';
import type { TensorType } from '../graph/types.js';
import { staticShape, tensorType } from '../graph/types.js';
import { indexGraph } from '../graph/uses.js';
import { inferNode } from '../ops/index.js';
import { SessionError } from './errors.js';

/** The value of a Constant node, from whichever value attribute it has. */
function constantOf(n: Node): HostTensor {
  const a = n.attrs.get('value') ?? n.attrs.get('value_float') ?? n.attrs.get('value_int') ?? n.attrs.get('value_floats') ?? n.attrs.get('value_ints');
  switch (a?.kind) {
    case 'tensor':
      return a.value;
    case 'float':
      return tensorOf('float32', [], [a.value]);
    case 'int':
      return tensorOf('int64', [], [a.value]);
    case 'floats':
      return tensorOf('float32', [a.value.length], a.value);
    case 'ints':
      return tensorOf('int64', [a.value.length], a.value);
    default:
      throw new SessionError(nodeLabel(n), 'has no value attribute kiln supports (value, value_float(s), value_int(s))');
  }
}

/**
 * `g` with its inputs typed as `inputTypes` (null keeps the declared type) and every node output
 * typed by its op's inference. Throws the op's OpError for an unknown op or a bad attribute.
 */
export function typeGraph(g: Graph, inputTypes: readonly (TensorType | null)[]): Graph {
  const b = new GraphBuilder(g.opsets, g.name);
  g.inputs.forEach((v, k) => b.replace(v, b.input(v.name, inputTypes[k] ?? v.type)));
  const constants = new Map<number, HostTensor>();
  for (const i of g.initializers) {
    b.addInitializer(i.value, i.tensor);
    constants.set(i.value.id, i.tensor);
  }
  const opset = g.opsets.get('') ?? 1;
  for (const n of g.nodes) {
    if (n.op === 'Constant' && n.domain === '') {
      const t = constantOf(n);
      const v = { id: n.outputs[0].id, name: n.outputs[0].name, type: tensorType(t.dtype, t.shape) };
      b.addInitializer(v, t);
      b.replace(n.outputs[0], v);
      constants.set(v.id, t);
      continue;
    }
    const inputs = n.inputs.map((v) => v && b.resolve(v));
    const types = inputs.map((v) => v && v.type);
    const lookup = (i: number): HostTensor | null => constants.get(inputs[i]?.id ?? -1) ?? null;
    const out = inferNode(n, opset, types, lookup);
    b.copy(n, { inputs, outputs: n.outputs.map((v, k) => ({ id: v.id, name: v.name, type: out[k] })) });
  }
  return b.build(g.outputs);
}

/** `g` typed for concrete input types; every value must get a concrete shape. */
export function specialize(g: Graph, inputTypes: readonly TensorType[]): Graph {
  const typed = typeGraph(g, inputTypes);
  const index = indexGraph(typed);
  const check = (v: Value, where: () => string): void => {
    if (v.type !== null && staticShape(v.type.shape) !== null) return;
    throw new SessionError(where(), `the shape of ${valueLabel(v)} depends on values computed at run time, not only on the input shapes`);
  };
  for (const n of typed.nodes) for (const v of n.outputs) check(v, () => nodeLabel(n));
  for (const v of typed.outputs) check(v, () => (index.definition(v)?.kind === 'input' ? `input ${valueLabel(v)}` : 'graph output'));
  return typed;
}
