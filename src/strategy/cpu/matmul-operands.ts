/**
 * @file Recognizing a matrix product among a kernel's stages: a float32 reduction tagged `matmul`,
 * `batch_matmul` or `dense` whose body is `sum_k a[…, i, k] · b[…, k, j]`, the two operands read
 * directly or through injective producers (a transpose, a reshape) that the schedule inlines.
 *
 * The strategies need to know which output axes are the rows (i) and columns (j), and in which
 * order the weight operand's memory runs: `kContiguous` when b's innermost index, after looking
 * through producers that only move elements, is k (ONNX Gemm with transB = 1 stores the weight as
 * [N, K]; attention reads K transposed).
 */

import type { Expr, IterVar, TensorRead } from '../../ir/expr.js';
import { substitute, usesVar, visit } from '../../ir/visit.js';
import type { Stage } from '../../schedule/index.js';

export interface MatmulOperands {
  /** the read of the row operand (depends on i and k) */
  readonly a: TensorRead;
  /** the read of the column operand (depends on k and j, or on k alone when j is absent) */
  readonly b: TensorRead;
  /** output axes in order: batch axes, then i (absent when the rows are a single vector), then j */
  readonly batch: readonly IterVar[];
  readonly i: IterVar | null;
  readonly j: IterVar;
  readonly k: IterVar;
  /** b's memory runs along k (its innermost index is k after looking through data movement) */
  readonly kContiguous: boolean;
}

const TAGS = new Set(['matmul', 'batch_matmul', 'dense']);

const uses = (e: Expr, iv: IterVar): boolean => usesVar(e, (v) => v.id === iv.var.id);

/**
 * The read `r` looks through to: while it reads a reduction-free compute whose body is a single
 * read (a transpose, reshape, broadcast), the read that body makes at `r`'s indices.
 */
function underlying(r: TensorRead): TensorRead {
  let cur = r;
  for (;;) {
    const op = cur.tensor.op;
    if (op.kind !== 'compute' || op.reduceAxis.length > 0 || op.body.kind !== 'tensorRead') return cur;
    const at = new Map(op.axis.map((a, d) => [a.var.id, cur.indices[d]]));
    const inner = substitute(op.body, at);
    if (inner.kind !== 'tensorRead') return cur;
    cur = inner;
  }
}

/** The product's operands and axes, or null when `st` is not a matrix product this file handles. */
export function matmulOperands(st: Stage): MatmulOperands | null {
  const t = st.tensor;
  if (t.op.kind !== 'compute' || !TAGS.has(t.op.tag) || t.dtype !== 'float32' || t.ndim < 1) return null;
  if (st.reduceAxis.length !== 1 || t.op.reduceAxis.length !== 1) return null;
  const body = t.op.body;
  if (body.kind !== 'reduce' || body.op !== 'sum' || body.where !== null) return null;
  const src = body.source;
  if (src.kind !== 'binary' || src.op !== 'mul' || src.a.kind !== 'tensorRead' || src.b.kind !== 'tensorRead') return null;
  const k = t.op.reduceAxis[0];
  const axes = t.op.axis;
  const j = axes[axes.length - 1];
  const [a, b] = [src.a, src.b];
  if (!uses(a, k) || !uses(b, k) || !uses(b, j) || uses(a, j)) return null;
  const i = axes.length >= 2 && uses(a, axes[axes.length - 2]) && !uses(b, axes[axes.length - 2]) ? axes[axes.length - 2] : null;
  const batch = axes.slice(0, axes.length - (i ? 2 : 1));
  const deep = underlying(b);
  const last = deep.indices[deep.indices.length - 1];
  let kOnly = true;
  visit(last, (e) => {
    if (e.kind === 'var' && e.id !== k.var.id) kOnly = false;
    return kOnly;
  });
  return { a, b, batch, i, j, k, kContiguous: kOnly && uses(last, k) };
}
