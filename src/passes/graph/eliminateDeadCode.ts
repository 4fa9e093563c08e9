/**
 * @file `graph.eliminateDeadCode`: drops nodes none of whose outputs reach a graph output, and
 * initializers nothing reads. A node reads its inputs and the values its subgraphs capture.
 * Graph inputs stay: they are the model's interface, read or not.
 *
 *   before:  %x = input
 *            %c: float32[2] = const {1, 2}
 *            %a = Relu(%x)
 *            %b = Add(%x, %c)
 *            return %a
 *   after:   %x = input
 *            %a = Relu(%x)
 *            return %a
 */

import type { Graph } from '../../graph/graph.js';
import { nodeUses } from '../../graph/uses.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';

/** `g` without dead nodes and unread initializers; `g` itself when nothing is dead. */
export function removeDead(g: Graph): Graph {
  const live = new Set(g.outputs.map((v) => v.id));
  const kept = [];
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k];
    if (!n.outputs.some((v) => live.has(v.id))) continue;
    kept.push(n);
    for (const v of nodeUses(n)) live.add(v.id);
  }
  const initializers = g.initializers.filter((i) => live.has(i.value.id));
  if (kept.length === g.nodes.length && initializers.length === g.initializers.length) return g;
  return { ...g, nodes: kept.reverse(), initializers };
}

export const eliminateDeadCode: Pass<Graph> = definePass({ name: 'graph.eliminateDeadCode', run: (g) => removeDead(g) });
