/**
 * @file The per-lane fallback for vector expressions without a SIMD form: the expression is
 * split into one scalar expression per lane (ramp → base + k·stride, broadcast → its value)
 * and each lane goes through the scalar emitter, which knows every operator.
 *
 * Before splitting, parts shared by all lanes are computed once: broadcast values, ramp bases,
 * scalar sub-expressions and packable vector sub-expressions (which keep their SIMD code) are
 * evaluated into locals and referenced through fresh variables. Nothing under a guarded branch
 * (a select side or and/or operand that might trap) is hoisted, so guards keep working per lane.
 */

import type { Expr, Var } from '../../ir/expr.js';
import { add, intImm, letExpr, variable } from '../../ir/expr.js';
import { children, withChildren } from '../../ir/visit.js';
import type { Local } from './code.js';
import type { FuncContext, VecVal } from './context.js';
import { wasmType } from './context.js';
import { emitScalar, mayTrap } from './scalar.js';
import { asLanes, canPack, emitVector } from './vector.js';

class Splitter {
  /** ids bound in fc.vars by this splitter, removed when it is done */
  private readonly bound: number[] = [];
  private readonly laneVars = new Map<number, Var[]>();

  constructor(private readonly fc: FuncContext) {}

  private freshVar(dtype: Expr['dtype'], lanes: number): Var {
    return { ...variable('split', dtype), lanes };
  }

  private bindScalar(e: Expr): Var {
    const local = this.fc.temp(wasmType(e.dtype));
    emitScalar(this.fc, e);
    this.fc.code.localSet(local);
    const v = this.freshVar(e.dtype, 1);
    this.fc.vars.set(v.id, { kind: 'scalar', local });
    this.bound.push(v.id);
    return v;
  }

  private bindVector(value: VecVal): Var {
    const v = this.freshVar(value.dtype, value.lanes);
    this.fc.vars.set(v.id, { kind: 'vector', value });
    this.bound.push(v.id);
    return v;
  }

  /** `e` with its lane-invariant and SIMD-able parts computed into variables. */
  hoist(e: Expr, guarded: boolean): Expr {
    if (guarded || e.kind === 'int' || e.kind === 'float' || e.kind === 'var') return e;
    if (e.lanes === 1) return this.bindScalar(e);
    if (e.kind === 'let') {
      // bind the let's own variable for the rest of the split
      const value = e.value.lanes === 1 ? this.bindScalar(e.value) : null;
      const bnd = value ? this.fc.binding(value.id) : { kind: 'vector' as const, value: emitVector(this.fc, e.value) };
      this.fc.vars.set(e.v.id, bnd);
      this.bound.push(e.v.id);
      return this.hoist(e.body, false);
    }
    if (canPack(e) && e.kind !== 'broadcast' && e.kind !== 'ramp') return this.bindVector(emitVector(this.fc, e));
    return this.hoistChildren(e);
  }

  /** `e` with its children hoisted; the sides of a guarded select or and/or are left alone. */
  hoistChildren(e: Expr): Expr {
    switch (e.kind) {
      case 'select': {
        const lazy = mayTrap(e.t) || mayTrap(e.f);
        return withChildren(e, [this.hoist(e.cond, false), this.hoist(e.t, lazy), this.hoist(e.f, lazy)]);
      }
      case 'logic':
        return withChildren(e, [this.hoist(e.a, false), this.hoist(e.b, mayTrap(e.b))]);
      default:
        return withChildren(e, children(e).map((k) => this.hoist(k, false)));
    }
  }

  private laneVar(v: Var, k: number): Var {
    let vars = this.laneVars.get(v.id);
    if (!vars) {
      const b = this.fc.binding(v.id);
      if (b.kind !== 'vector') throw this.fc.error(`scalar variable #${v.id} used as a vector`);
      const locals = asLanes(this.fc, b.value);
      vars = locals.map((local) => {
        const lv = this.freshVar(v.dtype, 1);
        this.fc.vars.set(lv.id, { kind: 'scalar', local });
        this.bound.push(lv.id);
        return lv;
      });
      this.laneVars.set(v.id, vars);
    }
    return vars[k];
  }

  /** The scalar expression computing lane `k` of `e`. */
  lane(e: Expr, k: number): Expr {
    if (e.lanes === 1) return e;
    switch (e.kind) {
      case 'var':
        return this.laneVar(e, k);
      case 'ramp':
        return k === 0 ? e.base : add(e.base, intImm(k * e.stride, e.base.dtype));
      case 'broadcast':
        return e.value;
      case 'let': {
        if (e.value.lanes === 1) return letExpr(e.v, e.value, this.lane(e.body, k));
        // a vector let under a guard: each lane gets its own scalar copy of the variable
        const lv = this.freshVar(e.v.dtype, 1);
        const perLane = this.laneVars.get(e.v.id) ?? [];
        perLane[k] = lv;
        this.laneVars.set(e.v.id, perLane);
        return letExpr(lv, this.lane(e.value, k), this.lane(e.body, k));
      }
      default:
        return withChildren(e, children(e).map((c) => this.lane(c, k)));
    }
  }

  done(): void {
    for (const id of this.bound) this.fc.vars.delete(id);
  }
}

/** Computes a vector expression one lane at a time into scalar locals. */
export function emitLanes(fc: FuncContext, e: Expr): VecVal {
  const s = new Splitter(fc);
  try {
    const top = s.hoistChildren(e);
    const parts: Local[] = [];
    for (let k = 0; k < e.lanes; k++) {
      const l = fc.temp(wasmType(e.dtype));
      emitScalar(fc, s.lane(top, k));
      fc.code.localSet(l);
      parts.push(l);
    }
    return { form: 'lanes', dtype: e.dtype, lanes: e.lanes, parts };
  } finally {
    s.done();
  }
}
