/**
 * @file Lane widening for `tir.vectorize`: rewrites the body of one vectorized loop so that each
 * statement does the work of all `lanes` iterations at once.
 *
 * Values are kept in the cheapest form that is still exact: a scalar when the value is the same
 * on every lane (it does not depend on the loop variable), a `ramp` for index arithmetic that is
 * affine in it, and a general vector only where needed, built with `broadcast`s of scalars. Every
 * method returns `undefined` when its input cannot be widened; the caller then keeps the loop
 * serial, so no partial rewrite ever escapes.
 */

import type { Analyzer } from '../../arith/index.js';
import { isInt } from '../../ir/dtype.js';
import type { Binary, Expr, IntImm, Load, Var } from '../../ir/expr.js';
import { add, and, broadcast, freshId, letExpr, load, mul, not, ramp, select, sub } from '../../ir/expr.js';
import { children, visit, withChildren } from '../../ir/visit.js';
import type { IfThenElse, Stmt, Store } from '../../tir/stmt.js';
import { ifThenElse, letStmt, seq, store } from '../../tir/stmt.js';

const isZero = (e: Expr): boolean => e.kind === 'int' && e.value === 0;
const plus = (a: Expr, b: Expr): Expr => (isZero(b) ? a : isZero(a) ? b : add(a, b));
const minus = (a: Expr, b: Expr): Expr => (isZero(b) ? a : sub(a, b));
const times = (a: Expr, c: IntImm): Expr => (c.value === 1 ? a : mul(a, c));

function allDefined<T>(xs: readonly (T | undefined)[]): xs is T[] {
  return xs.every((x) => x !== undefined);
}

export class LaneWidener {
  /** let-bound variables whose value became a vector, by the id of the scalar original */
  private readonly vectorLets = new Map<number, Var>();

  /**
   * `v` runs over [min, min + lanes); `an` knows the ranges of the enclosing loops (for proving
   * accesses in bounds); `allowMasks` permits turning guards into selects on stores.
   */
  constructor(
    private readonly v: Var,
    private readonly min: Expr,
    private readonly lanes: number,
    private readonly an: Analyzer,
    private readonly allowMasks: boolean,
  ) {}

  /** `e` as a full vector. */
  private vec(e: Expr): Expr {
    return e.lanes === this.lanes ? e : broadcast(e, this.lanes);
  }

  /** A ramp, or its scalar base when the stride is 0 (the same value on every lane). */
  private rampOf(base: Expr, stride: number): Expr {
    return stride === 0 ? base : ramp(base, stride, this.lanes);
  }

  expr(e: Expr): Expr | undefined {
    switch (e.kind) {
      case 'var':
        if (e.id === this.v.id) return this.rampOf(this.min, 1);
        return this.vectorLets.get(e.id) ?? e;
      case 'int':
      case 'float':
        return e;
      case 'binary':
        return this.binary(e);
      case 'load':
        return this.load(e);
      case 'select':
        return this.select(e.cond, e.t, e.f);
      case 'let': {
        const value = this.expr(e.value);
        if (!value) return undefined;
        const v = this.bindLet(e.v, value);
        const body = this.expr(e.body);
        return body && letExpr(v, value, body);
      }
      case 'cmp':
      case 'logic':
      case 'not':
      case 'cast':
      case 'call':
        return this.elementwise(e);
      case 'ramp':
      case 'broadcast':
      case 'tensorRead':
      case 'reduce':
        return undefined;
    }
  }

  /** Rebuilds `e` from widened children, broadcasting scalars when any child is a vector. */
  private elementwise(e: Expr): Expr | undefined {
    const kids = children(e).map((k) => this.expr(k));
    if (!allDefined(kids)) return undefined;
    if (kids.every((k) => k.lanes === 1)) return withChildren(e, kids);
    return withChildren(e, kids.map((k) => this.vec(k)));
  }

  private binary(e: Binary): Expr | undefined {
    const a = this.expr(e.a);
    const b = this.expr(e.b);
    if (!a || !b) return undefined;
    if (a.lanes === 1 && b.lanes === 1) return withChildren(e, [a, b]);
    return this.rampArith(e.op, a, b) ?? withChildren(e, [this.vec(a), this.vec(b)]);
  }

  /** Index arithmetic that stays affine: ramp ± scalar, ramp ± ramp, ramp × constant. */
  private rampArith(op: Binary['op'], a: Expr, b: Expr): Expr | undefined {
    if (!isInt(a.dtype)) return undefined;
    const ra = a.kind === 'ramp' ? a : undefined;
    const rb = b.kind === 'ramp' ? b : undefined;
    const sa = a.lanes === 1 ? a : undefined;
    const sb = b.lanes === 1 ? b : undefined;
    switch (op) {
      case 'add':
        if (ra && sb) return this.rampOf(plus(ra.base, sb), ra.stride);
        if (sa && rb) return this.rampOf(plus(sa, rb.base), rb.stride);
        if (ra && rb) return this.rampOf(plus(ra.base, rb.base), ra.stride + rb.stride);
        return undefined;
      case 'sub':
        if (ra && sb) return this.rampOf(minus(ra.base, sb), ra.stride);
        if (sa && rb) return this.rampOf(minus(sa, rb.base), -rb.stride);
        if (ra && rb) return this.rampOf(minus(ra.base, rb.base), ra.stride - rb.stride);
        return undefined;
      case 'mul':
        if (ra && sb?.kind === 'int') return this.rampOf(times(ra.base, sb), ra.stride * sb.value);
        if (sa?.kind === 'int' && rb) return this.rampOf(times(rb.base, sa), rb.stride * sa.value);
        return undefined;
      default:
        return undefined;
    }
  }

