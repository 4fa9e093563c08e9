/**
 * @file From a model's graph to the graph its kernels are built from. `checkGraph` types every
 * value with the declared (possibly symbolic) input shapes when a session is created, so unknown
 * ops and bad attributes fail before the first run (`checkOps` at least finds unknown ops in a
 * graph that cannot be typed before its shape inputs are known). `specialize` gives the inputs the concrete
 * types of the feeds and runs the graph pipeline (src/passes/graph: constant folding with the
 * shapes now known, simplification, fusion); every value must end with a concrete shape, since
 * kernels are compiled per shape.
 */

import type { Graph, Value } from '../graph/graph.js';
import { nodeLabel, valueLabel, withType } from '../graph/graph.js';
import { mapUses } from '../graph/builder.js';
import type { HostTensor } from '../graph/tensor.js';
import type { TensorType } from '../graph/types.js';
import { staticShape } from '../graph/types.js';
import { indexGraph } from '../graph/uses.js';
import type { PassContext } from '../passes/pass.js';
import { getOp } from '../ops/index.js';
import { inferGraph, optimizeGraph } from '../passes/graph/index.js';
import { SessionError } from './errors.js';
import { freezeInputs } from './freeze.js';

/** Inputs to specialize on by value, and the feeds that hold the values. */
export interface Frozen {
  readonly inputs: readonly number[];
  readonly feeds: readonly HostTensor[];
}

const NOTHING_FROZEN: Frozen = { inputs: [], feeds: [] };

/** `g` typed with its declared input types; the op library's OpError for an unknown op or a bad attribute. */
export function checkGraph(g: Graph): Graph {
  return inferGraph(g);
}

/** Throws the op library's OpError for the first node whose op kiln does not have. */
export function checkOps(g: Graph): void {
  for (const n of g.nodes) getOp(n);
}

/** `g` with input `k` typed `types[k]` (an input the model left untyped included). */
function withInputTypes(g: Graph, types: readonly TensorType[]): Graph {
  const retyped = new Map<number, Value>(g.inputs.map((v, k) => [v.id, withType(v, types[k])]));
  return mapUses({ ...g, inputs: g.inputs.map((v) => retyped.get(v.id)!) }, (v) => retyped.get(v.id) ?? v);
}

/**
 * `g` optimized for concrete input types, with the inputs at `frozen` made constants holding
 * their feeds (see freeze.ts); every value must get a concrete shape.
 */
export function specialize(g: Graph, types: readonly TensorType[], ctx: PassContext, frozen: Frozen = NOTHING_FROZEN): Graph {
  const graph = optimizeGraph(freezeInputs(withInputTypes(g, types), frozen.inputs, frozen.feeds), ctx);
  const index = indexGraph(graph);
  const check = (v: Value, where: () => string): void => {
    if (v.type !== null && staticShape(v.type.shape) !== null) return;
    throw new SessionError(where(), `the shape of ${valueLabel(v)} depends on values computed at run time, not only on the input shapes`);
  };
  for (const n of graph.nodes) for (const v of n.outputs) check(v, () => nodeLabel(n));
  for (const v of graph.outputs) check(v, () => (index.definition(v)?.kind === 'input' ? `input ${valueLabel(v)}` : 'graph output'));
  return graph;
}
