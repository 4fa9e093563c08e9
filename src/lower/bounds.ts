/**
 * @file Bound inference: for every computed stage, the region of its tensor it must produce and
 * the extent of each of its loops.
 *
 * Stages are visited consumers first. A stage at the root produces its whole domain. A stage
 * computed at loop `L` of another produces the union of what its readers read during one
 * iteration of `L` (see region.ts), so its region's minimum is an expression of the loops around
 * `L` and its extent is a constant. The loop extents then follow from the region through the
 * stage's splits and fuses, and every root axis gets its value: region min + an offset built
 * from the loops. Loops of extent 1 are not emitted: their variable is the constant 0.
 */

import type { Expr, IterVar, Scope, Var } from '../ir/expr.js';
import { add, intImm, sub, variable } from '../ir/expr.js';
import { substitute, visit } from '../ir/visit.js';
import { evalInterval, simplify, type Interval } from '../arith/index.js';
import type { Schedule, Stage } from '../schedule/index.js';
import { leafExtents, rootOffsets } from '../schedule/index.js';
import type { ThreadTag } from '../tir/stmt.js';
import { LowerError } from './error.js';
import type { SymRange } from './region.js';
import { pickBound, relax } from './region.js';

/**
 * One loop of a stage's nest: the leaf axis `iv`, run by variable `v` — the axis's own variable,
 * or a renamed copy where an enclosing loop already uses its name, so printed IR stays readable.
 * `elided`: extent 1 and not thread-bound, so no loop is emitted and `v` is the constant 0.
 */
export interface Loop {
  readonly iv: IterVar;
  readonly v: Var;
  readonly extent: number;
  /** the GPU index the loop is bound to, if any */
  readonly tag: ThreadTag | null;
  readonly elided: boolean;
}

export interface RegionDim {
  readonly min: Expr;
  readonly extent: number;
}

export interface StageBound {
  /** per spatial root axis, the produced region */
  readonly region: readonly RegionDim[];
  /** loops enclosing the stage's nest (from its attach point), outermost first */
  readonly outer: readonly Loop[];
  /** the stage's own loops, in leaf order */
  readonly loops: readonly Loop[];
  /** every axis (root, derived, leaf) by var id → its extent in this nest */
  readonly extents: ReadonlyMap<number, number>;
  /** every axis by var id → its value as an expression of the loops; for a root axis, the
   *  offset from its region min (spatial) or domain min (reduce) */
  readonly offsets: ReadonlyMap<number, Expr>;
  /** root axis var id → its value */
  readonly values: ReadonlyMap<number, Expr>;
}

/** Numeric ranges of the given loops, for the simplifier and interval analysis. */
export function loopRanges(loops: readonly Loop[]): Map<number, Interval> {
  return new Map(loops.map((l) => [l.v.id, { min: 0, max: Math.max(l.extent, 1) - 1 }]));
}

export function inferBounds(s: Schedule, bodies: ReadonlyMap<Stage, Expr>, fn: string): Map<Stage, StageBound> {
  const bounds = new Map<Stage, StageBound>();
  const computed = s.stages.filter((st) => st.body && st.attach.kind !== 'inline');
  for (let k = computed.length - 1; k >= 0; k--) {
    const st = computed[k];
    const outer = outerLoops(st, bounds, fn);
    const region = st.attach.kind === 'at' ? neededRegion(st, computed, bodies, bounds, outer, fn) : fullRegion(st);
    bounds.set(st, boundOf(st, region, outer));
  }
  return bounds;
}

function fullRegion(st: Stage): RegionDim[] {
  return st.axis.map((a) => ({ min: intImm(a.min), extent: a.extent }));
}

function outerLoops(st: Stage, bounds: ReadonlyMap<Stage, StageBound>, fn: string): Loop[] {
  const at = st.attach;
  if (at.kind !== 'at') return [];
  const host = bounds.get(at.stage);
  if (!host) throw new LowerError(`lower(${fn}): ${st.name} is computed at ${at.stage.name}, which is inlined`);
  const upto = host.loops.findIndex((l) => l.iv === at.axis);
  if (upto < 0) throw new LowerError(`lower(${fn}): ${st.name} is computed at ${at.stage.name}.${at.stage.nameOf(at.axis)}, which is not a loop of it`);
  return [...host.outer, ...host.loops.slice(0, upto + 1)];
}

