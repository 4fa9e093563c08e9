/**
 * @file The graph verifier: the invariants every pass may assume and must keep. It checks that
 *
 * - every value is defined once (inputs, initializers, node outputs; a subgraph does not redefine
 *   a value of an enclosing graph),
 * - nodes are in topological order: each node only uses values defined before it, here or in an
 *   enclosing graph (subgraphs are checked with the scope visible at their node),
 * - every graph output is defined,
 * - one value id means one version: uses agree with the definition's type (a pass that retypes a
 *   value must update every use),
 * - an initializer's tensor matches its value's type, and every node's domain has an opset.
 *
 * It throws a `GraphError` naming the node or value at fault.
 */

import { subgraphs } from './attrs.js';
import { GraphError } from './errors.js';
import type { Graph, Node, Value } from './graph.js';
import { nodeLabel, valueLabel } from './graph.js';
import { quote } from './text.js';
import { printType, typesEqual } from './types.js';

type Scope = ReadonlyMap<number, Value>;

export function verifyGraph(g: Graph): void {
  verifyIn(g, new Map(), g.opsets);
}

function verifyIn(g: Graph, outer: Scope, opsets: Graph['opsets']): void {
  const scope = new Map(outer);
  const laterDefs = new Set(g.nodes.flatMap((n) => n.outputs.map((v) => v.id)));
  const define = (v: Value, where: string): void => {
    if (scope.has(v.id)) throw new GraphError(where, `${valueLabel(v)} is defined twice`);
    scope.set(v.id, v);
    laterDefs.delete(v.id);
  };
  const use = (v: Value, where: string): void => {
    const def = scope.get(v.id);
    if (def === undefined) {
      const why = laterDefs.has(v.id) ? 'before its definition (nodes are not in topological order)' : 'but it is never defined';
      throw new GraphError(where, `uses ${valueLabel(v)} ${why}`);
    }
    if (def !== v && !typesEqual(def.type, v.type)) {
      throw new GraphError(where, `uses ${valueLabel(v)} as ${printType(v.type)}, but it is defined as ${printType(def.type)}`);
    }
  };
  for (const v of g.inputs) define(v, `graph input ${valueLabel(v)}`);
  for (const { value: v, tensor: t } of g.initializers) {
    define(v, `initializer ${valueLabel(v)}`);
    const tt = { dtype: t.dtype, shape: t.shape };
    if (v.type !== null && !typesEqual(v.type, tt)) {
      throw new GraphError(`initializer ${valueLabel(v)}`, `holds ${printType(tt)} but is typed ${printType(v.type)}`);
    }
  }
  for (const n of g.nodes) verifyNode(n, scope, opsets, use, define);
  for (const v of g.outputs) use(v, `graph output ${valueLabel(v)}`);
}

function verifyNode(
  n: Node,
  scope: Scope,
  opsets: Graph['opsets'],
  use: (v: Value, where: string) => void,
  define: (v: Value, where: string) => void,
): void {
  const where = nodeLabel(n);
  if (!opsets.has(n.domain)) throw new GraphError(where, `domain ${quote(n.domain)} has no opset import`);
  for (const v of n.inputs) if (v !== null) use(v, where);
  for (const sub of subgraphs(n)) {
    try {
      verifyIn(sub, scope, opsets);
    } catch (e) {
      if (e instanceof GraphError) throw new GraphError(`${where} > ${e.where}`, e.detail);
      throw e;
    }
  }
  for (const v of n.outputs) define(v, where);
}
