/**
 * @file `graph.eliminateCommonSubexpressions`: a node with the same op, the same inputs and the
 * same attributes as an earlier one computes the same values, so its outputs are replaced by the
 * earlier node's. Equal small constants (same dtype, shape and bytes) are merged first, so nodes
 * over two copies of one constant become equal too. Only registered ops without subgraphs are
 * merged: they are deterministic, while an unknown op (a random generator) may not be.
 *
 *   before:  %c1: float32[1] = const {2}
 *            %c2: float32[1] = const {2}
 *            %a = Mul(%x, %c1)
 *            %b = Mul(%x, %c2)
 *            %y = Add(%a, %b)
 *   after:   %c1: float32[1] = const {2}
 *            %a = Mul(%x, %c1)
 *            %y = Add(%a, %a)
 */

import type { Attr } from '../../graph/attrs.js';
import { GraphBuilder } from '../../graph/builder.js';
import type { Graph, Initializer, Node, Value } from '../../graph/graph.js';
import type { HostTensor } from '../../graph/tensor.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';
import { isPlainOp } from './common.js';

/** Constants up to this size are compared by content; larger ones (weights) are rarely equal. */
const MERGE_MAX_ELEMENTS = 4096;

function bytesKey(t: HostTensor): string {
  const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return `${t.dtype}[${t.shape.join(',')}]${bytes.toString('base64')}`;
}

function attrKey(a: Exclude<Attr, { kind: 'graph' }>): string {
  switch (a.kind) {
    case 'tensor':
      return `tensor:${bytesKey(a.value)}`;
    case 'float':
      return `float:${Object.is(a.value, -0) ? '-0' : String(a.value)}`;
    case 'floats':
      return `floats:${a.value.map((x) => (Object.is(x, -0) ? '-0' : String(x))).join(',')}`;
    default:
      return `${a.kind}:${JSON.stringify(a.value)}`;
  }
}

/** A key equal for equal nodes over equal inputs; null for a node with a subgraph (never merged). */
function nodeKey(n: Node, inputs: readonly (Value | null)[]): string | null {
  const entries = [...n.attrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  for (const [name, a] of entries) {
    if (a.kind === 'graph') return null;
    parts.push(`${JSON.stringify(name)}=${attrKey(a)}`);
  }
  return JSON.stringify([n.domain, n.op, n.outputs.length, inputs.map((v) => v?.id ?? null), parts.join(';')]);
}

/** The initializers to keep, and for each duplicate the one it is merged into. */
function mergeConstants(g: Graph): { kept: Initializer[]; merged: Map<Value, Value> } {
  const first = new Map<string, Value>();
  const kept: Initializer[] = [];
  const merged = new Map<Value, Value>();
  for (const i of g.initializers) {
    if (i.tensor.data.length > MERGE_MAX_ELEMENTS) {
      kept.push(i);
      continue;
    }
    const key = bytesKey(i.tensor);
    const same = first.get(key);
    if (same === undefined) {
      first.set(key, i.value);
      kept.push(i);
    } else merged.set(i.value, same);
  }
  return { kept, merged };
}

function eliminate(g: Graph): Graph {
  const { kept, merged } = mergeConstants(g);
  const b = GraphBuilder.from({ ...g, initializers: kept });
  for (const [dup, by] of merged) b.replace(dup, by);
  const seen = new Map<string, Node>();
  let changed = merged.size > 0;
  for (const n of g.nodes) {
    const inputs = n.inputs.map((v) => v && b.resolve(v));
    if (!isPlainOp(n)) {
      b.copy(n, { inputs });
      continue;
    }
    const key = nodeKey(n, inputs);
    const earlier = key === null ? undefined : seen.get(key);
    if (key === null || earlier === undefined) {
      const copy = b.copy(n, { inputs });
      if (key !== null) seen.set(key, copy);
      continue;
    }
    n.outputs.forEach((v, k) => b.replace(v, earlier.outputs[k]));
    changed = true;
  }
  return changed ? b.build(g.outputs) : g;
}

export const eliminateCommonSubexpressions: Pass<Graph> = definePass({ name: 'graph.eliminateCommonSubexpressions', run: (g) => eliminate(g) });
