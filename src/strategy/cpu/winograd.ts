/**
 * @file The schedule of a blocked convolution (src/ops/nchwc.ts) rewritten as Winograd's
 * F(m×m, 3×3) by the `winograd` primitive (src/schedule/winograd.ts). The default strategy never
 * picks it: it changes the arithmetic (and so rounding) and pays for its transforms, so tuning
 * chooses it where it measures faster and checks it against the direct convolution's results.
 *
 *   u = G g Gᵀ                                  once per run, at the root
 *   parallel (th)                                tasks of tile rows (m output rows each)
 *     for (tw, cb): t = Bᵀ d (registers); v[:, :, tw, cb] = t B      input tiles of the row
 *     for (e, u) for (mb.outer) for (tw.outer)   one matrix product per (e, u) …
 *       acc[tw.inner][mb.inner][lanes] = Σ_(cb, ci) v[e, u, tw, cb, ci] · u[e, u, mb, cb, ci, :]
 *     for (mb, tw): z = Aᵀ m; out[rows, cols] = epilogue(z A)       output tiles, from registers
 *
 * The transforms' row loops are unrolled, so every select on a matrix row folds to that row's
 * non-zero terms.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { IterVar } from '../../ir/expr.js';
import type { Schedule, Stage } from '../../schedule/index.js';
import type { Tensor } from '../../te/tensor.js';

export interface WinogradKnobs {
  /** output tile m of F(m×m, 3×3): 2 or 4 */
  readonly tile: number;
  /** tiles of a row in one register tile of the channel product */
  readonly twb: number;
  /** output-channel blocks in one register tile of the channel product (divides the blocks) */
  readonly mbb: number;
}

/** Schedules blocked convolution `conv` (pristine, 3×3, stride 1) of the fused group writing `out` as F(tile×tile, 3×3). */
export function scheduleWinogradConv(s: Schedule, conv: Tensor, out: Tensor, knobs: WinogradKnobs, target: TargetInfo): void {
  const { tile } = knobs;
  const [u1, u, t, v, prod, z] = s.winograd(conv, tile).map((x) => s.stage(x));
  // everything element-wise (the padding, the output transform, the epilogue) is inlined
  for (const st of s.stages) if (!st.isPlaceholder && !st.isOutput && st.reduceAxis.length === 0 && ![u1, u, t, v, prod, z].includes(st)) st.computeInline();
  const lanes = Math.max(1, target.vectorBits / 32);

  // weights: u1 inlined into u; per (mb, cb, ci) the α×α transforms unrolled, lanes vectorized
  u1.computeInline();
  unrollMatrixAxes(u, lanes);

  const o = s.stage(out);
  const [n, mb, oh, ow, lane] = o.axis as [IterVar, IterVar, IterVar, IterVar, IterVar];
  const [th, hi] = o.split(oh, { factor: tile });
  const [tw, wi] = o.split(ow, { factor: tile });
  o.reorder(n, th, mb, tw, hi, wi, lane);
  o.unroll(hi);
  o.unroll(wi);
  vectorizeLanes(o, lane, lanes);
  const task = o.fuse(n, th);
  if (target.threads && task.extent > 1) o.parallel(task);

  // the row's input tiles: per tile and input block, t in α×α registers, then v
  v.computeAt(o, task);
  const vOuter = unrollMatrixAxes(v, lanes);
  t.computeAt(v, vOuter[vOuter.length - 1]);
  unrollMatrixAxes(t, lanes);

  // the channel product: per (e, u), register tiles of twb tiles × mbb blocks over all channels
  const acc = s.stage(s.cacheWrite(prod.tensor, 'local'));
  const [pe, pu, pth, ptw, pn, pmb, pco] = prod.axis as IterVar[];
  const [pmbo, pmbi] = prod.split(pmb, { factor: knobs.mbb });
  const [ptwo, ptwi] = prod.split(ptw, { factor: knobs.twb });
  prod.reorder(pth, pn, pe, pu, pmbo, ptwo, pmbi, ptwi, pco);
  prod.computeAt(o, task);
  vectorizeLanes(prod, pco, lanes);
  acc.computeAt(prod, ptwo);
  const [ae, au, ath, atw, an, amb, aco] = acc.axis as IterVar[];
  acc.reorder(...acc.reduceAxis, ae, au, ath, an, atw, amb, aco);
  acc.unroll(atw);
  acc.unroll(amb);
  vectorizeLanes(acc, aco, lanes);

  // the output transform's first half per output tile, in registers
  z.computeAt(o, tw);
  unrollMatrixAxes(z, lanes);
}

/**
 * A transform's matrix axes (its first two) unrolled just outside its last axis, which is
 * vectorized: each copy's select of a matrix row folds to the row's terms. Returns the axes
 * outside them, in order.
 */
function unrollMatrixAxes(st: Stage, lanes: number): IterVar[] {
  const [a, b, ...outer] = st.axis as IterVar[];
  const last = outer.pop();
  if (last === undefined) throw new Error(`winograd: ${st.name} has no axis besides its matrix axes`);
  st.reorder(...outer, a, b, last);
  st.unroll(a);
  st.unroll(b);
  vectorizeLanes(st, last, lanes);
  return outer;
}

/** Vectorizes `axis` when it is one vector of the target's lanes. */
function vectorizeLanes(st: Stage, axis: IterVar, lanes: number): void {
  if (axis.extent === lanes) st.vectorize(axis);
}
