/**
 * @file Generic traversal of expressions: children, rebuild with new children, post-order
 * rewriting, and variable substitution. Every pass that walks expressions builds on these, so a
 * new node kind is taught to the whole compiler here.
 */

import type { Expr, Var } from './expr.js';

/** The direct sub-expressions of `e`, in a fixed order. */
export function children(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case 'int':
    case 'float':
    case 'var':
      return [];
    case 'binary':
    case 'cmp':
    case 'logic':
      return [e.a, e.b];
    case 'not':
      return [e.a];
    case 'select':
      return [e.cond, e.t, e.f];
    case 'cast':
      return [e.value];
    case 'call':
      return e.args;
    case 'load':
    case 'tensorRead':
      return e.indices;
    case 'ramp':
      return [e.base];
    case 'broadcast':
      return [e.value];
    case 'let':
      return [e.value, e.body];
    case 'reduce':
      return e.where ? [e.source, e.where] : [e.source];
  }
}

/** `e` with its children replaced by `kids` (same order as `children`); `e` itself if unchanged. */
export function withChildren(e: Expr, kids: readonly Expr[]): Expr {
  const old = children(e);
  if (old.length === kids.length && old.every((c, i) => c === kids[i])) return e;
  switch (e.kind) {
    case 'int':
    case 'float':
    case 'var':
      return e;
    case 'binary':
    case 'cmp':
    case 'logic': {
      const [a, b] = kids as [Expr, Expr];
      const lanes = e.kind === 'binary' ? Math.max(a.lanes, b.lanes) : Math.max(a.lanes, b.lanes);
      return { ...e, a, b, lanes };
    }
    case 'not':
      return { ...e, a: kids[0], lanes: kids[0].lanes };
    case 'select': {
      const [cond, t, f] = kids as [Expr, Expr, Expr];
      return { ...e, cond, t, f, lanes: Math.max(t.lanes, f.lanes) };
    }
    case 'cast':
      return { ...e, value: kids[0], lanes: kids[0].lanes };
    case 'call':
      return { ...e, args: kids, lanes: Math.max(...kids.map((k) => k.lanes)) };
    case 'load':
      return { ...e, indices: kids, lanes: Math.max(1, ...kids.map((k) => k.lanes)) };
    case 'tensorRead':
      return { ...e, indices: kids };
    case 'ramp':
      return { ...e, base: kids[0] };
    case 'broadcast':
      return { ...e, value: kids[0] };
    case 'let':
      return { ...e, value: kids[0], body: kids[1], lanes: kids[1].lanes };
    case 'reduce':
      return { ...e, source: kids[0], where: kids[1] ?? null };
  }
}

/**
 * Rewrites bottom-up: children first, then `f` on the rebuilt node. `f` returns a replacement or
 * undefined to keep the node.
 */
export function transform(e: Expr, f: (e: Expr) => Expr | undefined): Expr {
  const kids = children(e);
  const rebuilt = kids.length === 0 ? e : withChildren(e, kids.map((k) => transform(k, f)));
  return f(rebuilt) ?? rebuilt;
}

/** Calls `f` on every node, parents before children. Return false from `f` to skip a subtree. */
export function visit(e: Expr, f: (e: Expr) => boolean | void): void {
  if (f(e) === false) return;
  for (const k of children(e)) visit(k, f);
}

/** Replaces variables by id. */
export function substitute(e: Expr, map: ReadonlyMap<number, Expr>): Expr {
  if (map.size === 0) return e;
  return transform(e, (n) => (n.kind === 'var' ? map.get(n.id) : undefined));
}

export function substituteVar(e: Expr, v: Var, by: Expr): Expr {
  return substitute(e, new Map([[v.id, by]]));
}

/** True when `e` mentions any variable for which `pred` holds. */
export function usesVar(e: Expr, pred: (v: Var) => boolean): boolean {
  let found = false;
  visit(e, (n) => {
    if (found) return false;
    if (n.kind === 'var' && pred(n)) found = true;
  });
  return found;
}

/** All distinct variables in `e`, by id. */
export function freeVars(e: Expr): Map<number, Var> {
  const out = new Map<number, Var>();
  visit(e, (n) => {
    if (n.kind === 'var') out.set(n.id, n);
  });
  return out;
}
