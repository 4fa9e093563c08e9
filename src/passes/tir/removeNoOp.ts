/**
 * @file `tir.removeNoOp`: deletes statements that have no effect.
 *
 * Dropped: loops with an empty body or a constant extent ≤ 0, `if`s with two empty branches (an
 * empty then-branch turns into the negated condition), empty attrs, lets whose variable is never
 * used, stores of a value into the very location it was loaded from, and allocations that are
 * never read (their stores are dead, since nothing outside the allocation can see them).
 *
 *   before:  allocate T: float32[4] local
 *            for (i, 0, 4) { T[i] = A[i]; B[i] = B[i] }
 *            for (j, 0, 0) { B[j] = 1.0f }
 *   after:   noop
 */

import { exprEqual } from '../../ir/equal.js';
import { not } from '../../ir/expr.js';
import type { PrimFunc, Stmt } from '../../tir/stmt.js';
import { NOOP, ifThenElse } from '../../tir/stmt.js';
import { mutateStmt } from '../../tir/visit.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';
import { anyExpr, bufferUse } from './common.js';

const isNoop = (s: Stmt | null): boolean => s === null || s.kind === 'noop';

/** `s` without its stores to buffer `id` (and attrs naming it), cleaned again. */
function dropWrites(s: Stmt, id: number): Stmt {
  const dropped = mutateStmt(s, {
    post(st) {
      if (st.kind === 'store' && st.buffer.id === id) return NOOP;
      if (st.kind === 'attr' && st.buffer?.id === id) return st.body;
      return undefined;
    },
  });
  return removeNoOpStmt(dropped);
}

/** One bottom-up rewrite; children are already cleaned when a node is looked at. */
function clean(s: Stmt): Stmt | undefined {
  switch (s.kind) {
    case 'for':
      if (isNoop(s.body) || (s.extent.kind === 'int' && s.extent.value <= 0)) return NOOP;
      return undefined;
    case 'if':
      if (isNoop(s.then) && isNoop(s.otherwise)) return NOOP;
      if (isNoop(s.then) && s.otherwise) return ifThenElse(not(s.cond), s.otherwise);
      if (s.otherwise?.kind === 'noop') return ifThenElse(s.cond, s.then);
      return undefined;
    case 'attr':
      return isNoop(s.body) ? NOOP : undefined;
    case 'let':
      if (isNoop(s.body)) return NOOP;
      return anyExpr(s.body, (e) => e.kind === 'var' && e.id === s.v.id) ? undefined : s.body;
    case 'store': {
      const v = s.value;
      const sameBuffer = v.kind === 'load' && v.buffer.id === s.buffer.id && v.indices.length === s.indices.length;
      return sameBuffer && v.indices.every((ix, k) => exprEqual(ix, s.indices[k])) ? NOOP : undefined;
    }
    case 'allocate': {
      if (isNoop(s.body)) return NOOP;
      if (bufferUse(s.body).reads.has(s.buffer.id)) return undefined;
      return dropWrites(s.body, s.buffer.id);
    }
    default:
      return undefined;
  }
}

export function removeNoOpStmt(s: Stmt): Stmt {
  return mutateStmt(s, { post: clean });
}

export const removeNoOp: Pass<PrimFunc> = definePass({
  name: 'tir.removeNoOp',
  run: (f) => ({ ...f, body: removeNoOpStmt(f.body) }),
});
