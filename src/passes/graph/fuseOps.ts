/**
 * @file `graph.fuseOps`: operator fusion by pattern, as TVM's FuseOps does it, in two phases.
 * First each heavy op (`outEwiseFusable`: Conv, MatMul, Gemm) or reduction takes the chain of
 * elementwise/broadcast nodes after it, each the only reader of the one before (its epilogue).
 * Then, walking from the outputs back, a node joins the group its outputs flow into when
 *
 * - every reader of every one of its outputs is in that group, and none is a graph output (so a
 *   group has one sink, whose outputs are the group's only external outputs, and joining can
 *   never make a cycle between groups), and
 * - the patterns combine: an elementwise, broadcast or injective node joins a group of such nodes
 *   or a reduction (an injective prologue); a heavy node or a reduction joins a group of only
 *   elementwise or broadcast nodes. Opaque nodes, unknown ops, other domains and nodes with
 *   subgraphs fuse with nothing — nor does a node whose inference reads the value of an input
 *   that is not constant (a Reshape to a shape computed at run time): inside a fused kernel that
 *   value would be unknown.
 *
 * One exception to the second rule: light nodes whose outputs a depthwise convolution reads as its
 * data (ShuffleNet's Reshape–Transpose–Reshape channel shuffle), and light producers of theirs,
 * join its group as a prologue.
 * Each output channel of a depthwise convolution reads one input channel, which the CPU schedule
 * copies into a padded buffer of its own anyway; computed in that copy, the shuffle costs no pass
 * over memory of its own. (A full convolution reads every input channel once per output block,
 * and a matrix product packs its operands, so they take no prologue.)
 *
 * Each group of two or more nodes becomes one `kiln::Fused` node (see fused.ts), placed where
 * its sink was; constants that only the group reads move into its body, and the shape
 * parameters its nodes read (Reshape's shape) are copied there. The graph must be typed.
 *
 *   before:  %c = Conv(%x, %w)
 *            %a = Add(%c, %b)
 *            %r = Relu(%a)
 *            %t = Transpose(%r)
 *   after:   %r = kiln::Fused(%x, %b) {pattern="outEwiseFusable"}
 *              body: %c1 = Conv(%x1, %w1); %a1 = Add(%c1, %b1); %r1 = Relu(%a1); return %r1
 *            %t = Transpose(%r)
 */

import { findAttr } from '../../graph/attrs.js';
import { GraphBuilder } from '../../graph/builder.js';
import type { Graph, Node, Value } from '../../graph/graph.js';
import type { HostTensor } from '../../graph/tensor.js';
import { indexGraph } from '../../graph/uses.js';
import type { GraphIndex } from '../../graph/uses.js';
import type { FusionPattern } from '../../ops/index.js';
import { patternOf } from '../../ops/index.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';
import { isPlainOp, opsetOf, valueInputs } from './common.js';
import { removeDead } from './eliminateDeadCode.js';
import type { Group } from './fused.js';
import { makeFused, withKilnOpset } from './fused.js';

export { fusedBody, isFused } from './fused.js';

const PASS = 'graph.fuseOps';

/** A group stops growing here, so one kernel stays a size a schedule can handle. */
const MAX_GROUP_NODES = 64;

const LIGHT: ReadonlySet<FusionPattern> = new Set(['elementwise', 'broadcast', 'injective']);
const EPILOGUE: ReadonlySet<FusionPattern> = new Set(['elementwise', 'broadcast']);
const RANK: Readonly<Record<FusionPattern, number>> = { elementwise: 0, broadcast: 1, injective: 2, reduction: 3, outEwiseFusable: 4, opaque: 5 };

/** The group's pattern once a `joining` node joins a group of pattern `group`, or null when it may not. */
export function combinePatterns(group: FusionPattern, joining: FusionPattern): FusionPattern | null {
  if (LIGHT.has(joining) && (LIGHT.has(group) || group === 'reduction')) return RANK[joining] > RANK[group] ? joining : group;
  if ((joining === 'outEwiseFusable' || joining === 'reduction') && EPILOGUE.has(group)) return joining;
  return null;
}

interface Forming {
  readonly members: Node[];
  /** the member whose outputs leave the group: the last one in graph order */
  sink: Node;
  pattern: FusionPattern;
  /** values a light producer may compute inside the group: a depthwise convolution's data, and its prologue's inputs */
  readonly prologue: Set<number>;
}

/** A new group of `n` alone. */
function single(n: Node, pattern: FusionPattern): Forming {
  const data = n.inputs[0];
  return { members: [n], sink: n, pattern, prologue: new Set(isDepthwiseConv(n) && data ? [data.id] : []) };
}

/** Whether `n` is a 2-D convolution whose every group is one input channel. */
function isDepthwiseConv(n: Node): boolean {
  if (n.op !== 'Conv' || !isPlainOp(n)) return false;
  const shape = n.inputs[0]?.type?.shape;
  const group = findAttr(n, 'group', 'int') ?? 1;
  return shape !== undefined && shape.length === 4 && group > 1 && shape[1] === group;
}

/** The one node reading `n`'s outputs, when there is exactly one and none is a graph output. */
function soleReader(n: Node, index: GraphIndex): Node | null {
  let reader: Node | null = null;
  for (const v of n.outputs) {
    if (index.isOutput(v)) return null;
    for (const c of index.consumers(v)) {
      if (reader !== null && c !== reader) return null;
      reader = c;
    }
  }
  return reader;
}

