/**
 * @file The winograd primitive's dataflow: a 3×3, stride-1 convolution rewritten as Winograd's
 * minimal filtering F(m×m, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016). Per tile of m×m outputs, with α = m + 2:
 *
 *   U = G g Gᵀ       (α×α per filter: the weights, transformed)
 *   V = Bᵀ d B       (α×α per input tile of α×α, overlapping its neighbours by 2)
 *   M = Σ_channels U ⊙ V    (α² independent channel reductions: batched matrix products)
 *   Y = Aᵀ M A       (m×m outputs)
 *
 * which takes α²/(9·m²) of the direct convolution's multiplications in the channel reduction
 * (F(4×4, 3×3): 36/144). Rounding differs from the direct sum: F(2×2) stays within a few ulps,
 * F(4×4) within about 1e-6 of the output's magnitude for unit-scale data.
 *
 * Every transform is written per row of its matrix as the explicit sum of that row's non-zero
 * terms, chosen by a select on the row index; a schedule that unrolls the row index leaves each
 * copy with a constant condition that simplification removes, so no multiplication by a zero
 * entry is ever emitted. Each transform is separable and is built as two stages (columns, then
 * rows). The convolution's own stage becomes the output transform and keeps its tensor, so the
 * stages that read it are untouched.
 *
 * Tags tell schedules what each stage is: `winograd_weights` (U) and `winograd_input` (V) are the
 * transforms worth materializing, `winograd_product` (M) the reduction, `winograd_half` the first
 * halves of the transforms (Gg, Bᵀd, AᵀM), cheap enough to inline into the second.
 */

import type { Expr, IterVar, TensorRead, Var } from '../ir/expr.js';
import { add, and, constant, eq, floordiv, floormod, intImm, lt, mul, select, sub } from '../ir/expr.js';
import { substitute } from '../ir/visit.js';
import { compute, reduceAxis, sum } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { Stage, StageDef } from './stage.js';

/** Output tile sizes m of F(m×m, 3×3) the primitive builds. */
export const WINOGRAD_TILES: readonly number[] = [2, 4];

interface Matrices {
  /** α × α, the input transform (rows are Bᵀ's) */
  readonly bt: readonly (readonly number[])[];
  /** α × 3, the filter transform */
  readonly g: readonly (readonly number[])[];
  /** m × α, the output transform */
  readonly at: readonly (readonly number[])[];
}

// interpolation points 0, ±1 (F(2)) and 0, ±1, ±2 (F(4)), with the point at infinity
const MATRICES: Record<number, Matrices> = {
  2: {
    bt: [
      [1, 0, -1, 0],
      [0, 1, 1, 0],
      [0, -1, 1, 0],
      [0, 1, 0, -1],
    ],
    g: [
      [1, 0, 0],
      [1 / 2, 1 / 2, 1 / 2],
      [1 / 2, -1 / 2, 1 / 2],
      [0, 0, 1],
    ],
    at: [
      [1, 1, 1, 0],
      [0, 1, -1, -1],
    ],
  },
  4: {
    bt: [
      [4, 0, -5, 0, 1, 0],
      [0, -4, -4, 1, 1, 0],
      [0, 4, -4, -1, 1, 0],
      [0, -2, -1, 2, 1, 0],
      [0, 2, -1, -2, 1, 0],
      [0, 4, 0, -5, 0, 1],
    ],
    g: [
      [1 / 4, 0, 0],
      [-1 / 6, -1 / 6, -1 / 6],
      [-1 / 6, 1 / 6, -1 / 6],
      [1 / 24, 1 / 12, 1 / 6],
      [1 / 24, -1 / 12, 1 / 6],
      [0, 0, 1],
    ],
    at: [
      [1, 1, 1, 1, 1, 0],
      [0, 1, -1, 2, -2, 0],
      [0, 1, 1, 4, 4, 0],
      [0, 1, -1, 8, -8, 1],
    ],
  },
};

