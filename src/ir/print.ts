/**
 * @file Expression printer: infix, fully parenthesized only where precedence needs it, in the
 * syntax TIR and TE printers share: `A[i, j]`, `floordiv(x, 4)`, `select(c, a, b)`, `x4(v)`.
 */

import type { Expr } from './expr.js';

const INFIX: Partial<Record<string, [string, number]>> = {
  add: ['+', 4],
  sub: ['-', 4],
  mul: ['*', 5],
  div: ['/', 5],
  mod: ['%', 5],
  lt: ['<', 3],
  le: ['<=', 3],
  gt: ['>', 3],
  ge: ['>=', 3],
  eq: ['==', 2],
  ne: ['!=', 2],
  and: ['&&', 1],
  or: ['||', 0],
};

function prec(e: Expr): number {
  if (e.kind === 'binary' || e.kind === 'cmp' || e.kind === 'logic') return INFIX[e.op]?.[1] ?? 9;
  if (e.kind === 'float' || e.kind === 'int') return e.value < 0 ? 6 : 9;
  return 9;
}

function wrap(e: Expr, p: number, right = false): string {
  const s = printExpr(e);
  const q = prec(e);
  return q < p || (right && q === p) ? `(${s})` : s;
}

function num(v: number, dtype: string): string {
  if (dtype === 'float32' || dtype === 'float64') {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    const s = String(v);
    const f = /[.e]/.test(s) ? s : `${s}.0`;
    return dtype === 'float32' ? `${f}f` : f;
  }
  if (dtype === 'bool') return v ? 'true' : 'false';
  return dtype === 'int32' ? String(v) : `${v}${dtype === 'int64' ? 'L' : `:${dtype}`}`;
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'int':
    case 'float':
      return num(e.value, e.dtype);
    case 'var':
      return e.name;
    case 'binary':
    case 'cmp':
    case 'logic': {
      const infix = INFIX[e.op];
      if (!infix) return `${e.op}(${printExpr(e.a)}, ${printExpr(e.b)})`;
      const [sym, p] = infix;
      return `${wrap(e.a, p)} ${sym} ${wrap(e.b, p, true)}`;
    }
    case 'not':
      return `!${wrap(e.a, 8)}`;
    case 'select':
      return `select(${printExpr(e.cond)}, ${printExpr(e.t)}, ${printExpr(e.f)})`;
    case 'cast':
      return `${e.dtype}${e.lanes > 1 ? `x${e.lanes}` : ''}(${printExpr(e.value)})`;
    case 'call':
      return `${e.fn}(${e.args.map(printExpr).join(', ')})`;
    case 'load':
      return `${e.buffer.name}[${e.indices.map(printExpr).join(', ')}]`;
    case 'tensorRead':
      return `${e.tensor.name}[${e.indices.map(printExpr).join(', ')}]`;
    case 'ramp':
      return `ramp(${printExpr(e.base)}, ${e.stride}, ${e.lanes})`;
    case 'broadcast':
      return `x${e.lanes}(${printExpr(e.value)})`;
    case 'let':
      return `(let ${e.v.name} = ${printExpr(e.value)} in ${printExpr(e.body)})`;
    case 'reduce': {
      const axes = e.axes.map((a) => `${a.var.name}:${a.extent}`).join(', ');
      const where = e.where ? `, where=${printExpr(e.where)}` : '';
      return `${e.op}(${printExpr(e.source)}, axis=[${axes}]${where})`;
    }
  }
}