/** The group holding every reader of `n`'s outputs, when there is exactly one such group. */
function readerGroup(n: Node, index: GraphIndex, groupOf: ReadonlyMap<number, Forming>): Forming | null {
  let found: Forming | null = null;
  for (const v of n.outputs) {
    if (index.isOutput(v)) return null;
    for (const c of index.consumers(v)) {
      const g = groupOf.get(c.id);
      if (g === undefined || (found !== null && g !== found)) return null;
      found = g;
    }
  }
  return found;
}

/** What the fuser knows of each node: its pattern, and which inputs it reads as constants. */
interface Facts {
  readonly pattern: (n: Node) => FusionPattern;
  /** node id → positions of the inputs its inference reads the values of */
  readonly valueInputs: ReadonlyMap<number, ReadonlySet<number>>;
}

/**
 * Each node's facts. A node whose inference reads a value that is not a constant (a Reshape to a
 * shape computed at run time) is opaque: inside a fused kernel that value would be unknown.
 */
function factsOf(g: Graph, index: GraphIndex): Facts {
  const valueInputsOf = new Map<number, ReadonlySet<number>>();
  const opaque = new Set<number>();
  for (const n of g.nodes) {
    if (!isPlainOp(n)) continue;
    const asked = valueInputs(n, opsetOf(g, n, PASS), (v) => index.constant(v));
    valueInputsOf.set(n.id, asked);
    if ([...asked].some((i) => n.inputs[i] !== null && index.constant(n.inputs[i]) === undefined)) opaque.add(n.id);
  }
  return { pattern: (n) => (isPlainOp(n) && !opaque.has(n.id) ? patternOf(n) : 'opaque'), valueInputs: valueInputsOf };
}

/**
 * Phase 1: each heavy op or reduction takes the chain of elementwise/broadcast nodes after it,
 * each the sole reader of the one before — before phase 2 could give them to a later group.
 */
function claimEpilogues(g: Graph, index: GraphIndex, facts: Facts, groupOf: Map<number, Forming>): void {
  for (const n of g.nodes) {
    const pattern = facts.pattern(n);
    if (groupOf.has(n.id) || (pattern !== 'outEwiseFusable' && pattern !== 'reduction')) continue;
    const grp = single(n, pattern);
    for (let next = soleReader(n, index); next !== null && grp.members.length < MAX_GROUP_NODES; next = soleReader(next, index)) {
      if (groupOf.has(next.id) || !EPILOGUE.has(facts.pattern(next))) break;
      grp.members.push(next);
      grp.sink = next;
    }
    if (grp.members.length > 1) for (const m of grp.members) groupOf.set(m.id, grp);
  }
}

/** Phase 2: from the outputs back, each node joins the group of its readers when it may. */
function joinProducers(g: Graph, index: GraphIndex, facts: Facts, groupOf: Map<number, Forming>): void {
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k];
    if (groupOf.has(n.id)) continue;
    const pattern = facts.pattern(n);
    const target = pattern === 'opaque' ? null : readerGroup(n, index, groupOf);
    const room = target !== null && target.members.length < MAX_GROUP_NODES;
    const prologue = room && LIGHT.has(pattern) && n.outputs.every((v) => target.prologue.has(v.id));
    const combined = room ? (combinePatterns(target.pattern, pattern) ?? (prologue ? target.pattern : null)) : null;
    if (target && combined) {
      target.members.push(n);
      target.pattern = combined;
      groupOf.set(n.id, target);
      if (prologue) for (const v of n.inputs) if (v) target.prologue.add(v.id);
    } else groupOf.set(n.id, single(n, pattern));
  }
}

function fuse(g: Graph): Graph {
  const index = indexGraph(g);
  const facts = factsOf(g, index);
  const groupOf = new Map<number, Forming>();
  claimEpilogues(g, index, facts, groupOf);
  joinProducers(g, index, facts, groupOf);
  if (![...groupOf.values()].some((grp) => grp.members.length > 1)) return g;
  const position = new Map(g.nodes.map((n, k) => [n.id, k]));
  const b = GraphBuilder.from({ ...g, opsets: withKilnOpset(g.opsets) });
  for (const n of g.nodes) {
    const grp = groupOf.get(n.id)!;
    if (grp.members.length === 1) b.copy(n);
    else if (grp.sink === n) {
      const members = [...grp.members].sort((a, c) => position.get(a.id)! - position.get(c.id)!);
      b.copy(makeFusedOf({ members, pattern: grp.pattern }, g, index, facts));
    }
  }
  // the constants that moved into bodies are read by no one outside any more
  return removeDead(b.build(g.outputs));
}

/**
 * The Fused node of `group`. A constant moves into the body when only the group reads it, and is
 * copied there when a member reads it as a shape parameter, so the body alone decides its types.
 */
function makeFusedOf(group: Group, g: Graph, index: GraphIndex, facts: Facts): Node {
  const members = new Set(group.members.map((m) => m.id));
  const params = new Set(group.members.flatMap((m) => [...(facts.valueInputs.get(m.id) ?? [])].flatMap((i) => m.inputs[i]?.id ?? [])));
  const internal = (v: Value): HostTensor | undefined => {
    const t = index.constant(v);
    const inside = !index.isOutput(v) && index.consumers(v).every((c) => members.has(c.id));
    return t !== undefined && (inside || params.has(v.id)) ? t : undefined;
  };
  return makeFused(group, g.opsets, internal);
}

export const fuseOps: Pass<Graph> = definePass({ name: PASS, run: (g) => fuse(g) });
