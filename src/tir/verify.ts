/**
 * @file The TIR verifier: the invariants every pass must keep and every code generator relies on.
 *
 * It walks the function once with a scope of defined variables and live buffers and checks that
 * every variable is defined by an enclosing loop or let, every accessed buffer is a param or
 * allocated around the access (with its declared shape), no TE-only nodes (`tensorRead`,
 * `reduce`) survived lowering, vector lanes agree (operands, load/store index and value), and
 * constant loop extents are not negative. (A parallel loop inside a loop marked vectorized is
 * fine: `tir.vectorize` leaves any loop whose body holds loops serial.) A
 * violation throws `TirVerifyError` naming the function, the offending statement (its first
 * printed line) and the problem.
 */

import type { Buffer, Expr } from '../ir/expr.js';
import { children } from '../ir/visit.js';
import { printStmt } from './print.js';
import type { PrimFunc, Stmt } from './stmt.js';
import { stmtChildren } from './visit.js';

export class TirVerifyError extends Error {
  override name = 'TirVerifyError';
  constructor(
    readonly func: string,
    readonly stmt: string,
    readonly problem: string,
  ) {
    super(`${func}: ${problem}\n  in: ${stmt}`);
  }
}

interface Scope {
  readonly vars: Set<number>;
  /** live buffers by id, as declared (param or allocation) */
  readonly buffers: ReadonlyMap<number, Buffer>;
  /** a vectorized loop encloses the current statement */
}

class Verifier {
  private stmt: Stmt | null = null;

  constructor(private readonly func: PrimFunc) {}

  fail(problem: string): never {
    const printed = this.stmt ? printStmt(this.stmt).split('\n')[0].trim() : '(params)';
    throw new TirVerifyError(this.func.name, printed, problem);
  }

  run(): void {
    const buffers = new Map<number, Buffer>();
    for (const p of this.func.params) {
      if (buffers.has(p.id)) this.fail(`buffer ${p.name} is passed twice`);
      buffers.set(p.id, p);
    }
    this.visitStmt(this.func.body, { vars: new Set(), buffers });
  }

  private visitStmt(s: Stmt, scope: Scope): void {
    this.stmt = s;
    this.checkStmt(s, scope);
    const inner = this.innerScope(s, scope);
    for (const c of stmtChildren(s)) this.visitStmt(c, inner);
  }

  private checkStmt(s: Stmt, scope: Scope): void {
    switch (s.kind) {
      case 'for':
        this.checkExpr(s.min, scope);
        this.checkExpr(s.extent, scope);
        if (s.extent.kind === 'int' && s.extent.value < 0) this.fail(`loop ${s.loopVar.name} has negative extent ${s.extent.value}`);
        if (scope.vars.has(s.loopVar.id)) this.fail(`variable ${s.loopVar.name} is redefined inside its own scope`);
        if (s.forKind === 'thread' && s.threadTag === null) this.fail(`thread loop ${s.loopVar.name} has no thread tag`);
        return;
      case 'store':
        this.checkAccess(s.buffer, s.indices, scope);
        this.checkExpr(s.value, scope);
        this.checkStoreLanes(s.buffer, s.indices, s.value);
        return;
      case 'allocate':
        if (scope.buffers.has(s.buffer.id)) this.fail(`buffer ${s.buffer.name} is allocated again inside its own scope`);
        return;
      case 'if':
      case 'assert':
        this.checkExpr(s.cond, scope);
        return;
      case 'let':
        this.checkExpr(s.value, scope);
        if (scope.vars.has(s.v.id)) this.fail(`variable ${s.v.name} is redefined inside its own scope`);
        if (s.v.lanes !== s.value.lanes) this.fail(`let ${s.v.name} has ${s.v.lanes} lanes but its value has ${s.value.lanes}`);
        return;
      case 'attr':
        if (s.buffer && !scope.buffers.has(s.buffer.id)) this.fail(`attr ${s.key} names buffer ${s.buffer.name}, which is not allocated here`);
        return;
      case 'seq':
      case 'noop':
        return;
    }
  }

