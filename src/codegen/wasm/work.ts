/**
 * @file How much work a loop does, estimated from its TIR: the wasm operations its stores
 * execute, each store counting its value's arithmetic and loads (a transcendental call as
 * CALL_OPS) once per v128 it writes. Trip counts are upper bounds from interval analysis of the
 * enclosing loops' ranges; a loop whose bound is unknown counts as unbounded work.
 *
 *   for (i, 0, 8) for (j, 0, 16) C[i·16 + j : +4] = A[…] · 0.5 + 1     8 · 16 · 3 = 384
 *
 * A parallel loop passes the work of one iteration to the thread pool, which runs a loop too
 * small to repay handing it to other threads on the calling thread alone (parallel.ts).
 */

import type { Interval, Ranges } from '../../arith/index.js';
import { evalInterval } from '../../arith/index.js';
import type { Expr } from '../../ir/expr.js';
import { children } from '../../ir/visit.js';
import type { For, Stmt } from '../../tir/stmt.js';

/** Operations a math call stands for (exp, tanh, … are short polynomial kernels). */
const CALL_OPS = 16;

function exprOps(e: Expr): number {
  switch (e.kind) {
    case 'int':
    case 'float':
    case 'var':
      return 0;
    case 'load':
      return 1;
    case 'ramp':
    case 'broadcast':
      return exprOps(children(e)[0]);
    case 'call':
      return CALL_OPS + e.args.reduce((n, a) => n + exprOps(a), 0);
    default:
      return 1 + children(e).reduce((n, c) => n + exprOps(c), 0);
  }
}

/** Upper bound of the operations `s` executes, given bounds of the variables it reads. */
export function workOf(s: Stmt, ranges: Ranges = new Map()): number {
  switch (s.kind) {
    case 'store':
      return Math.ceil(Math.max(s.value.lanes, s.indices[0]?.lanes ?? 1) / 4) * (1 + exprOps(s.value));
    case 'for': {
      const min = evalInterval(s.min, ranges);
      const extent = evalInterval(s.extent, ranges).max;
      if (extent <= 0) return 0;
      if (!Number.isFinite(extent) || !Number.isFinite(min.min)) return Infinity;
      const range: Interval = { min: min.min, max: min.max + extent - 1 };
      return extent * workOf(s.body, new Map(ranges).set(s.loopVar.id, range));
    }
    case 'if':
      return Math.max(workOf(s.then, ranges), s.otherwise ? workOf(s.otherwise, ranges) : 0);
    case 'seq':
      return s.body.reduce((n, b) => n + workOf(b, ranges), 0);
    case 'let':
      return workOf(s.body, s.value.lanes === 1 ? new Map(ranges).set(s.v.id, evalInterval(s.value, ranges)) : ranges);
    case 'allocate':
    case 'assert':
    case 'attr':
      return workOf(s.body, ranges);
    case 'noop':
      return 0;
  }
}

/** Upper bound of the operations one iteration of `s` executes, at most 2^31 − 1 (an i32). */
export function iterationWork(s: For): number {
  const min = evalInterval(s.min);
  const extent = evalInterval(s.extent).max;
  const range: Interval = Number.isFinite(min.min) && Number.isFinite(extent) ? { min: min.min, max: min.max + extent - 1 } : { min: -Infinity, max: Infinity };
  return Math.min(0x7fffffff, Math.ceil(workOf(s.body, new Map([[s.loopVar.id, range]]))));
}
