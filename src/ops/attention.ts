/**
 * @file Attention (opset 23/24): softmax(Q·Kᵀ·scale + bias)·V over heads, as ONNX's function
 * body defines it. Q, K, V are 4-d [batch, heads, seq, head size] or 3-d [batch, seq, hidden]
 * (split into q_num_heads / kv_num_heads). Along the way:
 *
 * - past_key/past_value are prepended along the sequence (the present_* outputs);
 * - grouped-query attention: query head h reads key/value head h / (q_heads / kv_heads);
 * - Q and K are each scaled by √scale (default scale 1/√head_size) before the product;
 * - softcap (c > 0) maps scores s to c·tanh(s / c), before the bias;
 * - the bias sums a float mask (added), a bool mask (false → −inf, positions past a short
 *   mask's end too), the causal mask (key j after query i + offset → −inf; offset is the past
 *   length, or nonpad_kv_seqlen[b] − q_seq with it) and the nonpad mask (j ≥ nonpad_kv_seqlen[b]);
 * - rows whose bias is −inf everywhere give 0 rather than NaN;
 * - qk_matmul_output is the scores after the product (mode 0), softcap (1), bias (2) or softmax (3).
 */

import type { Expr, Var } from '../ir/expr.js';
import { add, cast, constant, div, eq, floordiv, floormod, ge, gt, lt, mul, select, sub } from '../ir/expr.js';
import type { Dim, TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { compute, reduceAxis, reduceMax, sum, tanh } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext, NodeContext } from './context.js';
import { checkDType, sameDType } from './check.js';
import { defineOp } from './registry.js';
import { readBroadcast, showShape, unknownDim } from './shape.js';
import { softmaxOf } from './softmax.js';

interface Heads {
  readonly q: number;
  readonly kv: number;
}

/** Head counts: attributes for 3-d inputs, dim 1 for 4-d ones. */
function headsOf(ctx: NodeContext, q: readonly Dim[], k: readonly Dim[]): Heads | null {
  if (q.length === 3) return { q: ctx.int('q_num_heads'), kv: ctx.int('kv_num_heads') };
  const [hq, hk] = [q[1], k[1]];
  return typeof hq === 'number' && typeof hk === 'number' ? { q: hq, kv: hk } : null;
}

const divDim = (d: Dim, n: number): Dim => (typeof d === 'number' ? d / n : unknownDim());
const addDim = (a: Dim, b: Dim): Dim => (typeof a === 'number' && typeof b === 'number' ? a + b : b === 0 ? a : unknownDim());

function attentionInfer(ctx: InferContext): TensorType[] {
  const [q, k, v] = [ctx.type(0), ctx.type(1), ctx.type(2)];
  const dtype = sameDType(ctx, [q.dtype, k.dtype, v.dtype], 'Q, K and V');
  checkDType(ctx, dtype, 'float');
  if (![3, 4].includes(q.shape.length) || k.shape.length !== q.shape.length || v.shape.length !== q.shape.length) {
    throw ctx.fail(`Q ${showShape(q.shape)}, K ${showShape(k.shape)} and V ${showShape(v.shape)} must all be 3-d or all 4-d`);
  }
  const heads = headsOf(ctx, q.shape, k.shape);
  if (heads && (heads.q < 1 || heads.kv < 1 || heads.q % heads.kv !== 0)) throw ctx.fail(`${heads.kv} key/value heads do not divide ${heads.q} query heads`);
  const three = q.shape.length === 3;
  const [batch, qSeq, kvSeq] = three ? [q.shape[0], q.shape[1], k.shape[1]] : [q.shape[0], q.shape[2], k.shape[2]];
  const dv = three ? (heads ? divDim(v.shape[2], heads.kv) : unknownDim()) : v.shape[3];
  const dk = three ? (heads ? divDim(k.shape[2], heads.kv) : unknownDim()) : k.shape[3];
  const past = ctx.optionalType(4);
  const total = addDim(kvSeq, past ? past.shape[2] : 0);
  const [hq, hkv] = [heads?.q ?? unknownDim(), heads?.kv ?? unknownDim()];
  const y = three ? [batch, qSeq, typeof hq === 'number' && typeof dv === 'number' ? hq * dv : unknownDim()] : [batch, hq, qSeq, dv];
  return [tensorType(dtype, y), tensorType(dtype, [batch, hkv, total, dk]), tensorType(dtype, [batch, hkv, total, dv]), tensorType(dtype, [batch, hq, qSeq, total])];
}

