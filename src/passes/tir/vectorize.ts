/**
 * @file `tir.vectorize`: loops marked `vectorized` become straight-line vector code.
 *
 * The loop variable becomes `ramp(min, 1, lanes)` with lanes = the constant extent (see widen.ts
 * for how values widen). A flat index `i*N + j` with j vectorized becomes `ramp(i*N, 1, lanes)` — a
 * contiguous vector access — and an index that does not depend on j stays a scalar load that is
 * broadcast where it meets a vector. An `if` on the vector variable becomes a `select` on each
 * store when every access it guards is provably in bounds on all lanes (and no parallel loop
 * encloses it, since a masked store rewrites the old value of the masked-off lanes).
 *
 * A body that reads through `floordiv(j, c)` / `floormod(j, c)` (one constant c dividing the
 * lanes) gets a second try: j = c·q + r, a serial loop over the phase r around a vector of
 * lanes / c in q, where those indices become strided ramps.
 *
 * The loop stays serial — always correct — when the body cannot be vectorized: it holds a loop,
 * allocation, attr or assert, or a vector already; an index is neither a ramp nor uniform (a
 * gather); a store's index does not depend on the variable (an accumulator); a buffer is written
 * at one index and read or written at another (lanes would depend on each other); or an `if`
 * condition reads a buffer the body writes. Runs after storageFlatten: one flat index per access.
 *
 *   before:  vectorized (j, 0, 4) { C[i * 8 + j] = C[i * 8 + j] + A[i] * B[k * 8 + j] }
 *   after:   C[ramp(i * 8, 1, 4)] = C[ramp(i * 8, 1, 4)] + x4(A[i]) * B[ramp(k * 8, 1, 4)]
 */

import { Analyzer } from '../../arith/index.js';
import { exprKey } from '../../ir/equal.js';
import type { Expr, Var } from '../../ir/expr.js';
import { add, intImm, mul, variable } from '../../ir/expr.js';
import type { For, PrimFunc, Stmt } from '../../tir/stmt.js';
import { NOOP } from '../../tir/stmt.js';
import { visitStmt } from '../../tir/visit.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';
import { bindLoop, exprHas, mapBody, substituteVarStmt } from './common.js';
import { simplifyStmt } from './simplify.js';
import { LaneWidener } from './widen.js';

/** Statement kinds and existing vectors rule a body out before any rewriting is tried. */
function simpleBody(body: Stmt): boolean {
  let ok = true;
  visitStmt(
    body,
    (s) => {
      if (s.kind === 'for' || s.kind === 'allocate' || s.kind === 'attr' || s.kind === 'assert') ok = false;
      return ok;
    },
    (e) => void (e.lanes > 1 && (ok = false)),
  );
  return ok;
}

/**
 * Lanes are independent when every buffer the body writes is accessed at one single index
 * expression (which the store makes a ramp, so each lane owns one element), and no `if`
 * condition reads a written buffer (widening evaluates a condition once for all lanes).
 */
function lanesIndependent(body: Stmt): boolean {
  const index = new Map<number, string>();
  let ok = true;
  const note = (id: number, indices: readonly Expr[]): void => {
    const key = indices.map(exprKey).join(',');
    const seen = index.get(id);
    if (seen === undefined) index.set(id, key);
    else if (seen !== key) ok = false;
  };
  visitStmt(body, (s) => void (s.kind === 'store' && note(s.buffer.id, s.indices)));
  const written = new Set(index.keys());
  const readsWritten = (e: Expr): boolean => exprHas(e, (n) => n.kind === 'load' && written.has(n.buffer.id));
  visitStmt(
    body,
    (s) => {
      if (s.kind === 'if' && readsWritten(s.cond)) ok = false;
      return ok;
    },
    (e) => void (e.kind === 'load' && written.has(e.buffer.id) && note(e.buffer.id, e.indices)),
  );
  return ok;
}

class Vectorizer {
  private readonly an = new Analyzer();
  private parallelDepth = 0;

  stmt(s: Stmt): Stmt {
    if (s.kind !== 'for') return mapBody(s, (c) => this.stmt(c));
    const parallel = s.forKind === 'parallel' || s.forKind === 'thread';
    if (parallel) this.parallelDepth++;
    const body = this.an.withScope(() => {
      bindLoop(this.an, s.loopVar, s.min, s.extent);
      return this.stmt(s.body);
    });
    if (parallel) this.parallelDepth--;
    const loop = body === s.body ? s : { ...s, body };
    return loop.forKind === 'vectorized' ? this.vectorizeLoop(loop) : loop;
  }

  private vectorizeLoop(s: For): Stmt {
    const serial: For = { ...s, forKind: 'serial' };
    if (s.extent.kind !== 'int') return serial;
    const lanes = s.extent.value;
    if (lanes <= 0) return NOOP;
    if (lanes === 1) return substituteVarStmt(s.body, s.loopVar, s.min);
    if (!simpleBody(s.body) || !lanesIndependent(s.body)) return serial;
    const widener = new LaneWidener(s.loopVar, s.min, lanes, this.an, this.parallelDepth === 0);
    return widener.stmt(s.body, null) ?? this.deinterleaved(s, lanes) ?? serial;
  }

  /**
   * A body that reads through `floordiv(v, c)` / `floormod(v, c)` of the loop variable (a
   * depth-to-space or a blocked layout's lanes): v = min + c·q + r, the phase r a serial loop of
   * c, and q vectorized over lanes / c. Each access is then a strided ramp in q, where in v it
   * was a gather that kept the whole loop scalar (det's last kernel, a depth-to-space with a
   * sigmoid: 6.7 ms on 1 thread, scalar). Undefined when that does not vectorize either.
   */
  private deinterleaved(s: For, lanes: number): Stmt | undefined {
    const c = divisorOf(s.body, s.loopVar);
    if (c === undefined || lanes % c !== 0 || lanes / c < 2) return undefined;
    const q = variable(`${s.loopVar.name}.q`, s.loopVar.dtype);
    const r = variable(`${s.loopVar.name}.r`, s.loopVar.dtype);
    const body = substituteVarStmt(s.body, s.loopVar, add(s.min, add(mul(q, intImm(c, s.loopVar.dtype)), r)));
    return this.an.withScope(() => {
      this.an.bindLoop(r, 0, c);
      this.an.bindLoop(q, 0, lanes / c);
      const widened = new LaneWidener(q, intImm(0, q.dtype), lanes / c, this.an, this.parallelDepth === 0).stmt(simplifyStmt(body, this.an), null);
      return widened && { ...s, loopVar: r, min: intImm(0, r.dtype), extent: intImm(c, r.dtype), forKind: 'serial' as const, body: simplifyStmt(widened, this.an) };
    });
  }
}

/** The one constant that `v` is divided by (floordiv, floormod) in `body`, if there is one. */
function divisorOf(body: Stmt, v: Var): number | undefined {
  const divisors = new Set<number>();
  visitStmt(
    body,
    () => true,
    (e) => {
      if (e.kind === 'binary' && (e.op === 'floordiv' || e.op === 'floormod') && e.b.kind === 'int' && e.b.value > 1 && exprHas(e.a, (n) => n.kind === 'var' && n.id === v.id)) divisors.add(e.b.value);
    },
  );
  return divisors.size === 1 ? [...divisors][0] : undefined;
}

export function vectorizeStmt(s: Stmt): Stmt {
  return new Vectorizer().stmt(s);
}

export const vectorize: Pass<PrimFunc> = definePass({
  name: 'tir.vectorize',
  run: (f) => ({ ...f, body: vectorizeStmt(f.body) }),
});