/** What the rewrite needs to know of a convolution stage, found by `matchConv`. */
export interface ConvPattern {
  /** the data read: some index is `h + ry`, another `w + rx` */
  readonly data: TensorRead;
  /** the weights read: indices `ry` and `rx` among plain variables */
  readonly weights: TensorRead;
  /** positions in the stage's axes of the output rows and columns */
  readonly h: number;
  readonly w: number;
  /** positions of rows and columns in the data's and the weights' indices */
  readonly dataH: number;
  readonly dataW: number;
  readonly weightsH: number;
  readonly weightsW: number;
  /** the reduce axes over the window (extent 3 each) and over everything else (channels) */
  readonly ry: IterVar;
  readonly rx: IterVar;
  readonly channels: readonly IterVar[];
}

/**
 * The convolution in `stage`'s definition, or why there is none: a float sum over reduce axes of
 * data · weights, where exactly two data indices are an output axis plus a window axis of extent 3
 * (stride and dilation 1) and every other index of both reads is a plain axis.
 */
export function matchConv(stage: Stage): ConvPattern | string {
  const body = stage.body;
  if (!body || body.kind !== 'reduce' || body.op !== 'sum' || body.where !== null) return 'its definition is not a sum';
  if (body.dtype !== 'float32') return `it computes ${body.dtype}, not float32`;
  const src = body.source;
  if (src.kind !== 'binary' || src.op !== 'mul' || src.a.kind !== 'tensorRead' || src.b.kind !== 'tensorRead') return 'its sum is not of products of two tensor reads';
  const spatial = new Map(stage.axis.map((a, k) => [a.var.id, k]));
  const reduce = new Map(stage.reduceAxis.map((a) => [a.var.id, a]));
  for (const [data, weights] of [[src.a, src.b], [src.b, src.a]] as const) {
    const windows: { pos: number; out: number; r: IterVar }[] = [];
    let plain = true;
    data.indices.forEach((e, pos) => {
      if (e.kind === 'var') return;
      if (e.kind === 'binary' && e.op === 'add' && e.a.kind === 'var' && e.b.kind === 'var') {
        const out = spatial.get(e.a.id);
        const r = reduce.get(e.b.id);
        if (out !== undefined && r && r.extent === 3 && r.min === 0) return void windows.push({ pos, out, r });
      }
      plain = false;
    });
    if (!plain || windows.length !== 2) continue;
    const [wh, ww] = windows;
    const weightsH = weights.indices.findIndex((e) => e.kind === 'var' && e.id === wh.r.var.id);
    const weightsW = weights.indices.findIndex((e) => e.kind === 'var' && e.id === ww.r.var.id);
    if (weightsH < 0 || weightsW < 0 || weights.indices.some((e) => e.kind !== 'var')) continue;
    const windowVars = new Set([stage.axis[wh.out].var.id, stage.axis[ww.out].var.id, wh.r.var.id, ww.r.var.id]);
    const others = [...data.indices.filter((_, k) => k !== wh.pos && k !== ww.pos), ...weights.indices.filter((_, k) => k !== weightsH && k !== weightsW)];
    if (others.some((e) => e.kind === 'var' && windowVars.has(e.id))) continue;
    const channels = stage.reduceAxis.filter((a) => a !== wh.r && a !== ww.r);
    // each output channel alone (depthwise): no channel reduction for the product to batch
    if (channels.length === 0) return 'it reduces over no channels (a depthwise convolution)';
    return { data, weights, h: wh.out, w: ww.out, dataH: wh.pos, dataW: ww.pos, weightsH, weightsW, ry: wh.r, rx: ww.r, channels };
  }
  return 'it is not a 3×3 window of stride and dilation 1 over plain axes';
}

