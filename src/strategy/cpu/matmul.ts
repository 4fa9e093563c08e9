/**
 * @file The default CPU schedule for a matrix multiply `C[i, j] = sum_k A[i, k] * B[k, j]`.
 *
 * A register-tiled micro-kernel with a packed B panel, the structure every fast CPU GEMM shares:
 *
 *   parallel (j.outer)                     one nc-wide column panel per iteration (threads split these)
 *     B.global[k, 0:nc] = B[k, j.outer*nc : +nc]     pack the panel contiguously (cacheRead)
 *     for (i.outer)                        one mr-row strip of A ...
 *       for (j.middle)                     ... meets nc/nr register tiles of the panel
 *         C.local[mr, nr] = 0              accumulators in registers (cacheWrite)
 *         for (k)                          rank-1 updates: nr/lanes vector loads of B,
 *           C.local[ii, :] += A[i, k] * B.global[k, jm*nr : +nr]   mr broadcasts of A, FMAs
 *         C[tile] = C.local                vectorized write-back
 *
 * Knobs: mr × nr is the register tile (mr · nr/lanes accumulators must fit the register file with
 * room for the B vectors); lanes is the target's vector width in float32 elements; the panel of
 * K × nc floats stays in L2 while every strip of A streams through it, and each strip (mr × K) is
 * reused from L1 by the nc/nr tiles of the panel, which divides A's traffic from memory by nc/nr.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { IterVar } from '../../ir/expr.js';
import type { Schedule, Stage } from '../../schedule/index.js';
import { ScheduleError } from '../../schedule/index.js';
import type { Tensor } from '../../te/tensor.js';
import { inputTensors } from '../../te/tensor.js';
import { epilogueOf } from './epilogue.js';
import { scheduleGemv } from './gemv.js';
import { matmulOperands } from './matmul-operands.js';

export interface MatmulKnobs {
  /** rows of the register tile */
  readonly mr: number;
  /** columns of the register tile (a multiple of lanes) */
  readonly nr: number;
  /** vector lanes of float32 */
  readonly lanes: number;
  /** columns of the packed B panel (a multiple of nr) */
  readonly nc: number;
  /** copy each B panel contiguously before use (default true); without, B is read in place */
  readonly pack?: boolean;
}

/**
 * Register tile for the target, two vectors wide. AVX-512 has 32 vector registers: 8 × 2
 * accumulators leave room for the B vectors and the broadcast. AVX2 has 16, so 6 × 2
 * accumulators plus 3 temporaries fill them. WebAssembly SIMD has no fused multiply-add, and V8
 * keeps one of x86-64's 16 xmm registers as scratch, so 6 × 2 spills accumulators in the k loop;
 * 4 × 2 does not (measured faster on 1024³ as well as 512³).
 *
 * With a shape, the tile is fitted to it: where the two-vector tile leaves partial tiles (rec's
 * 40 × 40 and 40 × 15 attention products, N = 6625), narrower vectors or another row count may
 * cover M and N with less waste while keeping as many multiply-adds per load.
 */
export function defaultMatmulKnobs(info: TargetInfo, shape?: { readonly n: number; readonly k: number; readonly m?: number }): MatmulKnobs {
  const full = Math.max(4, info.vectorBits / 32);
  const mr0 = info.vectorBits >= 512 ? 8 : info.vectorBits <= 128 ? 4 : 6;
  if (!shape) return { mr: mr0, nr: 2 * full, lanes: full, nc: 2 * full };
  const { mr, nr, lanes } = fitTile(full, mr0, shape.m ?? mr0, shape.n);
  // Up to four register tiles per panel, as long as the panel fills at most half of L2 and the
  // panels tile N exactly.
  let tiles = Math.max(1, Math.min(4, Math.floor(info.l2Bytes / 2 / (shape.k * 4 * nr))));
  while (tiles > 1 && shape.n % (tiles * nr) !== 0) tiles--;
  return { mr, nr, lanes, nc: tiles * nr };
}

/**
 * The register tile (mr rows × nr columns of `lanes`-wide vectors, at most 2·mr0 accumulators)
 * that covers m × n with the least waste, then with the most multiply-adds per load (capped at the
 * default tile's: beyond it the FMA units, not the loads, set the pace).
 */
function fitTile(full: number, mr0: number, m: number, n: number): { mr: number; nr: number; lanes: number } {
  const budget = 2 * mr0;
  const reuseOf = (mr: number, nv: number): number => (mr * nv) / (mr + nv);
  const cap = reuseOf(mr0, 2);
  let best = { mr: mr0, nr: 2 * full, lanes: full, score: -1 };
  for (const lanes of [full, full / 2, full / 4].filter((l) => l >= 4)) {
    for (let nv = 1; nv <= budget && (nv - 1) * lanes < n; nv++) {
      for (let mr = 1; mr * nv <= budget && mr <= Math.max(m, 1); mr++) {
        const fit = coverage(n, nv * lanes, lanes, full) * (m / (Math.ceil(m / mr) * mr));
        const preferred = lanes === full && nv === 2 && mr === mr0 ? 1e-6 : 0;
        const score = fit * Math.min(reuseOf(mr, nv), cap) + preferred;
        if (score > best.score) best = { mr, nr: nv * lanes, lanes, score };
      }
    }
  }
  return best;
}

/**
 * Relative speed of covering `n` elements with tiles of `tile` (vectors of `lanes` of a machine
 * with `full` lanes): a partial vector at the edge runs lane by lane.
 */
function coverage(n: number, tile: number, lanes: number, full: number): number {
  const tiles = Math.floor(n / tile);
  const rest = n - tiles * tile;
  const cost = (tiles * tile) / lanes + Math.floor(rest / lanes) + (rest % lanes);
  return n / full / cost;
}

