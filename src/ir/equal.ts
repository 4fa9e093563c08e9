/**
 * @file Structural equality and hashing keys for expressions. Variables and buffers are equal
 * when they are the same declaration (same id); everything else compares by value.
 */

import type { Expr } from './expr.js';
import { children } from './visit.js';

function headKey(e: Expr): string {
  switch (e.kind) {
    case 'int':
    case 'float':
      return `${e.kind}:${e.dtype}:${Object.is(e.value, -0) ? '-0' : String(e.value)}`;
    case 'var':
      return `var:${e.id}`;
    case 'binary':
    case 'cmp':
    case 'logic':
      return `${e.kind}:${e.op}:${e.dtype}:${e.lanes}`;
    case 'call':
      return `call:${e.fn}:${e.dtype}:${e.lanes}`;
    case 'load':
      return `load:${e.buffer.id}:${e.lanes}`;
    case 'tensorRead':
      return `tread:${e.tensor.id}`;
    case 'ramp':
      return `ramp:${e.stride}:${e.lanes}`;
    case 'reduce':
      return `reduce:${e.op}:${e.axes.map((a) => a.var.id).join(',')}:${e.where ? 1 : 0}`;
    case 'let':
      return `let:${e.v.id}`;
    default:
      return `${e.kind}:${e.dtype}:${e.lanes}`;
  }
}

const keyCache = new WeakMap<Expr, string>();

/** A string that is equal for structurally equal expressions (memoized per node). */
export function exprKey(e: Expr): string {
  const hit = keyCache.get(e);
  if (hit !== undefined) return hit;
  const kids = children(e);
  const k = kids.length === 0 ? headKey(e) : `${headKey(e)}(${kids.map(exprKey).join(',')})`;
  keyCache.set(e, k);
  return k;
}

export function exprEqual(a: Expr, b: Expr): boolean {
  return a === b || exprKey(a) === exprKey(b);
}
