/**
 * @file The simplifier: one bottom-up pass that simplifies the children of a node, then applies
 * the rules for that node's kind (rule tables live in the rules-*.ts files, one per topic). A rule
 * that builds a new node calls `rewrite` on it, so results come out fully simplified without a
 * fixpoint loop. Results are memoized per node for the life of one `Simplifier`; a depth budget
 * turns any unforeseen rule cycle into "leave the node as it is" rather than a hang.
 *
 *   simplify(floordiv(i*8 + j, 8), {j: [0, 7]})  →  i
 */

import type { Expr, Let, Logic, Reduce, Select } from '../ir/expr.js';
import { binary, intImm, isConst } from '../ir/expr.js';
import { children, withChildren } from '../ir/visit.js';
import { Bounds } from './bounds.js';
import type { RuleContext } from './context.js';
import { factsOf } from './facts.js';
import { withDepthGuard } from './guard.js';
import type { Const } from './fold.js';
import { foldBinary, foldCall, foldCast } from './fold.js';
import type { Interval, Ranges } from './interval.js';
import type { Linear } from './linear.js';
import type { DivModParts } from './linear-divmod.js';
import { rewriteAddSubMul } from './rules-arith.js';
import { rewriteCast } from './rules-cast.js';
import { rewriteDivMod } from './rules-divmod.js';
import { rewriteCmp, rewriteLogic, rewriteNot, rewriteSelect } from './rules-logic.js';
import { rewriteMinMax } from './rules-minmax.js';
import { rewriteVectorBinary, rewriteVectorCmp } from './rules-vector.js';

/** Nested rule applications allowed before a node is left as it is. */
const MAX_DEPTH = 64;

function allConst(es: readonly Expr[]): es is readonly Const[] {
  return es.every(isConst);
}

class Simplifier implements RuleContext {
  private readonly memo = new Map<Expr, Expr>();
  private readonly companions = new Map<Expr, Expr>();
  private readonly bounds: Bounds;
  private depth = 0;

  constructor(private readonly ranges: Ranges = new Map()) {
    this.bounds = new Bounds(ranges);
  }

  interval(e: Expr): Interval {
    return this.bounds.of(e);
  }

  linearInterval(l: Linear): Interval {
    return this.bounds.ofLinear(l);
  }

  companion(term: Expr, { op, x, c }: DivModParts): Expr {
    let out = this.companions.get(term);
    if (!out) {
      out = this.rewrite(binary(op === 'floordiv' ? 'floormod' : 'floordiv', x, intImm(c, x.dtype)));
      this.companions.set(term, out);
    }
    return out;
  }

  simplify(e: Expr): Expr {
    const hit = this.memo.get(e);
    if (hit) return hit;
    let out: Expr;
    if (e.kind === 'let') out = this.simplifyLet(e);
    else if (e.kind === 'reduce') out = this.simplifyReduce(e);
    else if (e.kind === 'select') out = this.simplifySelect(e);
    else if (e.kind === 'logic') out = this.simplifyLogic(e);
    else out = this.rewrite(withChildren(e, children(e).map((k) => this.simplify(k))));
    this.memo.set(e, out);
    this.memo.set(out, out);
    return out;
  }

  rewrite(e: Expr): Expr {
    if (this.depth >= MAX_DEPTH) return e;
    this.depth++;
    try {
      return this.apply(e);
    } finally {
      this.depth--;
    }
  }

  private apply(e: Expr): Expr {
    switch (e.kind) {
      case 'binary': {
        if (e.lanes > 1) return rewriteVectorBinary(e, this);
        const folded = isConst(e.a) && isConst(e.b) ? foldBinary(e.op, e.a, e.b, e.dtype) : undefined;
        if (folded) return folded;
        if (e.op === 'add' || e.op === 'sub' || e.op === 'mul') return rewriteAddSubMul(e, this);
        if (e.op === 'min' || e.op === 'max') return rewriteMinMax(e, this);
        return rewriteDivMod(e, this);
      }
      case 'cmp':
        return e.a.lanes > 1 ? rewriteVectorCmp(e, this) : rewriteCmp(e, this);
      case 'logic':
        return rewriteLogic(e, this);
      case 'not':
        return rewriteNot(e, this);
      case 'select':
        return rewriteSelect(e, this);
      case 'cast':
        return (isConst(e.value) ? foldCast(e.value, e.dtype) : undefined) ?? rewriteCast(e, this);
      case 'call':
        return (allConst(e.args) ? foldCall(e.fn, e.args, e.dtype) : undefined) ?? e;
      default:
        return e;
    }
  }

  /** Each branch is simplified knowing what the condition says when it is taken. */
  private simplifySelect(e: Select): Expr {
    const cond = this.simplify(e.cond);
    const t = this.assuming(cond, true).simplify(e.t);
    const f = this.assuming(cond, false).simplify(e.f);
    return this.rewrite(withChildren(e, [cond, t, f]));
  }

  /** `b` matters in `a && b` only when a holds, and in `a || b` only when it does not. */
  private simplifyLogic(e: Logic): Expr {
    const a = this.simplify(e.a);
    const b = this.assuming(a, e.op === 'and').simplify(e.b);
    return this.rewrite(withChildren(e, [a, b]));
  }

  private assuming(cond: Expr, holds: boolean): Simplifier {
    const facts = factsOf(cond, holds, this);
    return facts.size === 0 ? this : this.scoped([...facts]);
  }

  /** The body is simplified knowing the bound variable's range. */
  private simplifyLet(e: Let): Expr {
    const value = this.simplify(e.value);
    const inner = this.scoped([[e.v.id, this.interval(value)]]);
    return withChildren(e, [value, inner.simplify(e.body)]);
  }

  /** Source and condition are simplified knowing the reduction axes' ranges. */
  private simplifyReduce(e: Reduce): Expr {
    const inner = this.scoped(e.axes.map((a) => [a.var.id, { min: a.min, max: a.min + Math.max(a.extent, 1) - 1 }]));
    const source = inner.simplify(e.source);
    const where = e.where ? inner.simplify(e.where) : null;
    const always = where?.kind === 'int' && where.value !== 0;
    if (source === e.source && where === e.where) return e;
    return { ...e, source, where: always ? null : where };
  }

  private scoped(extra: readonly (readonly [number, Interval])[]): Simplifier {
    return new Simplifier(new Map([...this.ranges, ...extra]));
  }
}

/** An equivalent, simpler expression, given that each variable stays within its range. */
export function simplify(e: Expr, ranges?: Ranges): Expr {
  return withDepthGuard(
    () => new Simplifier(ranges).simplify(e),
    () => e,
  );
}

/** True only when `cond` holds for every value of its variables within `ranges`. */
export function canProve(cond: Expr, ranges?: Ranges): boolean {
  const s = simplify(cond, ranges);
  return s.kind === 'int' && s.value !== 0 && s.lanes === 1;
}
