/**
 * @file Tensors and the operations that produce them. A tensor is the output of either a
 * placeholder (an input) or a compute (an element-wise definition over its index space, possibly
 * with a reduction at the top). Shapes are concrete: kernels are specialized per shape.
 */

import type { DType } from '../ir/dtype.js';
import type { Expr, ExprLike, IterVar, TensorRead } from '../ir/expr.js';
import { freshId, toExpr } from '../ir/expr.js';
import { INDEX } from '../ir/dtype.js';
import { children as childrenOf } from '../ir/visit.js';

export interface PlaceholderOp {
  readonly kind: 'placeholder';
  readonly name: string;
}

export interface ComputeOp {
  readonly kind: 'compute';
  readonly name: string;
  /** one spatial axis per output dimension */
  readonly axis: readonly IterVar[];
  /** the axes of the top-level reduction, empty when the body has none */
  readonly reduceAxis: readonly IterVar[];
  /** the element at `axis`; a `reduce` node only at the top */
  readonly body: Expr;
  /** op family for strategies ('elemwise', 'injective', 'reduce', 'matmul', 'conv2d', …) */
  readonly tag: string;
}

export type Operation = PlaceholderOp | ComputeOp;

export class TensorError extends Error {
  override name = 'TensorError';
}

export class Tensor {
  readonly id = freshId();
  constructor(
    readonly op: Operation,
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {}

  get name(): string {
    return this.op.name;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The element at `indices`. */
  at(...indices: ExprLike[]): TensorRead {
    if (indices.length !== this.shape.length) {
      throw new TensorError(`${this.name}: indexed with ${indices.length} indices, has ${this.shape.length} dimensions`);
    }
    const idx = indices.map((i) => toExpr(i, INDEX));
    for (const [k, i] of idx.entries()) {
      if (i.dtype !== 'int32' && i.dtype !== 'int64') {
        throw new TensorError(`${this.name}: index ${k} has dtype ${i.dtype}, expected an integer`);
      }
    }
    return { kind: 'tensorRead', tensor: this, indices: idx, dtype: this.dtype, lanes: 1 };
  }
}

/** The tensors a compute reads, in first-use order. */
export function inputTensors(t: Tensor): Tensor[] {
  if (t.op.kind !== 'compute') return [];
  const seen = new Map<number, Tensor>();
  const walk = (e: Expr): void => {
    if (e.kind === 'tensorRead' && !seen.has(e.tensor.id)) seen.set(e.tensor.id, e.tensor);
    for (const c of childrenOf(e)) walk(c);
  };
  walk(t.op.body);
  return [...seen.values()];
}

/** Every tensor `outputs` depend on, producers before consumers. */
export function postOrder(outputs: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const done = new Set<number>();
  const walk = (t: Tensor): void => {
    if (done.has(t.id)) return;
    done.add(t.id);
    for (const i of inputTensors(t)) walk(i);
    order.push(t);
  };
  outputs.forEach(walk);
  return order;
}