/** A 4-d view [batch, heads, seq, d] of a 3-d or 4-d operand. */
function view4(t: Tensor, heads: number): (b: Expr, h: Expr, s: Expr, d: Expr) => Expr {
  if (t.ndim === 4) return (b, h, s, d) => t.at(b, h, s, d);
  const size = t.shape[2] / heads;
  return (b, h, s, d) => t.at(b, s, add(mul(h, size), d));
}

/** past ++ current along the sequence: the present_key / present_value output. */
function present(x: Tensor, past: Tensor | null, heads: number, shape: readonly number[], name: string): Tensor {
  const cur = view4(x, heads);
  const p = past?.shape[2] ?? 0;
  return compute(shape, (b, h, t, d) => {
    if (!past || p === 0) return cur(b, h, t, d);
    return select(ge(t, p), cur(b, h, sub(t, p), d), past.at(b, h, t, d));
  }, name, { tag: 'injective' });
}

/** The additive bias at (b, h, i, j), or null when there is none. */
function biasOf(ctx: ComputeContext, shape: readonly number[], pastLen: number): ((i: readonly Var[]) => Expr) | null {
  const [mask, lens] = [ctx.optionalInput(3), ctx.optionalInput(6)];
  const causal = ctx.int('is_causal', 0) !== 0;
  if (!mask && !lens && !causal) return null;
  const dtype = ctx.input(0).dtype;
  const [ninf, zero] = [constant(-Infinity, dtype), constant(0, dtype)];
  const qSeq = shape[2];
  return (i) => {
    const [b, , s, j] = i;
    const terms: Expr[] = [];
    if (mask) terms.push(maskTerm(mask, i, shape[3], ninf, zero));
    const len = lens && cast(lens.at(b), 'int32');
    if (causal) {
      const offset: Expr = len ? sub(len, qSeq) : constant(pastLen, 'int32');
      terms.push(select(gt(j, add(s, offset)), ninf, zero));
    }
    if (len) terms.push(select(ge(j, len), ninf, zero));
    return terms.reduce((a, t) => add(a, t));
  };
}

/** A float mask's value or a bool mask's 0/−inf, broadcast; −inf past the end of a short mask. */
function maskTerm(mask: Tensor, i: readonly Var[], total: number, ninf: Expr, zero: Expr): Expr {
  const m = readBroadcast(mask, i);
  const value = mask.dtype === 'bool' ? select(m, zero, ninf) : m;
  const last = mask.shape[mask.ndim - 1];
  return last === 1 || last >= total ? value : select(lt(i[3], last), value, ninf);
}

/** The concrete shapes of Y, present_key/value and the scores, from the inputs. */
function shapesOf(q: Tensor, k: Tensor, v: Tensor, past: Tensor | null, heads: Heads): { y: number[]; pk: number[]; pv: number[]; qk: number[] } {
  const three = q.ndim === 3;
  const [batch, qSeq, kvSeq] = three ? [q.shape[0], q.shape[1], k.shape[1]] : [q.shape[0], q.shape[2], k.shape[2]];
  const [dk, dv] = three ? [k.shape[2] / heads.kv, v.shape[2] / heads.kv] : [k.shape[3], v.shape[3]];
  const total = kvSeq + (past?.shape[2] ?? 0);
  return {
    y: three ? [batch, qSeq, heads.q * dv] : [batch, heads.q, qSeq, dv],
    pk: [batch, heads.kv, total, dk],
    pv: [batch, heads.kv, total, dv],
    qk: [batch, heads.q, qSeq, total],
  };
}