/** Σ_k row[k] · term(k) over the row's non-zero entries, in float32. */
function rowSum(row: readonly number[], term: (k: number) => Expr): Expr {
  let out: Expr | null = null;
  row.forEach((c, k) => {
    if (c === 0) return;
    const t = term(k);
    if (out === null) out = c === 1 ? t : mul(constant(c, 'float32'), t);
    else if (c === 1) out = add(out, t);
    else if (c === -1) out = sub(out, t);
    else out = add(out, mul(constant(c, 'float32'), t));
  });
  return out ?? constant(0, 'float32');
}

/** The matrix product's row `index` picks: a select chain over the rows, the last one the default. */
function byRow(matrix: readonly (readonly number[])[], index: Expr, term: (k: number) => Expr): Expr {
  let out = rowSum(matrix[matrix.length - 1], term);
  for (let r = matrix.length - 2; r >= 0; r--) out = select(eq(index, r), rowSum(matrix[r], term), out);
  return out;
}

/** The tensors the rewrite adds, producers first, and the convolution stage's new definition. */
export interface WinogradDefs {
  readonly added: readonly Tensor[];
  /** the first halves of the transforms of single tiles, which a schedule keeps per tile: scratch in scope 'local' */
  readonly scratch: readonly Tensor[];
  readonly output: StageDef;
}

/**
 * F(m×m, 3×3) for the convolution `p` of `stage`. New tensors are named `nameOf(part)`:
 * `u1`, `u` (weights, [α, 3 | α, …weights' other axes]), `t`, `v` (input, [α, α, tilesH, tilesW,
 * …data's other axes]), `m` (the channel reduction, [α, α, tilesH, tilesW, …output's other axes])
 * and `z` (the output transform's first half, [m, α, tilesH, tilesW, …]).
 */