  /** A uniform index gives a scalar load; a ramp index a vector load; anything else is a gather. */
  private load(e: Load): Expr | undefined {
    const indices = e.indices.map((i) => this.expr(i));
    if (!allDefined(indices)) return undefined;
    if (indices.every((i) => i.lanes === 1)) return load(e.buffer, indices);
    return indices.length === 1 && indices[0].kind === 'ramp' ? load(e.buffer, indices) : undefined;
  }

  /**
   * A scalar condition keeps the select lazy (only the taken branch is read); a vector condition
   * reads both branches on every lane, so their loads must be provably in bounds.
   */
  private select(c: Expr, t: Expr, f: Expr): Expr | undefined {
    const cond = this.expr(c);
    const tv = this.expr(t);
    const fv = this.expr(f);
    if (!cond || !tv || !fv) return undefined;
    if (cond.lanes === 1 && tv.lanes === 1 && fv.lanes === 1) return select(cond, tv, fv);
    if (cond.lanes === 1) return select(cond, this.vec(tv), this.vec(fv));
    if (!this.safe(tv) || !this.safe(fv)) return undefined;
    return select(cond, this.vec(tv), this.vec(fv));
  }

  private bindLet(v: Var, value: Expr): Var {
    if (value.lanes === 1) return v;
    const wide: Var = { ...v, id: freshId(), lanes: this.lanes };
    this.vectorLets.set(v.id, wide);
    return wide;
  }

  /** True when every load in `e` is provably in bounds on every lane. */
  private safe(e: Expr): boolean {
    let ok = true;
    visit(e, (n) => {
      if (!ok) return false;
      if (n.kind === 'load' && !this.inBounds(n)) ok = false;
    });
    return ok;
  }

  private inBounds(l: Load): boolean {
    const ix = l.indices[0];
    if (l.indices.length !== 1 || l.buffer.shape.length !== 1 || !ix) return false;
    const r = this.an.interval(ix);
    return r.min >= 0 && r.max < l.buffer.shape[0];
  }

  /**
   * Widens a statement. `mask` (a vector condition, or null) holds on the lanes that would have
   * executed it: stores under a mask keep the old value elsewhere, and everything evaluated under
   * it must be in bounds on all lanes.
   */
  stmt(s: Stmt, mask: Expr | null): Stmt | undefined {
    switch (s.kind) {
      case 'store':
        return this.store(s, mask);
      case 'if':
        return this.branch(s, mask);
      case 'seq': {
        const parts = s.body.map((b) => this.stmt(b, mask));
        return allDefined(parts) ? seq(...parts) : undefined;
      }
      case 'let': {
        const value = this.expr(s.value);
        if (!value || (mask && !this.safe(value))) return undefined;
        const v = this.bindLet(s.v, value);
        const body = this.stmt(s.body, mask);
        return body && letStmt(v, value, body);
      }
      case 'noop':
        return s;
      default:
        return undefined;
    }
  }

  /** Stores need a ramp index: a uniform index would write one element from every lane. */
  private store(s: Store, mask: Expr | null): Stmt | undefined {
    const index = s.indices.length === 1 ? this.expr(s.indices[0]) : undefined;
    const value = this.expr(s.value);
    if (!index || index.kind !== 'ramp' || !value) return undefined;
    if (!mask) return store(s.buffer, [index], this.vec(value));
    const old = load(s.buffer, [index]);
    if (!this.safe(value) || !this.inBounds(old)) return undefined;
    return store(s.buffer, [index], select(mask, this.vec(value), old));
  }

  private branch(s: IfThenElse, mask: Expr | null): Stmt | undefined {
    const cond = this.expr(s.cond);
    if (!cond || (mask && !this.safe(cond))) return undefined;
    if (cond.lanes === 1) {
      const then = this.stmt(s.then, mask);
      const otherwise = s.otherwise ? this.stmt(s.otherwise, mask) : null;
      return then && otherwise !== undefined ? ifThenElse(cond, then, otherwise) : undefined;
    }
    if (!this.allowMasks) return undefined;
    const then = this.stmt(s.then, mask ? and(mask, cond) : cond);
    const otherwise = s.otherwise ? this.stmt(s.otherwise, mask ? and(mask, not(cond)) : not(cond)) : seq();
    return then && otherwise ? seq(then, otherwise) : undefined;
  }
}
