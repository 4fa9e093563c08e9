/**
 * @file Symbolic ranges for bound inference. A stage computed inside loop `L` of a consumer needs
 * the region the consumer reads during one iteration of `L`: the loops enclosing `L` are fixed (a
 * symbolic point), the loops below it run over their whole range. `relax` evaluates an index
 * expression over that mix and returns bounds that are expressions of the fixed loops:
 *
 *   relax(yo*8 + yi + ry, relaxed = {yi: [0, 7], ry: [0, 2]})  =  [yo*8, yo*8 + 9]
 *
 * Affine parts stay exact; anything else falls back to constant bounds over every loop's range.
 */

import type { Expr } from '../ir/expr.js';
import { add, floordiv, intImm, max, min, mul, sub } from '../ir/expr.js';
import { usesVar } from '../ir/visit.js';
import { evalInterval, simplify, type Ranges } from '../arith/index.js';
import { LowerError } from './error.js';

export interface SymRange {
  readonly min: Expr;
  readonly max: Expr;
}

/**
 * Bounds of `e` when the variables in `relaxed` range over their intervals; every other variable
 * stays as it is. `all` holds the ranges of every loop variable (for the constant fallback).
 */
export function relax(e: Expr, relaxed: Ranges, all: Ranges): SymRange {
  if (!usesVar(e, (v) => relaxed.has(v.id))) return { min: e, max: e };
  switch (e.kind) {
    case 'var': {
      const r = relaxed.get(e.id)!;
      return { min: intImm(r.min, e.dtype), max: intImm(r.max, e.dtype) };
    }
    case 'binary':
      return relaxBinary(e.op, e.a, e.b, relaxed, all) ?? constantRange(e, all);
    default:
      return constantRange(e, all);
  }
}

function relaxBinary(op: string, ea: Expr, eb: Expr, relaxed: Ranges, all: Ranges): SymRange | undefined {
  const a = relax(ea, relaxed, all);
  switch (op) {
    case 'add': {
      const b = relax(eb, relaxed, all);
      return { min: add(a.min, b.min), max: add(a.max, b.max) };
    }
    case 'sub': {
      const b = relax(eb, relaxed, all);
      return { min: sub(a.min, b.max), max: sub(a.max, b.min) };
    }
    case 'mul':
      if (eb.kind === 'int') return eb.value >= 0 ? { min: mul(a.min, eb), max: mul(a.max, eb) } : { min: mul(a.max, eb), max: mul(a.min, eb) };
      if (ea.kind === 'int') return relaxBinary('mul', eb, ea, relaxed, all);
      return undefined;
    case 'floordiv':
      return eb.kind === 'int' && eb.value > 0 ? { min: floordiv(a.min, eb), max: floordiv(a.max, eb) } : undefined;
    case 'min':
    case 'max': {
      const b = relax(eb, relaxed, all);
      const f = op === 'min' ? min : max;
      return { min: f(a.min, b.min), max: f(a.max, b.max) };
    }
    default:
      return undefined;
  }
}

function constantRange(e: Expr, all: Ranges): SymRange {
  const r = evalInterval(e, all);
  if (!Number.isFinite(r.min) || !Number.isFinite(r.max)) {
    throw new LowerError(`bound inference: cannot bound ${e.kind} index expression`);
  }
  return { min: intImm(r.min, e.dtype), max: intImm(r.max, e.dtype) };
}

/** The smaller (`pick = 'min'`) or larger of two symbolic bounds; exact when they differ by a constant. */
export function pickBound(a: Expr, b: Expr, pick: 'min' | 'max', ranges: Ranges): Expr {
  const d = simplify(sub(a, b), ranges);
  if (d.kind === 'int') return (d.value <= 0) === (pick === 'min') ? a : b;
  return simplify(pick === 'min' ? min(a, b) : max(a, b), ranges);
}