function boundOf(st: Stage, region: readonly RegionDim[], outer: readonly Loop[]): StageBound {
  const roots = new Map<number, number>();
  st.axis.forEach((a, d) => roots.set(a.var.id, region[d].extent));
  st.reduceAxis.forEach((r) => roots.set(r.var.id, r.extent));
  const extents = leafExtents(st.relations, roots);
  const taken = new Set(outer.map((l) => l.v.name));
  const loops = st.leafAxes().map((iv): Loop => {
    const extent = extents.get(iv.var.id)!;
    const tag = st.annotation(iv)?.tag ?? null;
    return { iv, v: loopVar(iv.var, taken), extent, tag, elided: extent === 1 && tag === null };
  });
  const leafVals = new Map(loops.map((l): [number, Expr] => [l.iv.var.id, l.elided ? intImm(0) : l.v]));
  const offsets = rootOffsets(st.relations, leafVals, extents);
  const values = new Map<number, Expr>();
  const ranges = loopRanges([...outer, ...loops]);
  const setRoot = (iv: IterVar, min: Expr): void => {
    const off = offsets.get(iv.var.id)!;
    values.set(iv.var.id, simplify(min.kind === 'int' && min.value === 0 ? off : add(min, off), ranges));
  };
  st.axis.forEach((a, d) => setRoot(a, region[d].min));
  st.reduceAxis.forEach((r) => setRoot(r, intImm(r.min)));
  return { region, outer, loops, extents, offsets, values };
}

/** `v`, or a fresh variable named `v_1`, `v_2`, … when an enclosing loop has `v`'s name. */
function loopVar(v: Var, taken: Set<string>): Var {
  let name = v.name;
  for (let k = 1; taken.has(name); k++) name = `${v.name}_${k}`;
  taken.add(name);
  return name === v.name ? v : variable(name, v.dtype);
}

/**
 * Whether storage in `scope` is one buffer for all iterations of a loop bound to `tag`: shared
 * memory is one per block (so threads share it), global memory one for the whole grid. Such loops
 * are not fixed when inferring a region: it must cover every thread's reads.
 */
function sharedAcross(scope: Scope, tag: ThreadTag | null): boolean {
  if (tag === null || scope === 'local') return false;
  return scope === 'global' || tag.startsWith('threadIdx');
}

/**
 * The union of what every reader reads of `st` while the loops in `outer` are fixed (except the
 * GPU loops its storage is shared across).
 */
function neededRegion(
  st: Stage,
  computed: readonly Stage[],
  bodies: ReadonlyMap<Stage, Expr>,
  bounds: ReadonlyMap<Stage, StageBound>,
  outer: readonly Loop[],
  fn: string,
): RegionDim[] {
  const scope = st.scope ?? 'global';
  const fixed = loopRanges(outer.filter((l) => !sharedAcross(scope, l.tag)));
  const acc: (SymRange | null)[] = st.axis.map(() => null);
  for (const reader of computed) {
    const body = bodies.get(reader);
    const rb = bounds.get(reader);
    if (!body || !rb || !readsTensor(body, st)) continue;
    requireInside(st, reader, rb, fn);
    const all = loopRanges([...rb.outer, ...rb.loops]);
    const relaxed = new Map([...all].filter(([id]) => !fixed.has(id)));
    visit(body, (e) => {
      if (e.kind !== 'tensorRead' || e.tensor !== st.tensor) return;
      e.indices.forEach((idx, d) => {
        const r = relax(substitute(idx, rb.values), relaxed, all);
        const prev = acc[d];
        acc[d] = prev ? { min: pickBound(prev.min, r.min, 'min', all), max: pickBound(prev.max, r.max, 'max', all) } : r;
      });
    });
  }
  return st.axis.map((a, d) => regionDim(st, a, acc[d] ?? null, fixed, fn));
}

function regionDim(st: Stage, a: IterVar, r: SymRange | null, fixed: ReadonlyMap<number, Interval>, fn: string): RegionDim {
  if (!r) return { min: intImm(a.min), extent: a.extent };
  const min = simplify(r.min, fixed);
  const ext = simplify(add(sub(r.max, min), 1), fixed);
  const extent = ext.kind === 'int' ? ext.value : evalInterval(ext, fixed).max;
  if (!Number.isFinite(extent)) {
    throw new LowerError(`lower(${fn}): cannot bound the region of ${st.name} along ${st.nameOf(a)}`);
  }
  // Needing the whole domain or more: produce exactly the domain (guards drop the rest).
  if (extent >= a.extent) return { min: intImm(a.min), extent: a.extent };
  return { min, extent: Math.max(extent, 0) };
}

function readsTensor(body: Expr, st: Stage): boolean {
  let found = false;
  visit(body, (e) => {
    if (found) return false;
    if (e.kind === 'tensorRead' && e.tensor === st.tensor) found = true;
  });
  return found;
}

/** A reader must run inside the loop `st` is computed at, or `st`'s values are not there yet. */
function requireInside(st: Stage, reader: Stage, rb: StageBound, fn: string): void {
  if (st.attach.kind !== 'at') return;
  const { stage, axis } = st.attach;
  if (reader === stage || rb.outer.some((l) => l.iv === axis)) return;
  throw new LowerError(
    `lower(${fn}): ${st.name} is computed at ${stage.name}.${stage.nameOf(axis)}, but its reader ${reader.name} runs outside that loop; compute ${reader.name} inside it too, or ${st.name} at root`,
  );
}
