/**
 * @file `inPlaceAliases`: which outputs of a lowered kernel may be written over which of its
 * inputs. Decided on the final TIR, so that whatever the schedule did (tiling, vectorizing,
 * partitioning, caching, a reduction stage) is what gets checked.
 *
 * Output `w` may take the memory of input `r` when they have the same dtype and flat shape and
 *   - every load of `r` sits in the value of a store to `w` with exactly that store's index, and
 *     nowhere else (not in an index, a condition, a loop bound, or a store to another buffer);
 *   - every store to `w` reads `r` (an element of `w` is never written without reading the
 *     same element of `r` in the same statement, as a reduction's init would);
 *   - `w` is never loaded and `r` never stored.
 * Then element j of `r` is read only by the statement that writes element j of `w`, which reads
 * all its operands (every lane of a vector) before storing. Lowering writes each element of an
 * output once (a split's tail is guarded, loop partitions are disjoint), so no element of `r` is
 * read after it was overwritten.
 *
 *   out[ramp(i*4, 1, 4)] = sigmoid(x[ramp(i*4, 1, 4)]) * x[ramp(i*4, 1, 4)]   out may alias x
 *   out[i] = x[i] + x[i + 1]                                                   refused: reads ahead
 *   out[i*3 + j] = x[j*2 + i]                                                  refused: transposes
 *   acc[0] = 0; acc[0] = acc[0] + x[i]                                          refused: reduces
 */

import { exprEqual } from '../ir/equal.js';
import type { Buffer, Expr, Load } from '../ir/expr.js';
import { visit } from '../ir/visit.js';
import type { ParamAlias, PrimFunc, Stmt } from './stmt.js';
import { stmtChildren, stmtExprs } from './visit.js';

function loadsOf(e: Expr, b: Buffer): Load[] {
  const out: Load[] = [];
  visit(e, (n) => {
    if (n.kind === 'load' && n.buffer.id === b.id) out.push(n);
  });
  return out;
}

function sameLayout(a: Buffer, b: Buffer): boolean {
  return a.dtype === b.dtype && !a.strides && !b.strides && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

/** Whether every statement of `s` keeps the rules of the file comment for `w` over `r`. */
function readsOnlyWhereWritten(s: Stmt, w: Buffer, r: Buffer): boolean {
  if (s.kind === 'store' && s.buffer.id === r.id) return false;
  if (s.kind === 'store' && s.buffer.id === w.id) {
    const reads = loadsOf(s.value, r);
    const sameIndex = (l: Load): boolean => l.indices.length === s.indices.length && l.indices.every((e, i) => exprEqual(e, s.indices[i]));
    if (reads.length === 0 || !reads.every(sameIndex)) return false;
    if (s.indices.some((e) => loadsOf(e, r).length > 0)) return false;
  } else if (stmtExprs(s).some((e) => loadsOf(e, r).length > 0)) return false;
  if (stmtExprs(s).some((e) => loadsOf(e, w).length > 0)) return false;
  return stmtChildren(s).every((c) => readsOnlyWhereWritten(c, w, r));
}

function storedBuffers(s: Stmt, ids = new Set<number>()): Set<number> {
  if (s.kind === 'store') ids.add(s.buffer.id);
  for (const c of stmtChildren(s)) storedBuffers(c, ids);
  return ids;
}

/** The (output, input) parameter pairs of `f` that may share memory; see the file comment. */
export function inPlaceAliases(f: PrimFunc): ParamAlias[] {
  const stored = storedBuffers(f.body);
  const out: ParamAlias[] = [];
  f.params.forEach((w, written) => {
    if (!stored.has(w.id)) return;
    f.params.forEach((r, read) => {
      if (read !== written && sameLayout(w, r) && readsOnlyWhereWritten(f.body, w, r)) out.push({ written, read });
    });
  });
  return out;
}
