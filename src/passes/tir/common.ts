/**
 * @file Small helpers the TIR passes share: buffer layout arithmetic, statement substitution and
 * buffer-use queries, and the error type a pass raises on input it cannot handle.
 */

import type { Analyzer } from '../../arith/index.js';
import type { Buffer, Expr, Var } from '../../ir/expr.js';
import { substitute, visit } from '../../ir/visit.js';
import type { Stmt } from '../../tir/stmt.js';
import { seq } from '../../tir/stmt.js';
import { mutateStmt, visitStmt } from '../../tir/visit.js';

/** A TIR pass met IR it cannot transform; names the pass, the function and the problem. */
export class TirPassError extends Error {
  override name = 'TirPassError';
  constructor(
    readonly pass: string,
    readonly func: string,
    readonly problem: string,
  ) {
    super(`${pass} on ${func}: ${problem}`);
  }
}

/** Element strides of a buffer: its own when padded, dense row-major otherwise. */
export function stridesOf(b: Buffer): readonly number[] {
  if (b.strides) return b.strides;
  const out = new Array<number>(b.shape.length);
  let s = 1;
  for (let k = b.shape.length - 1; k >= 0; k--) {
    out[k] = s;
    s *= b.shape[k];
  }
  return out;
}

/** The number of elements a buffer spans in memory: largest flat offset + 1 (0 when empty). */
export function spanOf(b: Buffer): number {
  if (b.shape.some((d) => d === 0)) return 0;
  const strides = stridesOf(b);
  return b.shape.reduce((acc, d, k) => acc + (d - 1) * strides[k], 1);
}

/** `s` with variables replaced by id in every expression it holds. */
export function substituteStmt(s: Stmt, map: ReadonlyMap<number, Expr>): Stmt {
  if (map.size === 0) return s;
  return mutateStmt(s, { expr: (e) => substitute(e, map) });
}

export function substituteVarStmt(s: Stmt, v: Var, by: Expr): Stmt {
  return substituteStmt(s, new Map([[v.id, by]]));
}

export interface BufferUse {
  /** ids of buffers loaded anywhere in the statement */
  readonly reads: Set<number>;
  /** ids of buffers stored to anywhere in the statement */
  readonly writes: Set<number>;
}

export function bufferUse(s: Stmt): BufferUse {
  const reads = new Set<number>();
  const writes = new Set<number>();
  visitStmt(
    s,
    (st) => void (st.kind === 'store' && writes.add(st.buffer.id)),
    (e) => void (e.kind === 'load' && reads.add(e.buffer.id)),
  );
  return { reads, writes };
}

/** True when `s` mentions buffer `id` in any load, store, allocation or attr. */
export function mentionsBuffer(s: Stmt, id: number): boolean {
  let found = false;
  visitStmt(
    s,
    (st) => {
      if (found) return false;
      if ((st.kind === 'store' || st.kind === 'allocate') && st.buffer.id === id) found = true;
      if (st.kind === 'attr' && st.buffer?.id === id) found = true;
    },
    (e) => void (e.kind === 'load' && e.buffer.id === id && (found = true)),
  );
  return found;
}

/** True when some expression of `s` satisfies `pred`. */
export function anyExpr(s: Stmt, pred: (e: Expr) => boolean): boolean {
  let found = false;
  visitStmt(
    s,
    () => !found,
    (e) => void (!found && pred(e) && (found = true)),
  );
  return found;
}

/** True when `e` contains a node satisfying `pred`. */
export function exprHas(e: Expr, pred: (e: Expr) => boolean): boolean {
  let found = false;
  visit(e, (n) => {
    if (found) return false;
    if (pred(n)) found = true;
  });
  return found;
}

/** Number of statements in `s` (leaves and compound nodes alike), the unroll budget's unit. */
export function countStmts(s: Stmt): number {
  let n = 0;
  visitStmt(s, () => void n++);
  return n;
}

/** Binds `v` to the values a loop `for (v, min, extent)` gives it, when min or extent are symbolic too. */
export function bindLoop(an: Analyzer, v: Var, min: Expr, extent: Expr): void {
  if (min.kind === 'int' && extent.kind === 'int') {
    an.bindLoop(v, min.value, extent.value);
    return;
  }
  const lo = an.interval(min);
  const ext = an.interval(extent);
  an.bind(v, { min: lo.min, max: lo.max + Math.max(ext.max, 1) - 1 });
}

/** `s` with each directly nested statement replaced by `f(child)`; `s` itself when none changed. */
export function mapBody(s: Stmt, f: (child: Stmt) => Stmt): Stmt {
  switch (s.kind) {
    case 'for':
    case 'allocate':
    case 'attr':
    case 'let':
    case 'assert': {
      const body = f(s.body);
      return body === s.body ? s : { ...s, body };
    }
    case 'if': {
      const then = f(s.then);
      const otherwise = s.otherwise ? f(s.otherwise) : null;
      return then === s.then && otherwise === s.otherwise ? s : { ...s, then, otherwise };
    }
    case 'seq': {
      const body = s.body.map(f);
      return body.every((b, k) => b === s.body[k]) ? s : seq(...body);
    }
    case 'store':
    case 'noop':
      return s;
  }
}
