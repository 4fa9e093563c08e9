/**
 * @file `graph.simplifyAlgebra`: equivalent substitution by a table of local rewrite rules, one
 * list per op, tried in order (the rules and their conditions live in rules-*.ts). Each sweep
 * walks the graph once and applies the first rule that matches at each node; sweeps repeat,
 * with dead nodes dropped in between, until none matches (at most `MAX_SWEEPS`), so patterns
 * that a rewrite exposes — a Reshape under a Squeeze turned Reshape — are caught too.
 *
 *   before:  %t = Transpose(%x) {perm=[1, 0]}
 *            %u = Transpose(%t) {perm=[1, 0]}
 *            %y = Mul(%u, %one)                 (%one: const {1})
 *            %z = Identity(%y)
 *            return %z
 *   after:   return %x
 *
 * The graph must be typed (`graph.inferTypes`): rules check that a rewrite keeps each type.
 */

import { GraphBuilder } from '../../graph/builder.js';
import type { Graph } from '../../graph/graph.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';
import { isPlainOp } from './common.js';
import { removeDead } from './eliminateDeadCode.js';
import type { Rule } from './rewrite.js';
import { RuleEnv } from './rewrite.js';
import { addIntoConv, batchNormIntoConv, batchNormToAffine, mulIntoConv } from './rules-affine.js';
import { addZero, divByOne, dropout, hardSwish, identity, mulByOne, subZero } from './rules-arith.js';
import { reshapeNoOp, reshapeReshape, shapeToReshape, transposeCompose } from './rules-layout.js';

const PASS = 'graph.simplifyAlgebra';
const MAX_SWEEPS = 8;

/** op → its rules, in the order they are tried. */
export const RULES: ReadonlyMap<string, readonly Rule[]> = new Map([
  ['Identity', [identity]],
  ['Dropout', [dropout]],
  ['Mul', [mulByOne, hardSwish, mulIntoConv]],
  ['Add', [addZero, addIntoConv]],
  ['Sub', [subZero]],
  ['Div', [divByOne]],
  ['BatchNormalization', [batchNormIntoConv, batchNormToAffine]],
  ['Squeeze', [shapeToReshape]],
  ['Unsqueeze', [shapeToReshape]],
  ['Flatten', [shapeToReshape]],
  ['Reshape', [reshapeNoOp, reshapeReshape]],
  ['Transpose', [transposeCompose]],
]);

/** One walk over `g` applying the first matching rule at each node. */
function sweep(g: Graph): { graph: Graph; rewrites: number } {
  const b = GraphBuilder.from(g);
  const env = new RuleEnv(g, b, g.opsets.get('') ?? 1);
  let rewrites = 0;
  for (const n of g.nodes) {
    const rules = isPlainOp(n) ? (RULES.get(n.op) ?? []) : [];
    let replaced = false;
    for (const rule of rules) {
      const out = rule.apply(n, env);
      if (out === null) continue;
      out.forEach((v, k) => b.replace(n.outputs[k], v));
      replaced = true;
      break;
    }
    if (replaced) rewrites++;
    else b.copy(n);
  }
  return { graph: b.build(g.outputs), rewrites };
}

function simplify(g: Graph): Graph {
  let cur = g;
  for (let k = 0; k < MAX_SWEEPS; k++) {
    const { graph, rewrites } = sweep(cur);
    if (rewrites === 0) return cur;
    cur = removeDead(graph);
  }
  return cur;
}

export const simplifyAlgebra: Pass<Graph> = definePass({ name: PASS, run: (g) => simplify(g) });
