/**
 * @file The static plan of a specialized model: where every value lives and the list of kernel
 * calls, decided once per shape signature so that a run only binds feeds and calls kernels.
 *
 * A value lives in one of four places: a feed (the caller's array), a constant (an initializer's
 * array), the arena (one buffer for all intermediates, offsets from `planMemory`, which lets
 * values whose lifetimes do not overlap share bytes, and a kernel write an output over an input
 * that dies there when the kernel allows it, and Concat inputs placed inside the Concat's output,
 * which then needs no kernel), or a fresh
 * output array made per run (so results a caller holds are never overwritten by a later run).
 * Graph outputs that no kernel writes — an input or a constant returned as is, or one value
 * returned twice — are copied at the end of a run.
 */

import type { Graph, Node, Value } from '../graph/graph.js';
import { nodeLabel, valueLabel } from '../graph/graph.js';
import type { TypedData } from '../graph/tensor.js';
import { shapeSize } from '../graph/tensor.js';
import { word } from '../graph/text.js';
import { staticShape } from '../graph/types.js';
import { indexGraph } from '../graph/uses.js';
import type { DType } from '../ir/dtype.js';
import type { ConcreteType } from '../ops/index.js';
import type { ConcatViews, InPlace } from '../passes/graph/index.js';
import { fusedBody, isFused, planMemory, valueBytes } from '../passes/graph/index.js';
import type { ParamAlias } from '../tir/stmt.js';
import { SessionError } from './errors.js';
import type { Binding } from './kernels.js';

export type Slot =
  | { readonly kind: 'feed'; readonly index: number }
  | { readonly kind: 'constant'; readonly data: TypedData }
  | { readonly kind: 'arena'; readonly offset: number; readonly dtype: DType; readonly elems: number }
  | { readonly kind: 'output'; readonly index: number };

export interface Step {
  readonly entry: string;
  /** the node this kernel computes, as errors and profiles name it */
  readonly label: string;
  /** its op, or the ops of its fused group joined by `+` */
  readonly op: string;
  readonly args: readonly Slot[];
}

export interface OutputPlan {
  readonly type: ConcreteType;
  /** written by a kernel straight into the output array, or copied from another slot */
  readonly source: { readonly kind: 'written' } | { readonly kind: 'copy'; readonly from: Slot };
}

export interface Plan {
  readonly steps: readonly Step[];
  readonly outputs: readonly OutputPlan[];
  readonly arenaBytes: number;
}

function concrete(v: Value): ConcreteType {
  // specialize() guarantees concrete types for every value of the graph
  return { dtype: v.type!.dtype, shape: staticShape(v.type!.shape)! };
}

/** A node's kernel as the plan sees it: what its parameters bind, which pairs may alias. */
export interface KernelParams {
  readonly params: readonly Binding[];
  /** the parameter pairs the kernel may run in place (inPlaceAliases of its TIR) */
  readonly aliases: readonly ParamAlias[];
}

export interface PlannedRun {
  readonly plan: Plan;
  /** per node, the argument pairs of its kernel planned at the same arena offset, for the kernel to declare */
  readonly aliases: readonly (readonly ParamAlias[])[];
}

/**
 * The plan for `g` whose node `k` is computed by kernel `k{k}` described by `kernels[k]`, except
 * the Concats of `views`, which have no kernel (undefined there) and no step: their inputs are
 * written into their outputs. `feedIndex` gives the position among the run's feeds of each input
 * of `g`.
 */
export function planRun(
  g: Graph,
  kernels: readonly (KernelParams | undefined)[],
  feedIndex: ReadonlyMap<number, number>,
  views?: ConcatViews,
): PlannedRun {
  const index = indexGraph(g);
  const written = new Map<number, number>();
  g.outputs.forEach((v, k) => {
    if (index.producer(v) !== undefined && !written.has(v.id)) written.set(v.id, k);
  });
  const kernelOf = (n: Node, k: number): KernelParams => {
    const kn = kernels[k];
    if (kn === undefined) throw new SessionError(nodeLabel(n), 'has no kernel');
    return kn;
  };
  const arena = planMemory(g, valueBytes, { inPlace: (_, k) => (kernels[k] ? inPlacePairs(kernels[k]) : []), views });
  const slotOf = (v: Value): Slot => {
    const out = written.get(v.id);
    if (out !== undefined) return { kind: 'output', index: out };
    const offset = arena.offsets.get(v.id);
    if (offset !== undefined) return { kind: 'arena', offset, ...elemsOf(v) };
    const def = index.definition(v);
    const feed = def?.kind === 'input' ? feedIndex.get(v.id) : undefined;
    if (feed !== undefined) return { kind: 'feed', index: feed };
    if (def?.kind === 'initializer') return { kind: 'constant', data: def.tensor.data };
    throw new SessionError(valueLabel(v), 'has no definition in the specialized graph');
  };
  const steps = g.nodes.flatMap((n: Node, k): Step[] =>
    views?.nodes.has(k)
      ? []
      : [
          {
            entry: `k${k}`,
            label: nodeLabel(n),
            op: opsOf(n),
            args: kernelOf(n, k).params.map((b) => (b.kind === 'constant' ? { kind: 'constant', data: b.tensor.data } : slotOf(b.value))),
          },
        ],
  );
  const aliases = kernels.map((kn, k) => kn?.aliases.filter((a) => arena.inPlace.get(k)?.some((p) => isPair(kn.params, a, p))) ?? []);
  const outputs = g.outputs.map((v, k): OutputPlan => ({
    type: concrete(v),
    source: written.get(v.id) === k ? { kind: 'written' } : { kind: 'copy', from: slotOf(v) },
  }));
  return { plan: { steps, outputs, arenaBytes: arena.arenaBytes }, aliases };
}

/**
 * The values an alias of parameters binds; none when either is a constant of a fused body, or
 * when the input is also bound to another parameter (read there by other rules).
 */
function inPlaceOf(params: readonly Binding[], a: ParamAlias): InPlace[] {
  const input = params[a.read];
  const output = params[a.written];
  if (input.kind !== 'value' || output.kind !== 'value') return [];
  const bindings = params.filter((b) => b.kind === 'value' && b.value.id === input.value.id).length;
  return bindings === 1 ? [{ input: input.value, output: output.value }] : [];
}

/** The (input, output) values a kernel may compute in place, for `planMemory`. */
export function inPlacePairs(k: KernelParams): InPlace[] {
  return k.aliases.flatMap((a) => inPlaceOf(k.params, a));
}

function isPair(params: readonly Binding[], a: ParamAlias, p: InPlace): boolean {
  return inPlaceOf(params, a).some((q) => q.input.id === p.input.id && q.output.id === p.output.id);
}

/** `Conv`, or the ops of a fused group: `Conv+Sigmoid+Mul`. */
function opsOf(n: Node): string {
  return (isFused(n) ? fusedBody(n).nodes : [n]).map((m) => word(m.op)).join('+');
}

function elemsOf(v: Value): { dtype: DType; elems: number } {
  const t = concrete(v);
  return { dtype: t.dtype, elems: shapeSize(t.shape) };
}
