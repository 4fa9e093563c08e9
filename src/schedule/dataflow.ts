/**
 * @file The primitives that change what is computed, not just how: cacheRead, cacheWrite and
 * rfactor each add a stage and rewrite the definitions of existing ones. These builders are pure:
 * they return the new tensor and the rewritten definitions, and the Schedule installs them.
 *
 *   cacheWrite(C):  C[i, j] = sum(A[i, k] * B[k, j])   becomes
 *                   C.local[i, j] = sum(A[i, k] * B[k, j]);  C[i, j] = C.local[i, j]
 *   rfactor(C, k.outer) with k split by 4:
 *                   C.rf[ko, i] = sum(A[i, ko*4 + ki], ki);  C[i] = sum(C.rf[ko, i], ko)
 */

import type { Expr, IterVar, Reduce, ReduceOp, Var } from '../ir/expr.js';
import { and, intImm, iterVar, lt, select } from '../ir/expr.js';
import { substitute, transform, visit } from '../ir/visit.js';
import { prod, reduceIdentity, reduceMax, reduceMin, sum } from '../te/compute.js';
import { Tensor } from '../te/tensor.js';
import { canProve, type Interval } from '../arith/index.js';
import { leafExtents, rootOffsets, addConst } from './relation.js';
import type { StageDef } from './stage.js';
import type { Stage } from './stage.js';

const REDUCERS: Record<ReduceOp, (e: Expr, axes: readonly IterVar[], where: Expr | null) => Reduce> = {
  sum,
  prod,
  max: reduceMax,
  min: reduceMin,
};

/** The tensors `body` reads, in first-use order. */
export function readsOf(body: Expr | null): Tensor[] {
  const seen = new Map<number, Tensor>();
  if (body) {
    visit(body, (e) => {
      if (e.kind === 'tensorRead' && !seen.has(e.tensor.id)) seen.set(e.tensor.id, e.tensor);
    });
  }
  return [...seen.values()];
}

/** `body` with every read of `from` turned into the same read of `to`. */
export function replaceReads(body: Expr, from: Tensor, to: Tensor): Expr {
  return transform(body, (e) => (e.kind === 'tensorRead' && e.tensor === from ? { ...e, tensor: to } : undefined));
}

/** A compute named `name` that copies `src` element by element. */
export function copyTensor(src: Tensor, name: string, axisNames: readonly string[]): Tensor {
  const axis = src.shape.map((ext, d) => iterVar(axisNames[d] ?? `ax${d}`, ext));
  const body = src.at(...axis.map((a) => a.var));
  return new Tensor({ kind: 'compute', name, axis, reduceAxis: [], body, tag: 'injective' }, src.shape, src.dtype);
}

function fresh(iv: IterVar, name: string, extent = iv.extent, iterType = iv.iterType, min = iv.min): IterVar {
  return iterVar(name, extent, iterType, min);
}

/**
 * cacheWrite: a new tensor `name` takes over the definition of `stage` (with fresh axes); the
 * stage's own definition becomes a copy of it.
 */
export function cacheWriteDefs(stage: Stage, name: string): { cache: Tensor; copy: StageDef } {
  const body = stage.body;
  if (!body) throw new Error(`cacheWriteDefs: ${stage.name} is a placeholder`);
  const axis = stage.axis.map((a) => fresh(a, stage.nameOf(a)));
  const reduceAxis = stage.reduceAxis.map((a) => fresh(a, stage.nameOf(a)));
  const map = new Map<number, Expr>();
  stage.axis.forEach((a, d) => map.set(a.var.id, axis[d].var));
  stage.reduceAxis.forEach((a, d) => map.set(a.var.id, reduceAxis[d].var));
  const newBody = body.kind === 'reduce' ? rebuildReduce(body, map, reduceAxis) : substitute(body, map);
  const tag = stage.tensor.op.kind === 'compute' ? stage.tensor.op.tag : 'injective';
  const cache = new Tensor({ kind: 'compute', name, axis, reduceAxis, body: newBody, tag }, stage.tensor.shape, stage.tensor.dtype);
  const copy: StageDef = { axis: stage.axis, reduceAxis: [], body: cache.at(...stage.axis.map((a) => a.var)) };
  return { cache, copy };
}

