/**
 * @file What the sketch rules need to know about a compute: which stages read a stage once
 * inlined stages are looked through, whether a reduction reuses its inputs (the reason to tile
 * it), which inputs are worth packing, and the target's vector and register sizes.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { DType } from '../../ir/dtype.js';
import { bytesOf } from '../../ir/dtype.js';
import type { Expr } from '../../ir/expr.js';
import { visit } from '../../ir/visit.js';
import type { Schedule, Stage } from '../../schedule/index.js';
import type { Tensor } from '../../te/tensor.js';

/** float32 elements (or `dtype` elements) in one vector register. */
export function lanesOf(info: TargetInfo, dtype: DType): number {
  return Math.max(1, Math.floor(info.vectorBits / 8 / bytesOf(dtype)));
}

/** Vector registers of the target's ISA: AVX-512 has 32, AVX2, NEON and WebAssembly SIMD 16. */
export function vectorRegisters(info: TargetInfo): number {
  return info.vectorBits >= 512 ? 32 : 16;
}

/** The stages that read `st` with inlined stages looked through (each stage once). */
/** The stages `st`'s current definition reads (a primitive like winograd redefines a stage, not its tensor). */
export function stageReads(s: Schedule, st: Stage): Stage[] {
  const out = new Map<number, Stage>();
  if (st.body) {
    visit(st.body, (e) => {
      if (e.kind === 'tensorRead' && !out.has(e.tensor.id)) out.set(e.tensor.id, s.stage(e.tensor));
    });
  }
  return [...out.values()];
}

/** The first stage matching `pred` that `st` reads, directly or through inlined stages (by their current definitions). */
export function readThroughInlined(s: Schedule, st: Stage, pred: (p: Stage) => boolean): Stage | undefined {
  const todo = stageReads(s, st);
  const seen = new Set<Stage>();
  for (let p = todo.pop(); p; p = todo.pop()) {
    if (seen.has(p)) continue;
    seen.add(p);
    if (pred(p)) return p;
    if (p.attach.kind === 'inline') todo.push(...stageReads(s, p));
  }
  return undefined;
}

/** The positions of `st`'s axes whose variables index its reads of `t`. */
export function indexedAxes(st: Stage, t: Tensor): Set<number> {
  const vars = new Set<number>();
  if (st.body) {
    visit(st.body, (e) => {
      if (e.kind !== 'tensorRead' || e.tensor !== t) return;
      for (const i of e.indices) visit(i, (x) => void (x.kind === 'var' && vars.add(x.id)));
    });
  }
  return new Set(st.axis.flatMap((a, d) => (vars.has(a.var.id) ? [d] : [])));
}

export function effectiveReaders(s: Schedule, st: Stage): Stage[] {
  const out = new Set<Stage>();
  const walk = (p: Stage): void => {
    for (const r of s.readers(p)) {
      if (r.attach.kind === 'inline') walk(r);
      else out.add(r);
    }
  };
  walk(st);
  return [...out];
}

interface Read {
  readonly tensor: Tensor;
  /** var ids in all indices */
  readonly vars: ReadonlySet<number>;
  /** var ids in the last index */
  readonly lastVars: ReadonlySet<number>;
}

function varsOf(e: Expr): Set<number> {
  const ids = new Set<number>();
  visit(e, (n) => void (n.kind === 'var' && ids.add(n.id)));
  return ids;
}

/** Every tensor read in `st`'s body with the variables its indices use. */
export function readsIn(st: Stage): Read[] {
  const reads: Read[] = [];
  if (!st.body) return reads;
  visit(st.body, (e) => {
    if (e.kind !== 'tensorRead') return;
    const vars = new Set<number>();
    for (const i of e.indices) for (const v of varsOf(i)) vars.add(v);
    const last = e.indices[e.indices.length - 1];
    reads.push({ tensor: e.tensor, vars, lastVars: last ? varsOf(last) : new Set() });
  });
  return reads;
}

/** Spatial axes of more than one point: the ones whose absence from a read means reuse. */
function realSpatialIds(st: Stage): number[] {
  return st.axis.filter((a) => a.extent > 1).map((a) => a.var.id);
}

/**
 * Whether a reduction reads some tensor at the same element for different output points (matmul,
 * convolution): then tiling keeps that element in cache or a register across those points.
 */
export function hasReuse(st: Stage): boolean {
  if (st.reduceAxis.length === 0) return false;
  const spatial = realSpatialIds(st);
  return readsIn(st).some((r) => spatial.some((id) => !r.vars.has(id)));
}

/**
 * Inputs worth copying into a contiguous panel: read with reuse, and with their last (contiguous)
 * dimension indexed by an output axis, so a tile reads a short strided slice of every row —
 * the B operand of a matmul.
 */
export function packCandidates(st: Stage): Tensor[] {
  const spatial = realSpatialIds(st);
  const found = new Map<number, Tensor>();
  for (const r of readsIn(st)) {
    if (r.tensor.op.kind !== 'placeholder' || r.tensor.ndim < 2) continue;
    const reuse = spatial.some((id) => !r.vars.has(id));
    const tiledLast = spatial.some((id) => r.lastVars.has(id));
    if (reuse && tiledLast) found.set(r.tensor.id, r.tensor);
  }
  return [...found.values()];
}

/**
 * How `st` reads input `X`: the positions of its spatial axes that index it, and the points of its
 * reduction that one output point reads of it (the product of the reduce extents that index it).
 */
export function readFootprint(st: Stage, X: Tensor): { axes: number[]; reducePoints: number } {
  const vars = new Set<number>();
  for (const r of readsIn(st)) if (r.tensor === X) for (const v of r.vars) vars.add(v);
  const axes = st.axis.flatMap((a, d) => (vars.has(a.var.id) ? [d] : []));
  const reducePoints = st.reduceAxis.filter((r) => vars.has(r.var.id)).reduce((p, r) => p * r.extent, 1);
  return { axes, reducePoints };
}

/**
 * Per tensor read in `st`'s body, the positions of the spatial axes that index it. Per step of
 * the reduction, a register tile loads one element (a vector, along the vectorized last axis) of
 * each read per point of those axes and reuses it across the others: a matmul's A row across
 * the columns, a convolution's weight vector across the pixels.
 */
export function readAxes(st: Stage): number[][] {
  return readsIn(st).map((r) => st.axis.flatMap((a, d) => (r.vars.has(a.var.id) ? [d] : [])));
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, k) => d === b[k]);
}