function attentionCompute(ctx: ComputeContext): Tensor[] {
  const [q, k, v] = [ctx.input(0), ctx.input(1), ctx.input(2)];
  const heads = headsOf(ctx, q.shape, k.shape);
  if (!heads) throw ctx.fail('head counts are unknown');
  const past = ctx.optionalInput(4);
  const shapes = shapesOf(q, k, v, past, heads);
  const pk = present(k, past, heads.kv, shapes.pk, 'present_key');
  const pv = present(v, ctx.optionalInput(5), heads.kv, shapes.pv, 'present_value');
  const reps = heads.q / heads.kv;
  const kvHead = (h: Expr): Expr => (reps === 1 ? h : floordiv(h, reps));
  const dk = pk.shape[3];
  const scale = ctx.hasAttr('scale') ? ctx.float('scale') : 1 / Math.sqrt(dk);
  const root = constant(Math.sqrt(scale), q.dtype);
  const qv = view4(q, heads.q);
  const r = reduceAxis(dk, 'r');
  const scores = compute(shapes.qk, (b, h, i, j) => sum(mul(mul(qv(b, h, i, r.var), root), mul(pk.at(b, kvHead(h), j, r.var), root)), [r]), 'attention_scores', { tag: 'batch_matmul' });
  const cap = ctx.float('softcap', 0);
  const capped = cap > 0 ? compute(scores.shape, (...i) => mul(tanh(div(scores.at(...i), constant(cap, q.dtype))), constant(cap, q.dtype)), 'attention_softcap', { tag: 'elemwise' }) : scores;
  const bias = biasOf(ctx, shapes.qk, past?.shape[2] ?? 0);
  const biased = bias ? compute(capped.shape, (...i) => add(capped.at(...i), bias(i)), 'attention_bias', { tag: 'broadcast' }) : capped;
  const probs = bias ? zeroMaskedRows(softmaxOf(biased, [3], 'attention_softmax'), bias) : softmaxOf(biased, [3], 'attention_softmax');
  const y = weighted(probs, pv, kvHead, shapes.y, q.ndim === 3);
  const mode = ctx.int('qk_matmul_output_mode', 0);
  if (mode < 0 || mode > 3) throw ctx.fail(`qk_matmul_output_mode must be 0 to 3, got ${mode}`);
  return [y, pk, pv, [scores, capped, biased, probs][mode]];
}

/** The probabilities with rows whose bias is −inf everywhere set to 0 (they would be NaN). */
function zeroMaskedRows(probs: Tensor, bias: (i: readonly Var[]) => Expr): Tensor {
  const t = reduceAxis(probs.shape[3], 't');
  const rowMax = compute(probs.shape.slice(0, 3), (b, h, i) => reduceMax(bias([b, h, i, t.var]), [t]), 'attention_row_max', { tag: 'reduce' });
  const ninf = constant(-Infinity, probs.dtype);
  return compute(probs.shape, (b, h, i, j) => select(eq(rowMax.at(b, h, i), ninf), constant(0, probs.dtype), probs.at(b, h, i, j)), 'attention_probs', { tag: 'elemwise' });
}

/** Σ_j probs[b, h, i, j] · V[b, h / reps, j, d], laid out 4-d or back as [batch, seq, hidden]. */
function weighted(probs: Tensor, pv: Tensor, kvHead: (h: Expr) => Expr, shape: readonly number[], three: boolean): Tensor {
  const j = reduceAxis(pv.shape[2], 'j');
  const dv = pv.shape[3];
  const at = (b: Expr, h: Expr, i: Expr, d: Expr): Expr => sum(mul(probs.at(b, h, i, j.var), pv.at(b, kvHead(h), j.var, d)), [j]);
  if (!three) return compute(shape, (b, h, i, d) => at(b, h, i, d), 'attention', { tag: 'batch_matmul' });
  return compute(shape, (b, i, c) => at(b, floordiv(c, dv), i, floormod(c, dv)), 'attention', { tag: 'batch_matmul' });
}

defineOp({ name: 'Attention', inputs: [3, 7], outputs: [1, 4], pattern: 'opaque', infer: attentionInfer, compute: attentionCompute });