function only<T>(xs: readonly T[], what: string, stage: string): T {
  if (xs.length !== 1) throw new ScheduleError(`scheduleMatmul(${stage}): expected one ${what}, found ${xs.length}`);
  return xs[0];
}

/**
 * Applies the matmul schedule to `C` (a compute over [batch…, i, j] with one reduce axis) of `s`,
 * computed inside the tiles of `out`: `C` itself, or the element-wise tail of its fused group
 * (same shape; the stages between are inlined), which then runs on the accumulators. Batch axes
 * join the parallel panel loop. Extents the tiles do not divide leave partial edge tiles, whose
 * guards tir.loopPartition cuts out of the full tiles.
 */
export function scheduleMatmul(s: Schedule, C: Tensor, knobs: MatmulKnobs, out: Tensor = C, info?: TargetInfo): void {
  if (C.op.kind !== 'compute' || C.ndim < 2) {
    throw new ScheduleError(`scheduleMatmul(${C.name}): expected a compute of 2 or more dimensions`);
  }
  only(C.op.reduceAxis, 'reduce axis', C.name);
  if (knobs.nr % knobs.lanes !== 0 || knobs.nc % knobs.nr !== 0) {
    throw new ScheduleError(`scheduleMatmul(${C.name}): nr=${knobs.nr} must be a multiple of lanes=${knobs.lanes} and nc=${knobs.nc} of nr`);
  }
  if (out.ndim !== C.ndim || out.shape.some((d, k) => d !== C.shape[k])) {
    throw new ScheduleError(`scheduleMatmul(${C.name}): output ${out.name} must have the product's shape`);
  }
  const B = inputTensors(C)[1];
  if (!B && knobs.pack !== false) throw new ScheduleError(`scheduleMatmul(${C.name}): expected two inputs to pack the second`);

  const local = s.cacheWrite(C, 'local');
  if (out !== C) s.stage(C).computeInline();
  const panel = knobs.pack === false ? null : s.cacheRead(B, 'global', [local]);

  const c = s.stage(out);
  const batch = c.axis.slice(0, -2);
  const [i, j] = c.axis.slice(-2) as [IterVar, IterVar];
  const [io, ii, jo, jPanel] = [...c.split(i, { factor: knobs.mr }), ...c.split(j, { factor: knobs.nc })];
  const [jm, ji] = c.split(jPanel, { factor: knobs.nr });
  c.reorder(...batch, jo, io, jm, ii, ji);
  const task = batch.length > 0 ? c.fuse(...batch, jo) : jo;
  const macs = C.shape.reduce((p, d) => p * d, 1) * C.op.reduceAxis[0].extent;
  if ((info?.threads ?? true) && task.extent > 1 && macs >= PARALLEL_MIN_MACS) c.parallel(task);
  c.vectorize(ji);

  const acc = s.stage(local);
  acc.computeAt(c, jm);
  const [ai, aj] = acc.axis.slice(-2) as [IterVar, IterVar];
  const k = acc.reduceAxis[0];
  const [ajo, aji] = acc.split(aj, { factor: knobs.lanes });
  acc.reorder(...acc.axis.slice(0, -2), k, ai, ajo, aji);
  acc.unroll(ai);
  acc.unroll(ajo);
  acc.vectorize(aji);

  if (!panel) return;
  const pack = s.stage(panel);
  pack.computeAt(c, task);
  const pj = pack.leafAxes()[pack.leafAxes().length - 1];
  const [, pji] = pack.split(pj, { factor: knobs.lanes });
  pack.vectorize(pji);
}

/** Output elements × multiply-adds below which a product stays on one thread. */
const PARALLEL_MIN_MACS = 1 << 20;

/** Whether `st` is a matrix product the default CPU schedule (`scheduleProduct`) takes. */
export function isProduct(st: Stage): boolean {
  const ops = matmulOperands(st);
  // a row vector times a [K, N] matrix is tiled like a matrix product, which needs a row axis
  return ops !== null && (ops.kContiguous || st.tensor.ndim >= 2);
}

/**
 * The default schedule of product `st` (`isProduct`): a GEMV when the product has one output row,
 * otherwise the register-tiled GEMM computed inside the tiles of its fused group's element-wise
 * tail. Returns the stage it scheduled last (that tail, or `st`), which needs nothing more.
 */
export function scheduleProduct(s: Schedule, st: Stage, info: TargetInfo): Stage {
  const ops = matmulOperands(st);
  if (!ops) throw new ScheduleError(`scheduleProduct(${st.name}): not a matrix product`);
  const C = st.tensor;
  // A row operand computed by inlined producers (a flatten of a blocked layout: divisions per
  // element) would be recomputed for every column tile; it is copied once, contiguously, first.
  if (ops.a.tensor.op.kind === 'compute' && ops.a.tensor !== ops.b.tensor) s.cacheRead(ops.a.tensor, 'global', [C]);
  const rows = [...ops.batch, ...(ops.i ? [ops.i] : [])].reduce((p, a) => p * a.extent, 1);
  if (rows === 1 || !ops.i || ops.a.tensor === ops.b.tensor) {
    scheduleGemv(s, st, ops, info);
    return st;
  }
  const out = st.isOutput ? st : (epilogueOf(s, st) ?? st);
  const knobs = defaultMatmulKnobs(info, { m: ops.i.extent, n: ops.j.extent, k: ops.k.extent });
  // a panel shared by a few rows is not worth copying, unless the copy makes B's reads contiguous
  const pack = ops.kContiguous || ops.i.extent > knobs.mr;
  scheduleMatmul(s, C, { ...knobs, pack }, out.tensor, info);
  return out;
}
