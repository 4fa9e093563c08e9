/**
 * @file The representation of a fused group, as `graph.fuseOps` makes it and the executor reads
 * it: ONE node `kiln::Fused` whose attributes are
 *
 * - `body`: a graph whose inputs are the group's external inputs, in the order of the node's
 *   inputs, and whose outputs are the group's external outputs, in the order of the node's
 *   outputs. It holds the original nodes (with fresh values, so nothing is defined twice), and
 *   as initializers the constants that only the group reads and the shape parameters its nodes
 *   read (so the body alone decides its types). It captures nothing.
 * - `pattern`: the group's main fusion pattern (`outEwiseFusable` for conv + epilogue, …).
 *
 *   %y = kiln::Fused(%x, %w) {pattern="outEwiseFusable"}
 *     body:
 *       %x1 = input
 *       %w1 = input
 *       %b1 = const {…}
 *       %c1 = Conv(%x1, %w1, %b1)
 *       %r1 = Relu(%c1)
 *       return %r1
 */

import { attrs, findAttr, graph as graphAttr, string as stringAttr } from '../../graph/attrs.js';
import { GraphBuilder } from '../../graph/builder.js';
import type { Graph, Node, Opsets, Value } from '../../graph/graph.js';
import { makeNode, nodeLabel } from '../../graph/graph.js';
import type { HostTensor } from '../../graph/tensor.js';
import { GraphError } from '../../graph/errors.js';
import type { FusionPattern } from '../../ops/index.js';
import { GraphPassError } from './errors.js';

export const FUSED_OP = 'Fused';
export const KILN_DOMAIN = 'kiln';
const KILN_OPSET = 1;

export function isFused(n: Node): boolean {
  return n.op === FUSED_OP && n.domain === KILN_DOMAIN;
}

/** The body graph of a Fused node; a GraphPassError naming the node when it is not one. */
export function fusedBody(n: Node): Graph {
  if (!isFused(n)) throw new GraphPassError('graph.fuseOps', nodeLabel(n), 'is not a kiln::Fused node');
  let body: Graph | undefined;
  try {
    body = findAttr(n, 'body', 'graph');
  } catch (e) {
    if (e instanceof GraphError) throw new GraphPassError('graph.fuseOps', nodeLabel(n), e.detail);
    throw e;
  }
  if (body === undefined) throw new GraphPassError('graph.fuseOps', nodeLabel(n), 'has no body attribute');
  if (body.inputs.length !== n.inputs.length || body.outputs.length !== n.outputs.length) {
    throw new GraphPassError('graph.fuseOps', nodeLabel(n), `has ${n.inputs.length} inputs and ${n.outputs.length} outputs, its body ${body.inputs.length} and ${body.outputs.length}`);
  }
  return body;
}

/** `opsets` with the kiln domain that Fused nodes live in. */
export function withKilnOpset(opsets: Opsets): Opsets {
  return opsets.has(KILN_DOMAIN) ? opsets : new Map([...opsets, [KILN_DOMAIN, KILN_OPSET]]);
}

export interface Group {
  /** the members in graph order; the last one defines the group's outputs */
  readonly members: readonly Node[];
  readonly pattern: FusionPattern;
}

/**
 * The Fused node of `group`. `internal(v)` gives the tensor of a constant that only the group
 * reads (it moves into the body); every other value read from outside becomes an input.
 */
export function makeFused(group: Group, opsets: Opsets, internal: (v: Value) => HostTensor | undefined): Node {
  const inner = new GraphBuilder(opsets);
  const inside = new Map<number, Value>();
  const inputs: Value[] = [];
  const bind = (v: Value): Value => {
    const known = inside.get(v.id);
    if (known !== undefined) return known;
    const t = internal(v);
    const w = t === undefined ? inner.input(v.name, v.type) : inner.initializer(v.name, t);
    if (t === undefined) inputs.push(v);
    inside.set(v.id, w);
    return w;
  };
  for (const m of group.members) {
    const outputs = m.outputs.map((o) => ({ name: o.name, type: o.type }));
    const copy = inner.node(m.op, m.inputs.map((v) => v && bind(v)), { domain: m.domain, name: m.name, attrs: m.attrs, outputs });
    m.outputs.forEach((o, k) => inside.set(o.id, copy.outputs[k]));
  }
  const sink = group.members[group.members.length - 1];
  const body = inner.buildSubgraph(sink.outputs.map(bind));
  return makeNode({
    op: FUSED_OP,
    domain: KILN_DOMAIN,
    name: sink.name,
    inputs,
    outputs: sink.outputs,
    attrs: attrs({ body: graphAttr(body), pattern: stringAttr(group.pattern) }),
  });
}