function rebuildReduce(r: Reduce, map: ReadonlyMap<number, Expr>, axes: readonly IterVar[]): Reduce {
  return REDUCERS[r.op](substitute(r.source, map), axes, r.where ? substitute(r.where, map) : null);
}

/**
 * The reduce roots of `stage` as expressions of its reduce leaves (renamed through `leafVals`),
 * and the condition that excludes the points where a non-dividing split overshoots.
 */
function reduceRoots(stage: Stage, leafVals: ReadonlyMap<number, Expr>, leafAxes: readonly IterVar[]): { map: Map<number, Expr>; guard: Expr | null } {
  const extents = leafExtents(stage.relations, new Map(stage.reduceAxis.map((r) => [r.var.id, r.extent])));
  const offsets = rootOffsets(stage.relations, leafVals, extents);
  const ranges = new Map<number, Interval>(leafAxes.map((a) => [a.var.id, { min: 0, max: a.extent - 1 }]));
  const map = new Map<number, Expr>();
  let guard: Expr | null = null;
  for (const r of stage.reduceAxis) {
    const offset = offsets.get(r.var.id);
    if (!offset) throw new Error(`reduceRoots: ${r.var.name} is not derived from the leaves of ${stage.name}`);
    map.set(r.var.id, addConst(intImm(r.min), offset));
    const inRange = lt(offset, r.extent);
    if (!canProve(inRange, ranges)) guard = guard ? and(guard, inRange) : inRange;
  }
  return { map, guard };
}

/**
 * rfactor: the reduction of `stage` over its reduce leaves is split at leaf `axis`. The new tensor
 * `name` (shape [extent(axis), ...stage shape]) reduces over the other reduce leaves, one partial
 * result per value of `axis`; the stage then reduces those partials over `axis`.
 */
export function rfactorDefs(stage: Stage, axis: IterVar, name: string): { partial: Tensor; combine: StageDef } {
  const body = stage.body;
  if (!body || body.kind !== 'reduce') throw new Error(`rfactorDefs: ${stage.name} is not a reduction`);
  const axisName = stage.nameOf(axis);
  const factorAxis = fresh(axis, axisName, axis.extent, 'spatial', 0);
  const spatial = stage.axis.map((a) => fresh(a, stage.nameOf(a)));
  const rest = stage.leafAxes().filter((l) => l.iterType === 'reduce' && l !== axis);
  const restFresh = rest.map((l) => fresh(l, stage.nameOf(l), l.extent, 'reduce', 0));

  const leafVals = new Map<number, Expr>([[axis.var.id, factorAxis.var]]);
  rest.forEach((l, k) => leafVals.set(l.var.id, restFresh[k].var));
  const { map, guard } = reduceRoots(stage, leafVals, [factorAxis, ...restFresh]);
  stage.axis.forEach((a, d) => map.set(a.var.id, spatial[d].var));
  const where = body.where ? substitute(body.where, map) : null;
  const cond = where && guard ? and(where, guard) : (where ?? guard);
  const source = substitute(body.source, map);
  let partialBody: Expr = source;
  if (restFresh.length > 0) partialBody = REDUCERS[body.op](source, restFresh, cond);
  else if (cond) partialBody = select(cond, source, reduceIdentity(body.op, body.dtype));
  const partial = new Tensor(
    { kind: 'compute', name, axis: [factorAxis, ...spatial], reduceAxis: restFresh, body: partialBody, tag: restFresh.length > 0 ? 'reduce' : 'injective' },
    [factorAxis.extent, ...stage.tensor.shape],
    stage.tensor.dtype,
  );
  const k = fresh(axis, axisName, axis.extent, 'reduce', 0);
  const combineBody = REDUCERS[body.op](partial.at(k.var, ...stage.axis.map((a): Var => a.var)), [k], null);
  return { partial, combine: { axis: stage.axis, reduceAxis: [k], body: combineBody } };
}
