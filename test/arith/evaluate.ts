/**
 * @file A reference evaluator for scalar integer and boolean expressions, used by the property
 * tests as the meaning the simplifier must preserve. Exact math (the tests keep values small);
 * floordiv/floormod floor, div/mod truncate as in C.
 */

import type { Expr } from '../../src/ir/expr.js';

export type Env = ReadonlyMap<number, number>;

function bin(op: string, a: number, b: number): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return Math.trunc(a / b);
    case 'mod':
      return a % b;
    case 'floordiv':
      return Math.floor(a / b);
    case 'floormod':
      return a - Math.floor(a / b) * b;
    case 'min':
      return Math.min(a, b);
    case 'max':
      return Math.max(a, b);
    default:
      throw new Error(`evaluate: no binary op ${op}`);
  }
}

function compare(op: string, a: number, b: number): boolean {
  const r = { eq: a === b, ne: a !== b, lt: a < b, le: a <= b, gt: a > b, ge: a >= b }[op];
  if (r === undefined) throw new Error(`evaluate: no comparison ${op}`);
  return r;
}

/** The value of `e`, or of its lane `lane` when it is a vector (ramp and broadcast lanes). */
export function evaluate(e: Expr, env: Env, lane = 0): number {
  const ev = (x: Expr): number => evaluate(x, env, lane);
  switch (e.kind) {
    case 'int':
      return e.value;
    case 'var': {
      const v = env.get(e.id);
      if (v === undefined) throw new Error(`evaluate: unbound ${e.name}`);
      return v;
    }
    case 'binary': {
      const r = bin(e.op, ev(e.a), ev(e.b));
      return r === 0 ? 0 : r;
    }
    case 'cmp':
      return compare(e.op, ev(e.a), ev(e.b)) ? 1 : 0;
    case 'logic': {
      const a = ev(e.a) !== 0;
      const b = ev(e.b) !== 0;
      return (e.op === 'and' ? a && b : a || b) ? 1 : 0;
    }
    case 'not':
      return ev(e.a) === 0 ? 1 : 0;
    case 'select':
      return ev(e.cond) !== 0 ? ev(e.t) : ev(e.f);
    case 'ramp':
      return ev(e.base) + e.stride * lane;
    case 'broadcast':
      return ev(e.value);
    default:
      throw new Error(`evaluate: no ${e.kind}`);
  }
}
