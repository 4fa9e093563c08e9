/**
 * @file Common subexpressions of a straight-line run of stores, bound once with `let`. A GEMM
 * micro-kernel's k-loop body repeats the same A broadcast and B vector loads in every statement
 * of its register tile; V8 value-numbers pure arithmetic but never merges two loads from linear
 * memory, so without this each of the mr × nr/4 updates would reload both operands.
 *
 *   C.local[0:4] = C.local[0:4] + x4(A[k]) * B[k*8 : +4]
 *   C.local[4:8] = C.local[4:8] + x4(A[k]) * B[k*8+4 : +4]
 * becomes
 *   let a = x4(A[k]), b0 = B[k*8 : +4]
 *   C.local[0:4] = C.local[0:4] + a * b0
 *   let b1 = B[k*8+4 : +4]
 *   C.local[4:8] = C.local[4:8] + a * b1
 *
 * Each binding is placed just before the first statement that uses it, so no more values are
 * live at once than the original order needs (a register tile already fills V8's 16 xmm registers).
 * Only loads of buffers the run does not store to are shared, and nothing leaves a guarded
 * select side or and/or operand.
 */

import { exprKey } from '../../ir/equal.js';
import type { Expr, Var } from '../../ir/expr.js';
import { freshId } from '../../ir/expr.js';
import { children, withChildren } from '../../ir/visit.js';
import type { Stmt, Store } from '../../tir/stmt.js';
import { letStmt, seq } from '../../tir/stmt.js';
import { mayTrap } from './scalar.js';

/** Whether `e` may be bound to a variable: it computes something and reads no stored buffer. */
function shareable(e: Expr, stored: ReadonlySet<number>): boolean {
  // a ramp stays in place: packed loads and stores need the ramp form of their index
  if (e.kind === 'int' || e.kind === 'float' || e.kind === 'var' || e.kind === 'ramp') return false;
  let reads = false;
  let ok = true;
  const walk = (n: Expr): void => {
    if (n.kind === 'var') reads = true;
    if (n.kind === 'load') {
      reads = true;
      if (stored.has(n.buffer.id)) ok = false;
    }
    // binders and non-TIR nodes are left alone
    if (n.kind === 'let' || n.kind === 'reduce' || n.kind === 'tensorRead') ok = false;
    if (ok) children(n).forEach(walk);
  };
  walk(e);
  return ok && reads;
}

/**
 * The children of `e` that are evaluated whenever `e` is. A select's sides and the right operand
 * of and/or that might trap are guarded (see lanes.ts), so nothing in them moves out.
 */
function evaluated(e: Expr): readonly Expr[] {
  if (e.kind === 'select') return mayTrap(e.t) || mayTrap(e.f) ? [e.cond] : [e.cond, e.t, e.f];
  if (e.kind === 'logic') return mayTrap(e.b) ? [e.a] : [e.a, e.b];
  return children(e);
}

interface Candidate {
  readonly v: Var;
  readonly value: Expr;
  /** the first statement of the run that uses it */
  readonly first: number;
  /** when it was first met, inner expressions before the ones containing them */
  readonly order: number;
}

/**
 * Counts, per statement, how often each expression is evaluated when those in `chosen` are
 * evaluated once: a chosen expression's insides are counted only at its first occurrence.
 */
function countUses(stores: readonly Store[], chosen: ReadonlySet<string>): Map<string, number> {
  const counts = new Map<string, number>();
  const expanded = new Set<string>();
  const walk = (e: Expr): void => {
    const key = exprKey(e);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (chosen.has(key)) {
      if (expanded.has(key)) return;
      expanded.add(key);
    }
    evaluated(e).forEach(walk);
  };
  for (const s of stores) [...s.indices, s.value].forEach(walk);
  return counts;
}

/** `stores` (one straight-line run) with repeated subexpressions bound once; null when none repeat. */
export function shareSubexpressions(stores: readonly Store[]): Stmt | null {
  const stored = new Set(stores.map((s) => s.buffer.id));
  const ok = new Map<string, boolean>();
  const isShareable = (e: Expr, key: string): boolean => {
    let hit = ok.get(key);
    if (hit === undefined) ok.set(key, (hit = shareable(e, stored)));
    return hit;
  };
  // Outermost repeats first: once `x4(A[i])` is bound, `A[i]` is evaluated only inside it, while
  // parts shared by different bound values (the index `i` of `A[i]` and `A[i + 1]`) still repeat.
  // Each round only adds, so this ends.
  const chosen = new Set<string>();
  for (;;) {
    const counts = countUses(stores, chosen);
    const before = chosen.size;
    const expanded = new Set<string>();
    const scan = (e: Expr): void => {
      const key = exprKey(e);
      if (chosen.has(key)) {
        if (expanded.has(key)) return;
        expanded.add(key);
      } else if ((counts.get(key) ?? 0) >= 2 && isShareable(e, key)) {
        // its parts are looked at again next round, counted as evaluated once
        chosen.add(key);
        expanded.add(key);
        return;
      }
      evaluated(e).forEach(scan);
    };
    for (const s of stores) [...s.indices, s.value].forEach(scan);
    if (chosen.size === before) break;
  }
  if (chosen.size === 0) return null;

  const found = new Map<string, Candidate>();
  let order = 0;
  // top-down, so an expression is replaced whole before its parts could be
  const bind = (e: Expr, at: number): Expr => {
    const key = exprKey(e);
    if (!chosen.has(key)) return rebuild(e, at);
    let cand = found.get(key);
    if (!cand) {
      // its parts are bound (and numbered) first, so their lets come outside its own
      const value = rebuild(e, at);
      cand = { v: { kind: 'var', name: 'cse', id: freshId(), dtype: e.dtype, lanes: e.lanes }, value, first: at, order: order++ };
      found.set(key, cand);
    }
    return cand.v;
  };
  const rebuild = (e: Expr, at: number): Expr => {
    const open = evaluated(e);
    return withChildren(e, children(e).map((k) => (open.includes(k) ? bind(k, at) : k)));
  };
  const rewritten = stores.map((s, at): Store => ({ ...s, indices: s.indices.map((i) => bind(i, at)), value: bind(s.value, at) }));

  let body: Stmt = seq();
  for (let at = rewritten.length - 1; at >= 0; at--) {
    body = seq(rewritten[at], body);
    const here = [...found.values()].filter((c) => c.first === at).sort((a, b) => b.order - a.order);
    for (const c of here) body = letStmt(c.v, c.value, body);
  }
  return body;
}
