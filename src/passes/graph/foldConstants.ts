/**
 * @file `graph.foldConstants`: a node whose compute reads only constants is evaluated now, by
 * its own kernel (evaluate.ts), and its outputs become initializers. Constant nodes become
 * initializers as they are. Walking in order, each result is known to the nodes after it, and
 * a node an input of which became constant is re-inferred first — so a Reshape whose shape was
 * just folded gets its concrete output type, and chains such as Shape → Gather → Concat →
 * Reshape fold away once the input shapes are known.
 *
 *   before:  %x: float32[2, 3] = input
 *            %a: float32[2] = const {1, 2}
 *            %b = Mul(%a, %a)
 *            %s = Shape(%x)
 *            %y = Reshape(%x, %s)
 *   after:   %x: float32[2, 3] = input
 *            %a: float32[2] = const {1, 2}
 *            %b: float32[2] = const {1, 4}
 *            %s: int64[2] = const {2, 3}
 *            %y: float32[2, 3] = Reshape(%x, %s)
 *
 * Folding trades work at run time for constant memory, so an output of more than
 * `FOLD_MAX_ELEMENTS` elements stays a node (an Expand of a small constant to a huge tensor) —
 * unless it is no larger than the constants it reads (weights scaled by a folded BatchNorm, which
 * replace the old ones), or the compute reads at most `SMALL_INPUT_ELEMENTS` constant elements
 * (a generator such as ConstantOfShape, whose result would otherwise block folding weights
 * computed from it).
 */

import type { Graph, Node, Value } from '../../graph/graph.js';
import { makeNode, nodeLabel, withType } from '../../graph/graph.js';
import { GraphBuilder } from '../../graph/builder.js';
import type { HostTensor } from '../../graph/tensor.js';
import { tensorOf } from '../../graph/tensor.js';
import { tensorType, typesEqual } from '../../graph/types.js';
import { inferNode } from '../../ops/index.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';
import { constantsOf, isPlainOp, opsetOf, retypeOutputs } from './common.js';
import { GraphPassError } from './errors.js';
import type { FoldPolicy } from './evaluate.js';
import { evaluateNode } from './evaluate.js';

const PASS = 'graph.foldConstants';
export const FOLD_MAX_ELEMENTS = 1 << 20;
export const SMALL_INPUT_ELEMENTS = 1024;

const policy: FoldPolicy = (outElements, readElements) =>
  outElements <= FOLD_MAX_ELEMENTS || outElements <= readElements || readElements <= SMALL_INPUT_ELEMENTS;

/** The value of a Constant node, from whichever value attribute it has. */
export function constantOf(n: Node): HostTensor {
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
      throw new GraphPassError(PASS, nodeLabel(n), 'has no value attribute kiln supports (value, value_float(s), value_int(s))');
  }
}

function foldGraph(g: Graph): Graph {
  const b = GraphBuilder.from(g);
  const known = constantsOf(g);
  const lookup = (v: Value): HostTensor | undefined => known.get(v.id);
  /** ids of values this pass defined anew (folded or retyped): their consumers are re-inferred */
  const renewed = new Set<number>();
  let changed = false;
  for (const n of g.nodes) {
    const inputs = n.inputs.map((v) => v && b.resolve(v));
    if (!isPlainOp(n)) {
      if (b.copy(n, { inputs }) !== n) changed = true;
      continue;
    }
    const opset = opsetOf(g, n, PASS);
    let outputs = n.outputs;
    if (inputs.some((v) => v !== null && renewed.has(v.id))) {
      const types = inferNode(n, opset, inputs.map((v) => v && v.type), (i) => (inputs[i] && known.get(inputs[i].id)) ?? null);
      outputs = retypeOutputs(n, types);
    }
    const current = makeNode({ ...n, inputs, outputs });
    const values = n.op === 'Constant' ? [constantOf(n)] : evaluateNode(current, opset, lookup, policy);
    outputs.forEach((v, k) => v !== n.outputs[k] && renewed.add(v.id));
    if (values === null) {
      if (b.copy(n, { inputs, outputs }) !== n) changed = true;
      continue;
    }
    changed = true;
    outputs.forEach((v, k) => {
      const t = values[k];
      const type = tensorType(t.dtype, t.shape);
      const typed = typesEqual(v.type, type) ? v : withType(v, type);
      b.addInitializer(typed, t);
      b.replace(n.outputs[k], typed);
      known.set(v.id, t);
      renewed.add(v.id);
    });
  }
  return changed ? b.build(g.outputs) : g;
}

export const foldConstants: Pass<Graph> = definePass({ name: PASS, run: (g) => foldGraph(g) });
