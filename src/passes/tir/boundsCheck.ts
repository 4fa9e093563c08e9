/**
 * @file `tir.boundsCheck` (only with `config.boundsCheck`): every memory access is checked.
 *
 * Runs on flat buffers. Each statement that holds a load or store gets wrapped in `assert`s that
 * the flat index lies in `[0, span)`; a ramp index checks its first and last lane. A load that
 * sits in a branch of a `select` with a scalar condition is checked only when that branch is taken
 * (padding reads out of range on the other side). Loads under a vector-condition `select` are
 * checked on every lane: the vectorizer only builds those when every lane is in range. Messages name the buffer by its
 * generated identifier and print the index with generated identifiers only — never model text.
 *
 *   before:  B[i] = A[i + 1]
 *   after:   assert(0 <= i + 1 && i + 1 < 16, "A_3[i_7 + 1] is out of bounds [0, 16)")
 *            assert(0 <= i && i < 16, "B_4[i_7] is out of bounds [0, 16)")
 *            B[i] = A[i + 1]
 */

import type { Buffer, Expr } from '../../ir/expr.js';
import { add, and, ge, intImm, lt, not, or } from '../../ir/expr.js';
import { safeIdent } from '../../ir/names.js';
import { printExpr } from '../../ir/print.js';
import { children, substituteVar, transform } from '../../ir/visit.js';
import type { PrimFunc, Stmt } from '../../tir/stmt.js';
import { assertStmt } from '../../tir/stmt.js';
import { mutateStmt, stmtExprs } from '../../tir/visit.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';
import { TirPassError } from './common.js';

const PASS = 'tir.boundsCheck';

interface Access {
  readonly buffer: Buffer;
  readonly index: Expr;
  /** must hold for the access to execute (scalar selects on the way down), or null */
  readonly when: Expr | null;
}

function conj(a: Expr | null, b: Expr): Expr {
  return a === null ? b : and(a, b);
}

/** Loads in `e`, each with the scalar select conditions under which it executes. */
function loadsOf(func: string, e: Expr, when: Expr | null, out: Access[]): void {
  if (e.kind === 'select' && e.cond.lanes === 1) {
    loadsOf(func, e.cond, when, out);
    loadsOf(func, e.t, conj(when, e.cond), out);
    loadsOf(func, e.f, conj(when, not(e.cond)), out);
    return;
  }
  if (e.kind === 'let') {
    // The assert sits outside the expression, where the let variable is not defined.
    loadsOf(func, e.value, when, out);
    const inner: Access[] = [];
    loadsOf(func, e.body, when, inner);
    const bound = (x: Expr): Expr => substituteVar(x, e.v, e.value);
    for (const a of inner) out.push({ buffer: a.buffer, index: bound(a.index), when: a.when && bound(a.when) });
    return;
  }
  if (e.kind === 'load') out.push({ buffer: e.buffer, index: flatIndexOf(func, e.buffer, e.indices), when });
  for (const c of children(e)) loadsOf(func, c, when, out);
}

function flatIndexOf(func: string, b: Buffer, indices: readonly Expr[]): Expr {
  if (indices.length !== 1 || b.shape.length !== 1) {
    throw new TirPassError(PASS, func, `buffer ${b.name} is not flat; run tir.storageFlatten first`);
  }
  return indices[0];
}

/** The lowest and highest scalar index a (possibly vector) index touches. */
function laneBounds(func: string, ix: Expr): [Expr, Expr] {
  if (ix.lanes === 1) return [ix, ix];
  if (ix.kind === 'broadcast') return [ix.value, ix.value];
  if (ix.kind === 'ramp') {
    const last = add(ix.base, intImm((ix.lanes - 1) * ix.stride, ix.base.dtype));
    return ix.stride >= 0 ? [ix.base, last] : [last, ix.base];
  }
  throw new TirPassError(PASS, func, `cannot check the gather index ${printSafe(ix)}; only ramps and broadcasts are vector indices`);
}

/** Prints `e` with every variable and buffer named by its generated identifier. */
function printSafe(e: Expr): string {
  const renamed = transform(e, (n) => {
    if (n.kind === 'var') return { ...n, name: safeIdent(n.name, n.id) };
    if (n.kind === 'load') return { ...n, buffer: { ...n.buffer, name: safeIdent(n.buffer.name, n.buffer.id) } };
    return undefined;
  });
  return printExpr(renamed);
}

function check(func: string, a: Access, body: Stmt): Stmt {
  const span = a.buffer.shape[0];
  const [lo, hi] = laneBounds(func, a.index);
  const inBounds = and(ge(lo, 0), lt(hi, intImm(span, hi.dtype)));
  const cond = a.when === null ? inBounds : or(not(a.when), inBounds);
  const msg = `${safeIdent(a.buffer.name, a.buffer.id)}[${printSafe(a.index)}] is out of bounds [0, ${span})`;
  return assertStmt(cond, msg, body);
}

function accessesOf(func: string, s: Stmt): Access[] {
  const out: Access[] = [];
  for (const e of stmtExprs(s)) loadsOf(func, e, null, out);
  if (s.kind === 'store') out.push({ buffer: s.buffer, index: flatIndexOf(func, s.buffer, s.indices), when: null });
  return out;
}

/** `s` with its accesses checked; `func` names the function in errors. */
export function boundsCheckStmt(s: Stmt, func: string): Stmt {
  return mutateStmt(s, {
    post(st) {
      if (st.kind === 'assert') return undefined;
      const accesses = accessesOf(func, st);
      return accesses.length === 0 ? undefined : accesses.reduceRight<Stmt>((body, a) => check(func, a, body), st);
    },
  });
}

export const boundsCheck: Pass<PrimFunc> = definePass({
  name: PASS,
  run: (f, ctx) => (ctx.config.boundsCheck ? { ...f, body: boundsCheckStmt(f.body, f.name) } : f),
});
