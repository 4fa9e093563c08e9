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

export function evaluate(e: Expr, env: Env): number {
  switch (e.kind) {
    case 'int':
      return e.value;
    case 'var': {
      const v = env.get(e.id);
      if (v === undefined) throw new Error(`evaluate: unbound ${e.name}`);
      return v;
    }
    case 'binary': {
      const r = bin(e.op, evaluate(e.a, env), evaluate(e.b, env));
      return r === 0 ? 0 : r;
    }
    case 'cmp':
      return compare(e.op, evaluate(e.a, env), evaluate(e.b, env)) ? 1 : 0;
    case 'logic': {
      const a = evaluate(e.a, env) !== 0;
      const b = evaluate(e.b, env) !== 0;
      return (e.op === 'and' ? a && b : a || b) ? 1 : 0;
    }
    case 'not':
      return evaluate(e.a, env) === 0 ? 1 : 0;
    case 'select':
      return evaluate(e.cond, env) !== 0 ? evaluate(e.t, env) : evaluate(e.f, env);
    default:
      throw new Error(`evaluate: no ${e.kind}`);
  }
}
