/**
 * @file `kiln inspect MODEL [--input NAME=DIMS]… [--target T]`: what a model is and what kiln makes
 * of it — its inputs and outputs, how often each op occurs, the graph after kiln's passes for the
 * target (specialized to the input shapes when they are all known, from the model or from --input;
 * typed with symbolic shapes otherwise) and the fused groups, one kernel each. The target matters:
 * its vector width decides the blocked layout of convolutions. Everything from the model is shown
 * through the graph printer's escaping.
 */

import type { Graph, Node } from '../graph/graph.js';
import { findAttr } from '../graph/attrs.js';
import { printGraph } from '../graph/print.js';
import { quote, word } from '../graph/text.js';
import type { TensorType } from '../graph/types.js';
import { printType, staticShape, tensorType } from '../graph/types.js';
import { getBackend, isTargetName, TARGET_NAMES } from '../codegen/index.js';
import { defaultTarget } from '../api/session.js';
import { readOnnx } from '../frontend/onnx/index.js';
import { makePassContext } from '../passes/pass.js';
import { fusedBody, isFused, optimizeGraph } from '../passes/graph/index.js';
import { specialize } from '../runtime/specialize.js';
import { parseInputs } from './inputs.js';
import { COMMON_OPTIONS, parseCommon, say } from './options.js';
import { UsageError } from './usage.js';

export function inspectCommand(args: readonly string[]): Promise<number> {
  const opts = parseCommon(args, { input: COMMON_OPTIONS.input, target: COMMON_OPTIONS.target });
  const target = opts.target ?? defaultTarget();
  if (!isTargetName(target)) throw new UsageError(`unknown target ${quote(target)} (available: ${TARGET_NAMES.join(', ')})`);
  const graph = readOnnx(opts.model);
  const given = parseInputs(opts.inputs, graph.inputs);
  say(`model: ${quote(opts.model)}`);
  say(`opsets: ${[...graph.opsets].map(([d, v]) => `${d === '' ? 'ai.onnx' : word(d)} ${v}`).join(', ')}`);
  say('inputs:');
  for (const v of graph.inputs) say(`  ${quote(v.name)}: ${printType(v.type)}`);
  say('outputs:');
  for (const v of graph.outputs) say(`  ${quote(v.name)}: ${printType(v.type)}`);
  say(`ops (${graph.nodes.length} nodes):`);
  for (const [op, n] of histogram(graph.nodes)) say(`  ${op.padEnd(24)} ${n}`);
  const shapes = graph.inputs.map((v): TensorType | null => {
    const g = given.get(v.name);
    const dims = g?.kind === 'dims' ? g.dims : v.type && staticShape(v.type.shape);
    return dims && v.type ? tensorType(v.type.dtype, dims) : null;
  });
  const known = shapes.every((t) => t !== null);
  const ctx = makePassContext({}, undefined, getBackend(target).info);
  const after = known ? specialize(graph, shapes.filter((t) => t !== null), ctx) : optimizeGraph(graph, ctx);
  say(`\ngraph after passes for target ${target} (${known ? 'specialized to the input shapes' : 'symbolic shapes: give --input NAME=DIMS to specialize'}):`);
  say(printGraph(after));
  printGroups(after);
  return Promise.resolve(0);
}

function opName(n: Node): string {
  return n.domain === '' ? word(n.op) : `${word(n.domain)}.${word(n.op)}`;
}

/** Op → count, most frequent first. */
function histogram(nodes: readonly Node[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(opName(n), (counts.get(opName(n)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function printGroups(g: Graph): void {
  const groups = g.nodes.filter(isFused).map((n) => ({ pattern: findAttr(n, 'pattern', 'string') ?? '?', ops: fusedBody(n).nodes.map(opName) }));
  say(`\nfused groups: ${groups.length}${groups.length === 0 ? ' (every node is its own kernel)' : ''}`);
  groups.forEach((grp, k) => say(`  #${k} ${word(grp.pattern)}: ${grp.ops.join(' → ')}`));
}
