/**
 * @file `tir.simplify`: runs the arith simplifier over every expression, knowing the ranges of the
 * enclosing loop variables, and folds the control flow that becomes trivial.
 *
 * An `if` whose condition is provably true (false) is replaced by its then (else) branch, and
 * otherwise each branch is simplified knowing whether the condition holds; an `assert` that
 * provably holds disappears; a loop of extent 1 becomes its body with the loop variable replaced
 * by the minimum; a loop of constant extent ≤ 0 becomes a no-op.
 *
 *   before:  for (io, 0, 4) { for (ii, 0, 8) { for (k, 0, 1) {
 *              if (io * 8 + ii < 32) { B[(io * 8 + ii) + k * 0] = A[floordiv(io * 8 + ii, 8)] } } } }
 *   after:   for (io, 0, 4) { for (ii, 0, 8) { B[io * 8 + ii] = A[io] } }
 */

import { Analyzer } from '../../arith/index.js';
import { isInt } from '../../ir/dtype.js';
import { not } from '../../ir/expr.js';
import type { PrimFunc, Stmt } from '../../tir/stmt.js';
import { NOOP, seq } from '../../tir/stmt.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';
import { bindLoop, substituteVarStmt } from './common.js';

class StmtSimplifier {
  constructor(private readonly an: Analyzer) {}

  stmt(s: Stmt): Stmt {
    const an = this.an;
    switch (s.kind) {
      case 'for': {
        const min = an.simplify(s.min);
        const extent = an.simplify(s.extent);
        if (extent.kind === 'int' && extent.value <= 0) return NOOP;
        if (extent.kind === 'int' && extent.value === 1) return this.stmt(substituteVarStmt(s.body, s.loopVar, min));
        const body = an.withScope(() => {
          bindLoop(an, s.loopVar, min, extent);
          return this.stmt(s.body);
        });
        return { ...s, min, extent, body };
      }
      case 'if': {
        const cond = an.simplify(s.cond);
        if (an.canProve(cond)) return this.stmt(s.then);
        if (an.canProve(not(cond))) return s.otherwise ? this.stmt(s.otherwise) : NOOP;
        // each branch simplifies under what its condition says of the variables (a parallel
        // loop's partitioned copies are picked by `if (v < hi)`: inside, v's divisions fold)
        const then = an.withScope(() => {
          an.assume(cond);
          return this.stmt(s.then);
        });
        const otherwise = s.otherwise
          ? an.withScope(() => {
              an.assume(not(cond));
              return this.stmt(s.otherwise!);
            })
          : null;
        return { ...s, cond, then, otherwise };
      }
      case 'store':
        return { ...s, indices: s.indices.map((i) => an.simplify(i)), value: an.simplify(s.value) };
      case 'let': {
        const value = an.simplify(s.value);
        const body = an.withScope(() => {
          if (value.lanes === 1 && isInt(value.dtype)) an.bind(s.v, an.interval(value));
          return this.stmt(s.body);
        });
        return { ...s, value, body };
      }
      case 'assert': {
        const cond = an.simplify(s.cond);
        return an.canProve(cond) ? this.stmt(s.body) : { ...s, cond, body: this.stmt(s.body) };
      }
      case 'allocate':
      case 'attr':
        return { ...s, body: this.stmt(s.body) };
      case 'seq':
        return seq(...s.body.map((b) => this.stmt(b)));
      case 'noop':
        return s;
    }
  }
}

/** `s` simplified; `an` carries the ranges of variables defined around `s`. */
export function simplifyStmt(s: Stmt, an: Analyzer = new Analyzer()): Stmt {
  return new StmtSimplifier(an).stmt(s);
}

export const simplify: Pass<PrimFunc> = definePass({
  name: 'tir.simplify',
  run: (f) => ({ ...f, body: simplifyStmt(f.body) }),
});