  private innerScope(s: Stmt, scope: Scope): Scope {
    switch (s.kind) {
      case 'for':
        return { ...scope, vars: new Set([...scope.vars, s.loopVar.id]) };
      case 'let':
        return { ...scope, vars: new Set([...scope.vars, s.v.id]) };
      case 'allocate':
        return { ...scope, buffers: new Map([...scope.buffers, [s.buffer.id, s.buffer]]) };
      default:
        return scope;
    }
  }

  private checkStoreLanes(buf: Buffer, indices: readonly Expr[], value: Expr): void {
    const lanes = Math.max(1, ...indices.map((i) => i.lanes));
    if (value.lanes !== lanes) this.fail(`store to ${buf.name} writes ${value.lanes} lanes at an index of ${lanes} lanes`);
    if (value.dtype !== buf.dtype) this.fail(`store of ${value.dtype} into ${buf.name} of ${buf.dtype}`);
  }

  private checkAccess(buf: Buffer, indices: readonly Expr[], scope: Scope): void {
    const declared = scope.buffers.get(buf.id);
    if (!declared) this.fail(`buffer ${buf.name} is neither a param nor allocated here`);
    if (declared.shape.join() !== buf.shape.join()) {
      this.fail(`buffer ${buf.name} is accessed as [${buf.shape.join(', ')}] but declared as [${declared.shape.join(', ')}]`);
    }
    if (indices.length !== buf.shape.length) {
      this.fail(`buffer ${buf.name} has ${buf.shape.length} dimensions but is indexed with ${indices.length}`);
    }
    for (const i of indices) this.checkExpr(i, scope);
  }

  /** Checks an expression tree; the variable scope grows inside `let` expressions. */
  private checkExpr(e: Expr, scope: Scope): void {
    if (e.kind === 'tensorRead') this.fail(`tensor read of ${e.tensor.name} survived lowering`);
    if (e.kind === 'reduce') this.fail('reduction survived lowering');
    if (e.kind === 'var' && !scope.vars.has(e.id)) this.fail(`variable ${e.name} is used outside the loop or let that defines it`);
    if (e.kind === 'load') this.checkAccess(e.buffer, e.indices, scope);
    const bad = lanesProblem(e);
    if (bad) this.fail(bad);
    if (e.kind === 'let') {
      this.checkExpr(e.value, scope);
      this.checkExpr(e.body, { ...scope, vars: new Set([...scope.vars, e.v.id]) });
      return;
    }
    if (e.kind !== 'load') for (const c of children(e)) this.checkExpr(c, scope);
  }

}

/** The lane rule `e` breaks, if any. */
function lanesProblem(e: Expr): string | undefined {
  switch (e.kind) {
    case 'binary':
    case 'cmp':
    case 'logic':
      if (e.a.lanes !== e.b.lanes || e.lanes !== e.a.lanes) return `${e.op} mixes ${e.a.lanes} and ${e.b.lanes} lanes`;
      return undefined;
    case 'select':
      if (e.t.lanes !== e.f.lanes || e.lanes !== e.t.lanes) return `select mixes ${e.t.lanes} and ${e.f.lanes} lanes`;
      if (e.cond.lanes !== 1 && e.cond.lanes !== e.lanes) return `select condition has ${e.cond.lanes} lanes, values ${e.lanes}`;
      return undefined;
    case 'ramp':
    case 'broadcast': {
      const inner = e.kind === 'ramp' ? e.base : e.value;
      if (inner.lanes !== 1) return `${e.kind} of a ${inner.lanes}-lane value`;
      if (e.lanes < 2) return `${e.kind} with ${e.lanes} lanes`;
      return undefined;
    }
    case 'load': {
      const lanes = Math.max(1, ...e.indices.map((i) => i.lanes));
      return e.lanes === lanes ? undefined : `load of ${e.buffer.name} has ${e.lanes} lanes at an index of ${lanes} lanes`;
    }
    case 'let':
      return e.v.lanes === e.value.lanes ? undefined : `let ${e.v.name} has ${e.v.lanes} lanes but its value has ${e.value.lanes}`;
    default:
      return undefined;
  }
}

/** Checks `f`; throws `TirVerifyError` on the first violation found. */
export function verifyFunc(f: PrimFunc): void {
  new Verifier(f).run();
}
