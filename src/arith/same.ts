/**
 * @file Structural equality that stops at the first difference and at shared subtrees. The
 * simplifier compares each rebuilt node with its input; `exprEqual` would build (and keep) a key
 * string for every new node, which on long sums costs more than the rewrite itself.
 */

import type { Expr } from '../ir/expr.js';
import { exprEqual } from '../ir/equal.js';

export function sameExpr(a: Expr, b: Expr): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind || a.dtype !== b.dtype || a.lanes !== b.lanes) return false;
  switch (a.kind) {
    case 'int':
    case 'float':
      return b.kind === a.kind && Object.is(a.value, b.value);
    case 'var':
      return b.kind === 'var' && a.id === b.id;
    case 'binary':
    case 'cmp':
    case 'logic':
      return (b.kind === 'binary' || b.kind === 'cmp' || b.kind === 'logic') && a.op === b.op && sameExpr(a.a, b.a) && sameExpr(a.b, b.b);
    case 'not':
      return b.kind === 'not' && sameExpr(a.a, b.a);
    case 'select':
      return b.kind === 'select' && sameExpr(a.cond, b.cond) && sameExpr(a.t, b.t) && sameExpr(a.f, b.f);
    default:
      // Rarer kinds carry more than children (buffers, axes): compare by key.
      return exprEqual(a, b);
  }
}
