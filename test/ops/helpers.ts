/**
 * @file Small builders for the op unit tests: typed nodes over symbolic shapes, inference with
 * constant inputs, and shapes printed with every unknown dim shown as `?` (their symbols are
 * fresh, so tests cannot spell them).
 */

import type { Attr } from '../../src/graph/attrs.js';
import type { Node } from '../../src/graph/graph.js';
import { makeNode, value } from '../../src/graph/graph.js';
import type { HostTensor } from '../../src/graph/tensor.js';
import type { Dim, TensorType } from '../../src/graph/types.js';
import { isUnknownDim, tensorType } from '../../src/graph/types.js';
import type { DType } from '../../src/ir/dtype.js';
import { inferNode } from '../../src/ops/index.js';

export const t = (dtype: DType, shape: readonly Dim[]): TensorType => tensorType(dtype, shape);
export const f32 = (...shape: Dim[]): TensorType => tensorType('float32', shape);

export interface InferOptions {
  readonly attrs?: Readonly<Record<string, Attr>>;
  readonly opset?: number;
  readonly outputs?: number;
  /** values of constant inputs, by position */
  readonly constants?: readonly (HostTensor | null)[];
  readonly name?: string;
}

export function node(op: string, inputs: readonly (TensorType | null)[], opts: InferOptions = {}): Node {
  return makeNode({
    op,
    name: opts.name ?? 'n',
    inputs: inputs.map((ty, k) => ty && value(`x${k}`, ty)),
    outputs: Array.from({ length: opts.outputs ?? 1 }, (_, k) => value(`y${k}`, null)),
    attrs: new Map(Object.entries(opts.attrs ?? {})),
  });
}

/** The inferred output types of `op` over `inputs`. */
/** The inferred output types of `op` over `inputs`; a null input with a constant is typed by it. */
export function infer(op: string, inputs: readonly (TensorType | null)[], opts: InferOptions = {}): TensorType[] {
  const types = inputs.map((ty, i) => {
    const c = opts.constants?.[i];
    return ty ?? (c ? tensorType(c.dtype, c.shape) : null);
  });
  return inferNode(node(op, types, opts), opts.opset ?? 21, types, (i) => opts.constants?.[i] ?? null);
}

/** `float32[n, ?, 3]`: a type with unknown dims shown as `?`. */
export function show(ty: TensorType): string {
  return `${ty.dtype}[${ty.shape.map((d) => (isUnknownDim(d) ? '?' : String(d))).join(', ')}]`;
}

/** The first output type of `op`, shown. */
export function inferShown(op: string, inputs: readonly (TensorType | null)[], opts: InferOptions = {}): string {
  return show(infer(op, inputs, opts)[0]);
}
