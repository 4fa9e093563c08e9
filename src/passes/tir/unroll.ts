/**
 * @file `tir.unroll`: copies out the iterations of loops marked `unrolled`.
 *
 * A loop with forKind `unrolled` and a constant extent becomes a sequence of copies of its body,
 * the loop variable replaced by `min + k` in copy k — if it has at most
 * `config.unrollMaxIterations` iterations and the copies stay within `config.unrollMaxStmts`
 * statements. Any other `unrolled` loop becomes serial. Inner loops unroll first, so the budget
 * counts what the copies really contain.
 *
 *   before:  unrolled (k, 0, 3) { C[k] = C[k] + A[k] }
 *   after:   C[0] = C[0] + A[0]
 *            C[1] = C[1] + A[1]
 *            C[2] = C[2] + A[2]
 */

import { add, intImm } from '../../ir/expr.js';
import type { Expr } from '../../ir/expr.js';
import type { For, PrimFunc, Stmt } from '../../tir/stmt.js';
import { NOOP, seq } from '../../tir/stmt.js';
import { mutateStmt } from '../../tir/visit.js';
import { definePass } from '../pass.js';
import type { Pass, PassConfig } from '../pass.js';
import { countStmts, substituteVarStmt } from './common.js';

function iterationValue(min: Expr, k: number): Expr {
  if (min.kind === 'int') return intImm(min.value + k, min.dtype);
  return k === 0 ? min : add(min, intImm(k, min.dtype));
}

function unrollLoop(s: For, config: PassConfig): Stmt {
  const extent = s.extent.kind === 'int' ? s.extent.value : undefined;
  if (extent === undefined) return { ...s, forKind: 'serial' };
  if (extent <= 0) return NOOP;
  const fits = extent <= config.unrollMaxIterations && extent * countStmts(s.body) <= config.unrollMaxStmts;
  if (!fits) return { ...s, forKind: 'serial' };
  const copies: Stmt[] = [];
  for (let k = 0; k < extent; k++) copies.push(substituteVarStmt(s.body, s.loopVar, iterationValue(s.min, k)));
  return seq(...copies);
}

export function unrollStmt(s: Stmt, config: PassConfig): Stmt {
  return mutateStmt(s, { post: (st) => (st.kind === 'for' && st.forKind === 'unrolled' ? unrollLoop(st, config) : undefined) });
}

export const unroll: Pass<PrimFunc> = definePass({
  name: 'tir.unroll',
  run: (f, ctx) => ({ ...f, body: unrollStmt(f.body, ctx.config) }),
});