export function winogradDefs(stage: Stage, p: ConvPattern, m: number, nameOf: (part: string) => string): WinogradDefs {
  const mat = MATRICES[m];
  if (!mat) throw new Error(`winogradDefs: no F(${m}×${m}, 3×3)`);
  const alpha = m + 2;
  const [H, W] = [stage.tensor.shape[p.h], stage.tensor.shape[p.w]];
  const [tilesH, tilesW] = [Math.ceil(H / m), Math.ceil(W / m)];
  const data = p.data.tensor;
  const weights = p.weights.tensor;
  const dataOther = data.shape.map((_, k) => k).filter((k) => k !== p.dataH && k !== p.dataW);
  const weightsOther = weights.shape.map((_, k) => k).filter((k) => k !== p.weightsH && k !== p.weightsW);
  const outOther = stage.axis.map((_, k) => k).filter((k) => k !== p.h && k !== p.w);
  const nameOfIndex = (e: Expr, fallback: string): string => (e.kind === 'var' ? e.name : fallback);
  const g = mat.g;

  // weights: U1[e, s, …] = Σ_r G[e][r] g[r, s];  U[e, u, …] = Σ_s U1[e, s] G[u][s]
  const wAt = (r: Expr, s: Expr, rest: readonly Var[]): Expr => {
    const idx: Expr[] = [];
    let k = 0;
    weights.shape.forEach((_, d) => idx.push(d === p.weightsH ? r : d === p.weightsW ? s : rest[k++]));
    return weights.at(...idx);
  };
  const wNames = weightsOther.map((d) => nameOfIndex(p.weights.indices[d], `w${d}`));
  const u1 = compute([alpha, 3, ...weightsOther.map((d) => weights.shape[d])], (e, s, ...rest) => byRow(g, e, (r) => wAt(intImm(r), s, rest)), nameOf('u1'), {
    tag: 'winograd_half',
    axisNames: ['e', 's', ...wNames],
  });
  const u = compute([alpha, alpha, ...weightsOther.map((d) => weights.shape[d])], (e, v, ...rest) => byRow(g, v, (s) => u1.at(e, s, ...rest)), nameOf('u'), {
    tag: 'winograd_weights',
    axisNames: ['e', 'u', ...wNames],
  });

  // input: T[e, b, th, tw, …] = Σ_a Bᵀ[e][a] d[th·m + a, tw·m + b];  V[e, u, …] = Σ_b T[e, b] Bᵀ[u][b]
  const [dataRows, dataCols] = [data.shape[p.dataH], data.shape[p.dataW]];
  const dAt = (row: Expr, col: Expr, rest: readonly Var[]): Expr => {
    const idx: Expr[] = [];
    let k = 0;
    data.shape.forEach((_, d) => idx.push(d === p.dataH ? row : d === p.dataW ? col : rest[k++]));
    const read = data.at(...idx);
    // tiles past a size that m does not divide read beyond the data: zeros there
    const conds: Expr[] = [];
    if ((tilesH - 1) * m + alpha > dataRows) conds.push(lt(row, dataRows));
    if ((tilesW - 1) * m + alpha > dataCols) conds.push(lt(col, dataCols));
    return conds.length === 0 ? read : select(conds.reduce((a, c) => and(a, c)), read, constant(0, 'float32'));
  };
  const dNames = dataOther.map((d) => nameOfIndex(p.data.indices[d], `d${d}`));
  const tileShape = [tilesH, tilesW];
  const t = compute([alpha, alpha, ...tileShape, ...dataOther.map((d) => data.shape[d])], (e, b, th, tw, ...rest) =>
    byRow(mat.bt, e, (a) => dAt(add(mul(th, m), a), add(mul(tw, m), b), rest)), nameOf('t'), { tag: 'winograd_half', axisNames: ['e', 'b', 'th', 'tw', ...dNames] });
  const v = compute([alpha, alpha, ...tileShape, ...dataOther.map((d) => data.shape[d])], (e, uu, th, tw, ...rest) =>
    byRow(mat.bt, uu, (b) => t.at(e, b, th, tw, ...rest)), nameOf('v'), { tag: 'winograd_input', axisNames: ['e', 'u', 'th', 'tw', ...dNames] });

  // the channel reduction: M[e, u, th, tw, …out] = Σ_channels V[e, u, th, tw, …] · U[e, u, …]
  const channels = p.channels.map((c) => reduceAxis(c.extent, c.var.name, c.min));
  const outNames = outOther.map((k) => stage.nameOf(stage.axis[k]));
  const prod = compute([alpha, alpha, ...tileShape, ...outOther.map((k) => stage.tensor.shape[k])], (e, uu, th, tw, ...rest) => {
    const map = new Map<number, Expr>();
    outOther.forEach((k, j) => map.set(stage.axis[k].var.id, rest[j]));
    p.channels.forEach((c, j) => map.set(c.var.id, channels[j].var));
    const vIdx = dataOther.map((d) => substitute(p.data.indices[d], map));
    const uIdx = weightsOther.map((d) => substitute(p.weights.indices[d], map));
    return sum(mul(v.at(e, uu, th, tw, ...vIdx), u.at(e, uu, ...uIdx)), channels);
  }, nameOf('m'), { tag: 'winograd_product', axisNames: ['e', 'u', 'th', 'tw', ...outNames] });

  // output: Z[i, u, th, tw, …] = Σ_e Aᵀ[i][e] M[e, u, …];  Y[h, w, …] = Σ_u Z[h % m, u, h / m, w / m] Aᵀ[w % m][u]
  const z = compute([m, alpha, ...tileShape, ...outOther.map((k) => stage.tensor.shape[k])], (i, uu, th, tw, ...rest) =>
    byRow(mat.at, i, (e) => prod.at(e, uu, th, tw, ...rest)), nameOf('z'), { tag: 'winograd_half', axisNames: ['i', 'u', 'th', 'tw', ...outNames] });
  const hv = stage.axis[p.h].var;
  const wv = stage.axis[p.w].var;
  const rest = outOther.map((k) => stage.axis[k].var);
  const body = byRow(mat.at, floormod(wv, m), (uu) => z.at(floormod(hv, m), uu, floordiv(hv, m), floordiv(wv, m), ...rest));
  return { added: [u1, u, t, v, prod, z], scratch: [t, z], output: { axis: stage.axis, reduceAxis: [], body } };
}
