/**
 * @file Generic traversal of statements: a mutator that rebuilds only what changed, and a
 * visitor over every statement and every expression inside it.
 */

import type { Expr } from '../ir/expr.js';
import { visit as visitExprTree } from '../ir/visit.js';
import type { Stmt } from './stmt.js';
import { seq } from './stmt.js';

export interface StmtMutator {
  /** Called before children; a returned statement replaces the node and is not visited further. */
  pre?(s: Stmt): Stmt | undefined;
  /** Called after children were rebuilt. */
  post?(s: Stmt): Stmt | undefined;
  /** Applied to every expression directly held by a statement. */
  expr?(e: Expr): Expr;
}

function same<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function mutateStmt(s: Stmt, m: StmtMutator): Stmt {
  const early = m.pre?.(s);
  if (early) return early;
  const ex = m.expr ? (e: Expr): Expr => m.expr!(e) : (e: Expr): Expr => e;
  let out: Stmt;
  switch (s.kind) {
    case 'for': {
      const min = ex(s.min);
      const extent = ex(s.extent);
      const body = mutateStmt(s.body, m);
      out = min === s.min && extent === s.extent && body === s.body ? s : { ...s, min, extent, body };
      break;
    }
    case 'store': {
      const indices = s.indices.map(ex);
      const value = ex(s.value);
      out = value === s.value && same(indices, s.indices) ? s : { ...s, indices, value };
      break;
    }
    case 'allocate':
    case 'attr': {
      const body = mutateStmt(s.body, m);
      out = body === s.body ? s : { ...s, body };
      break;
    }
    case 'if': {
      const cond = ex(s.cond);
      const then = mutateStmt(s.then, m);
      const otherwise = s.otherwise ? mutateStmt(s.otherwise, m) : null;
      out = cond === s.cond && then === s.then && otherwise === s.otherwise ? s : { ...s, cond, then, otherwise };
      break;
    }
    case 'seq': {
      const body = s.body.map((b) => mutateStmt(b, m));
      out = same(body, s.body) ? s : seq(...body);
      break;
    }
    case 'let': {
      const value = ex(s.value);
      const body = mutateStmt(s.body, m);
      out = value === s.value && body === s.body ? s : { ...s, value, body };
      break;
    }
    case 'assert': {
      const cond = ex(s.cond);
      const body = mutateStmt(s.body, m);
      out = cond === s.cond && body === s.body ? s : { ...s, cond, body };
      break;
    }
    case 'noop':
      out = s;
      break;
  }
  return m.post?.(out) ?? out;
}

/** The expressions a statement holds directly (not those of nested statements). */
export function stmtExprs(s: Stmt): readonly Expr[] {
  switch (s.kind) {
    case 'for':
      return [s.min, s.extent];
    case 'store':
      return [...s.indices, s.value];
    case 'if':
    case 'assert':
      return [s.cond];
    case 'let':
      return [s.value];
    default:
      return [];
  }
}

export function stmtChildren(s: Stmt): readonly Stmt[] {
  switch (s.kind) {
    case 'for':
    case 'allocate':
    case 'attr':
    case 'let':
    case 'assert':
      return [s.body];
    case 'if':
      return s.otherwise ? [s.then, s.otherwise] : [s.then];
    case 'seq':
      return s.body;
    default:
      return [];
  }
}

/** Visits statements parents-first; `onExpr` sees every expression node of every statement. */
export function visitStmt(s: Stmt, onStmt: (s: Stmt) => boolean | void, onExpr?: (e: Expr) => void): void {
  if (onStmt(s) === false) return;
  if (onExpr) for (const e of stmtExprs(s)) visitExprTree(e, (n) => void onExpr(n));
  for (const c of stmtChildren(s)) visitStmt(c, onStmt, onExpr);
}
