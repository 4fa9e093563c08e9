/**
 * @file The loop nest of one stage, with the stages computed inside it placed in their loops.
 *
 * Leaf loops appear in leaf order. A reduction initializes its element just before its outermost
 * reduce loop, inside the spatial loops above it, repeating (with fresh `.init` variables) the
 * spatial loops that come after it; then it updates `C[..] = C[..] op source`:
 *
 *   for (i.outer, 0, 4) {
 *     for (i.inner.init, 0, 8) { C[i.outer*8 + i.inner.init] = 0.0f }
 *     for (k, 0, 16) { for (i.inner, 0, 8) { C[i.outer*8 + i.inner] = C[..] + A[..] } }
 *
 * A store is guarded only by conditions that are not provably true: splits that do not divide,
 * regions that overhang the domain, and the reduction's `where`; each guard sits just inside the
 * innermost loop it depends on. A stage computed at loop L is
 * emitted at the top of L's body, inside an `allocate` of its buffer that also covers the rest of
 * the body, where its readers are.
 */

import type { Expr, IterVar, ReduceOp } from '../ir/expr.js';
import { add, and, ge, intImm, load, lt, max, min, mul, sub, variable } from '../ir/expr.js';
import { exprKey } from '../ir/equal.js';
import { freeVars, substitute, transform } from '../ir/visit.js';
import { canProve, simplify, type Interval } from '../arith/index.js';
import type { Stage } from '../schedule/index.js';
import { reduceIdentity } from '../te/compute.js';
import type { ForKind, Stmt, ThreadTag } from '../tir/stmt.js';
import { allocate, attr, forLoop, ifThenElse, seq, store } from '../tir/stmt.js';
import { mutateStmt } from '../tir/visit.js';
import type { Loop, StageBound } from './bounds.js';
import { loopRanges } from './bounds.js';
import { LowerError } from './error.js';
import type { Storage } from './storage.js';

export interface NestContext {
  readonly fn: string;
  readonly bodies: ReadonlyMap<Stage, Expr>;
  readonly bounds: ReadonlyMap<Stage, StageBound>;
  /** by tensor id */
  readonly storage: ReadonlyMap<number, Storage>;
  /** the stages computed at each loop, by loop var id, producers first */
  readonly attached: ReadonlyMap<number, readonly Stage[]>;
}

const COMBINE: Record<ReduceOp, (a: Expr, b: Expr) => Expr> = { sum: add, prod: mul, max, min };

/** The statement that computes `st`: its loops with everything computed inside them. */
export function stageNest(st: Stage, ctx: NestContext): Stmt {
  const b = ctx.bounds.get(st)!;
  const out = ctx.storage.get(st.tensor.id)!;
  const ranges = loopRanges([...b.outer, ...b.loops]);
  const index = st.axis.map((a) => simplify(out.origin ? b.offsets.get(a.var.id)! : b.values.get(a.var.id)!, ranges));
  const value = (e: Expr): Expr => lowerReads(substitute(e, b.values), ctx, ranges);
  const body = ctx.bodies.get(st)!;
  const spatial = guards(st, b, 'spatial', ranges);
  if (body.kind !== 'reduce') return wrap(st, b.loops, storeTo(out, index, value(body)), spatial, ctx);

  // Spatial guards on the loops above the first reduce loop cover init and update together.
  const first = b.loops.findIndex((l) => l.iv.iterType === 'reduce');
  const below = new Set(b.loops.slice(first).map((l) => l.v.id));
  const isDeep = (c: Expr): boolean => [...freeVars(c).keys()].some((id) => below.has(id));
  const conds = [...spatial.filter(isDeep), ...guards(st, b, 'reduce', ranges)];
  if (body.where) conds.push(value(body.where));
  const acc = load(out.buffer, index);
  const update = wrap(st, b.loops.slice(first), storeTo(out, index, COMBINE[body.op](acc, value(body.source))), conds, ctx);
  const init = initNest(st, b.loops.slice(first + 1), storeTo(out, index, reduceIdentity(body.op, body.dtype)), spatial.filter(isDeep));
  return wrap(st, b.loops.slice(0, first), seq(init, update), spatial.filter((c) => !isDeep(c)), ctx);
}

function storeTo(s: Storage, index: readonly Expr[], value: Expr): Stmt {
  return store(s.buffer, index, value);
}

function guarded(conds: readonly Expr[], body: Stmt): Stmt {
  if (conds.length === 0) return body;
  return ifThenElse(conds.reduce((a, c) => and(a, c)), body);
}

/** Tensor reads become loads of the producer's buffer, relative to its origin. */
function lowerReads(e: Expr, ctx: NestContext, ranges: ReadonlyMap<number, Interval>): Expr {
  return transform(e, (n) => {
    if (n.kind !== 'tensorRead') return undefined;
    const src = ctx.storage.get(n.tensor.id);
    if (!src) throw new LowerError(`lower(${ctx.fn}): ${n.tensor.name} has no storage`);
    const idx = n.indices.map((i, d) => simplify(src.origin ? sub(i, src.origin[d]) : i, ranges));
    return load(src.buffer, idx);
  });
}

