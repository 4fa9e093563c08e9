/**
 * @file What a rewrite rule of `graph.simplifyAlgebra` sees and may do. A rule looks at one
 * node of the sweep's input graph and either declines (null) or returns the values that replace
 * the node's outputs, emitting the nodes and constants it needs through `RuleEnv`.
 *
 * Questions about the graph (producers, consumers, constants) are answered on the sweep's input
 * graph, which stays consistent while the sweep builds the output; a pattern that only appears
 * after a rewrite matches in the next sweep. A value that is "constant" may be an initializer or
 * a value computed from constants only (a weight scaled by an earlier rule): rules may build on
 * it, and `graph.foldConstants` evaluates it afterwards.
 */

import type { Attrs } from '../../graph/attrs.js';
import type { GraphBuilder } from '../../graph/builder.js';
import type { Graph, Node, Value } from '../../graph/graph.js';
import { makeNode, value } from '../../graph/graph.js';
import type { HostTensor } from '../../graph/tensor.js';
import { tensorOf, zeros } from '../../graph/tensor.js';
import type { TensorType } from '../../graph/types.js';
import { staticShape } from '../../graph/types.js';
import type { GraphIndex } from '../../graph/uses.js';
import { indexGraph } from '../../graph/uses.js';
import type { DType } from '../../ir/dtype.js';
import { inferNode } from '../../ops/index.js';
import { constantsOf, isPlainOp } from './common.js';

export interface Rule {
  /** what the rule rewrites, e.g. `x·1 → x` */
  readonly name: string;
  /** the values replacing the node's outputs (its other outputs must be unused), or null */
  apply(n: Node, env: RuleEnv): readonly Value[] | null;
}

/** A type whose shape is concrete. */
export interface StaticType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export function staticType(v: Value | null): StaticType | null {
  const shape = v?.type ? staticShape(v.type.shape) : null;
  return shape && v?.type ? { dtype: v.type.dtype, shape } : null;
}

export class RuleEnv {
  private readonly index: GraphIndex;
  private readonly constants: Map<number, HostTensor>;
  /** ids of values computed from constants only */
  private readonly derived = new Set<number>();

  constructor(
    g: Graph,
    private readonly b: GraphBuilder,
    private readonly opset: number,
  ) {
    this.index = indexGraph(g);
    this.constants = constantsOf(g);
    for (const id of this.constants.keys()) this.derived.add(id);
    for (const n of g.nodes) this.noteDerived(n);
  }

  private noteDerived(n: Node): void {
    if (isPlainOp(n) && n.inputs.every((v) => v === null || this.derived.has(v.id))) for (const o of n.outputs) this.derived.add(o.id);
  }

  /** The node defining `v` in the sweep's input graph. */
  producer(v: Value | null, op: string): Node | undefined {
    const p = v === null ? undefined : this.index.producer(v);
    return p !== undefined && p.op === op && isPlainOp(p) ? p : undefined;
  }

  /** The tensor of an initializer. */
  constant(v: Value | null): HostTensor | undefined {
    return v === null ? undefined : this.constants.get(v.id);
  }

  /** Whether `v` is an initializer or computed from constants only. */
  isConstant(v: Value | null): v is Value {
    return v !== null && this.derived.has(v.id);
  }

  /** Whether `n` is the only reader of `v` and `v` is not a graph output. */
  soleUse(v: Value, n: Node): boolean {
    return !this.index.isOutput(v) && this.index.consumers(v).every((c) => c === n);
  }

  unused(v: Value): boolean {
    return !this.index.isOutput(v) && this.index.consumers(v).length === 0;
  }

  /** Whether `a` and `b` are the same value once earlier rewrites are applied. */
  same(a: Value | null, b: Value | null): boolean {
    return a !== null && b !== null && this.b.resolve(a).id === this.b.resolve(b).id;
  }

  /** Appends a typed `op` node over `inputs` and returns its first output. */
  emit(op: string, inputs: readonly (Value | null)[], attrs: Attrs = new Map(), name = ''): Value {
    const resolved = inputs.map((v) => v && this.b.resolve(v));
    const probe = makeNode({ op, inputs: resolved, outputs: [value('', null)], attrs });
    const types: TensorType[] = inferNode(probe, this.opset, resolved.map((v) => v && v.type), (i) => (resolved[i] && this.constants.get(resolved[i].id)) ?? null);
    const n = this.b.node(op, resolved, { attrs, name, outputs: types.map((type) => ({ type })) });
    this.noteDerived(n);
    return n.outputs[0];
  }

  /** A new initializer. */
  tensor(t: HostTensor): Value {
    const v = this.b.initializer('', t);
    this.constants.set(v.id, t);
    this.derived.add(v.id);
    return v;
  }

  /** A new 1-d int64 initializer (a shape for Reshape). */
  int64s(values: readonly number[]): Value {
    return this.tensor(tensorOf('int64', [values.length], values));
  }

  scalar(x: number, dtype: DType): Value {
    return this.tensor(tensorOf(dtype, [], [x]));
  }

  zeros(dtype: DType, shape: readonly number[]): Value {
    return this.tensor(zeros(dtype, shape));
  }
}

/** Whether every element of the initializer `t` is `x` (stops at the first that is not). */
export function allEqual(t: HostTensor | undefined, x: number): boolean {
  if (t === undefined) return false;
  for (const e of t.data) if (Number(e) !== x) return false;
  return true;
}
