/**
 * @file Use-def questions about one graph: where a value is defined (input, initializer or which
 * node output), whether it is a constant, and which nodes use it. A node uses its inputs and also
 * every enclosing-scope value its subgraphs capture (If/Loop bodies read outer values by name),
 * so dead-code elimination and scheduling see those edges too. Answers are computed once per
 * graph object and cached, which is safe because graphs are immutable.
 */

import { subgraphs } from './attrs.js';
import type { Graph, Node, Value } from './graph.js';
import type { HostTensor } from './tensor.js';

export type Definition =
  | { readonly kind: 'input'; readonly index: number }
  | { readonly kind: 'initializer'; readonly tensor: HostTensor }
  | { readonly kind: 'node'; readonly node: Node; readonly index: number };

export interface GraphIndex {
  /** the definition in this graph; undefined for a value of an enclosing graph (or a stranger) */
  definition(v: Value): Definition | undefined;
  producer(v: Value): Node | undefined;
  /** the initializer's tensor when `v` is one */
  constant(v: Value): HostTensor | undefined;
  /** the nodes of this graph that use `v` as an input or through a subgraph, in graph order */
  consumers(v: Value): readonly Node[];
  isOutput(v: Value): boolean;
}

const captureCache = new WeakMap<Graph, readonly Value[]>();

/** The values a graph uses without defining them: its captures from enclosing graphs. */
export function captures(g: Graph): readonly Value[] {
  const cached = captureCache.get(g);
  if (cached) return cached;
  const defined = new Set<number>();
  const free = new Map<number, Value>();
  const use = (v: Value): void => {
    if (!defined.has(v.id) && !free.has(v.id)) free.set(v.id, v);
  };
  for (const v of g.inputs) defined.add(v.id);
  for (const i of g.initializers) defined.add(i.value.id);
  for (const n of g.nodes) {
    nodeUses(n).forEach(use);
    for (const o of n.outputs) defined.add(o.id);
  }
  g.outputs.forEach(use);
  const result = [...free.values()];
  captureCache.set(g, result);
  return result;
}

/** Every value a node reads: its present inputs, then its subgraphs' captures, without repeats. */
export function nodeUses(n: Node): readonly Value[] {
  const seen = new Map<number, Value>();
  for (const v of n.inputs) if (v !== null && !seen.has(v.id)) seen.set(v.id, v);
  for (const g of subgraphs(n)) for (const v of captures(g)) if (!seen.has(v.id)) seen.set(v.id, v);
  return [...seen.values()];
}

const indexCache = new WeakMap<Graph, GraphIndex>();

export function indexGraph(g: Graph): GraphIndex {
  const cached = indexCache.get(g);
  if (cached) return cached;
  const defs = new Map<number, Definition>();
  g.inputs.forEach((v, index) => defs.set(v.id, { kind: 'input', index }));
  for (const i of g.initializers) defs.set(i.value.id, { kind: 'initializer', tensor: i.tensor });
  const users = new Map<number, Node[]>();
  for (const n of g.nodes) {
    for (const v of nodeUses(n)) {
      const list = users.get(v.id);
      if (list) list.push(n);
      else users.set(v.id, [n]);
    }
    n.outputs.forEach((v, index) => defs.set(v.id, { kind: 'node', node: n, index }));
  }
  const outputs = new Set(g.outputs.map((v) => v.id));
  const index: GraphIndex = {
    definition: (v) => defs.get(v.id),
    producer: (v) => {
      const d = defs.get(v.id);
      return d?.kind === 'node' ? d.node : undefined;
    },
    constant: (v) => {
      const d = defs.get(v.id);
      return d?.kind === 'initializer' ? d.tensor : undefined;
    },
    consumers: (v) => users.get(v.id) ?? [],
    isOutput: (v) => outputs.has(v.id),
  };
  indexCache.set(g, index);
  return index;
}