/**
 * Conditions (not provably true) that drop the points a nest visits but must not compute: where a
 * split that does not divide its axis overshoots (`i.outer*8 + i.inner < 30`), and, for a stage
 * computed inside another, where its region overhangs its domain. `kind` picks the guards on
 * spatial axes (init and update need them) or those on reduce axes (only the update does).
 */
function guards(st: Stage, b: StageBound, kind: IterVar['iterType'], ranges: ReadonlyMap<number, Interval>): Expr[] {
  const out = new Map<string, Expr>();
  const need = (c: Expr): void => {
    if (!canProve(c, ranges)) out.set(exprKey(c), c);
  };
  const ext = (iv: IterVar): number => b.extents.get(iv.var.id)!;
  for (const r of st.relations) {
    if (r.kind !== 'split' || r.parent.iterType !== kind) continue;
    if (ext(r.outer) * ext(r.inner) > ext(r.parent)) need(lt(simplify(b.offsets.get(r.parent.var.id)!, ranges), ext(r.parent)));
  }
  if (kind === 'reduce' || st.attach.kind !== 'at') return [...out.values()];
  for (const a of st.axis) {
    const value = b.values.get(a.var.id)!;
    need(ge(value, a.min));
    need(lt(value, a.min + a.extent));
  }
  return [...out.values()];
}

function kindOf(st: Stage, iv: IterVar): [ForKind, ThreadTag | null] {
  const note = st.annotation(iv);
  switch (note?.kind) {
    case undefined:
      return ['serial', null];
    case 'parallel':
      return ['parallel', null];
    case 'vectorize':
      return ['vectorized', null];
    case 'unroll':
      return ['unrolled', null];
    case 'bind':
      return ['thread', note.tag];
  }
}

/**
 * Wraps `body` in `loops` (innermost last), placing attached stages at the top of each loop. Each
 * guard goes just inside the innermost loop it depends on, so a condition on outer loops skips
 * whole inner loops instead of being tested in every iteration.
 */
function wrap(st: Stage, loops: readonly Loop[], body: Stmt, conds: readonly Expr[], ctx: NestContext): Stmt {
  const level = guardLevels(loops, conds);
  let inner = body;
  for (let k = loops.length - 1; k >= 0; k--) {
    const l = loops[k];
    inner = placeAttached(ctx.attached.get(l.iv.var.id) ?? [], guarded(level(k), inner), ctx);
    if (!l.elided) {
      const [kind, tag] = kindOf(st, l.iv);
      inner = forLoop(l.v, intImm(0), intImm(l.extent), inner, kind, tag);
    }
  }
  return guarded(level(-1), inner);
}

/** `level(k)`: the guards whose innermost loop variable is that of `loops[k]` (-1: none of them). */
function guardLevels(loops: readonly Loop[], conds: readonly Expr[]): (k: number) => Expr[] {
  const depth = conds.map((c) => {
    const vars = freeVars(c);
    return loops.reduce((d, l, k) => (vars.has(l.v.id) ? k : d), -1);
  });
  return (k) => conds.filter((_, i) => depth[i] === k);
}

/** The init copy of the spatial loops below the first reduce loop, with fresh variables. */
function initNest(st: Stage, below: readonly Loop[], initStore: Stmt, conds: readonly Expr[]): Stmt {
  const loops = below.filter((l) => l.iv.iterType === 'spatial' && !l.elided);
  const fresh = loops.map((l): Loop => ({ ...l, v: variable(`${l.v.name}.init`) }));
  const map = new Map(loops.map((l, k): [number, Expr] => [l.v.id, fresh[k].v]));
  const rename = (e: Expr): Expr => substitute(e, map);
  const level = guardLevels(fresh, conds.map(rename));
  let inner = mutateStmt(initStore, { expr: rename });
  for (let k = fresh.length - 1; k >= 0; k--) {
    const [kind, tag] = kindOf(st, fresh[k].iv);
    inner = forLoop(fresh[k].v, intImm(0), intImm(fresh[k].extent), guarded(level(k), inner), kind, tag);
  }
  return guarded(level(-1), inner);
}

/** `stages` computed before `body`, each inside its allocation, which also covers `body`. */
export function placeAttached(stages: readonly Stage[], body: Stmt, ctx: NestContext): Stmt {
  if (stages.length === 0) return body;
  let out = seq(...stages.map((p) => producer(p, ctx)), body);
  for (let k = stages.length - 1; k >= 0; k--) {
    const s = ctx.storage.get(stages[k].tensor.id)!;
    if (s.origin) out = allocate(s.buffer, out);
  }
  return out;
}

/**
 * A stage's nest, inside a `double_buffer` attr when requested. Outside any loop the attr has
 * nothing to rotate across and tir.injectDoubleBuffer drops it, so a hint that cannot apply is
 * not an error.
 */
function producer(p: Stage, ctx: NestContext): Stmt {
  const nest = stageNest(p, ctx);
  return p.doubleBuffered ? attr('double_buffer', ctx.storage.get(p.tensor.id)!.buffer, [], nest) : nest;
}
