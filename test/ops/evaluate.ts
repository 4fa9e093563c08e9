/**
 * @file A direct TE evaluator for the op tests: it walks each compute's index space and evaluates
 * its body, compiled once into closures. It is independent of lowering and codegen, so an op can
 * be checked against the conformance data on its own; reads out of bounds are errors, which
 * catches index maps that go wrong at the edges (padding, broadcasting). Values are numbers
 * rounded to their dtype after every operation, as the generated code rounds them.
 */

import type { DType } from '../../src/ir/dtype.js';
import { isFloat } from '../../src/ir/dtype.js';
import type { Expr, MathFn } from '../../src/ir/expr.js';
import type { HostTensor } from '../../src/graph/tensor.js';
import { tensorNumbers, tensorOf } from '../../src/graph/tensor.js';
import type { Tensor } from '../../src/te/tensor.js';
import { postOrder } from '../../src/te/tensor.js';

export class EvalError extends Error {
  override name = 'EvalError';
}

type Fn = (env: Float64Array) => number;

function norm(v: number, t: DType): number {
  switch (t) {
    case 'float32':
      return Math.fround(v);
    case 'float64':
      return v;
    case 'int32':
      return v | 0;
    case 'int8':
      return (v << 24) >> 24;
    case 'uint8':
      return v & 255;
    case 'int64':
      return Math.trunc(v);
    case 'bool':
      return v ? 1 : 0;
  }
}

/** erf with relative error below 1.2e-7 (Numerical Recipes' erfc by Chebyshev fit). */
function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const p =
    -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(p);
  return x >= 0 ? 1 - erfc : erfc - 1;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const MATH: Record<MathFn, (...a: number[]) => number> = {
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  erf,
  pow: Math.pow,
  abs: Math.abs,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  sin: Math.sin,
  cos: Math.cos,
};

function binop(op: string, t: DType): (a: number, b: number) => number {
  const int = !isFloat(t);
  switch (op) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return t === 'int32' ? Math.imul : (a, b) => a * b;
    case 'div': return int ? (a, b) => Math.trunc(a / b) : (a, b) => a / b;
    case 'mod': return (a, b) => a % b;
    case 'floordiv': return (a, b) => Math.floor(a / b);
    case 'floormod': return (a, b) => a - Math.floor(a / b) * b;
    case 'min': return (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b));
    case 'max': return (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));
    case 'lt': return (a, b) => (a < b ? 1 : 0);
    case 'le': return (a, b) => (a <= b ? 1 : 0);
    case 'gt': return (a, b) => (a > b ? 1 : 0);
    case 'ge': return (a, b) => (a >= b ? 1 : 0);
    case 'eq': return (a, b) => (a === b ? 1 : 0);
    case 'ne': return (a, b) => (a !== b ? 1 : 0);
    case 'and': return (a, b) => (a && b ? 1 : 0);
    case 'or': return (a, b) => (a || b ? 1 : 0);
    default: throw new EvalError(`unknown op ${op}`);
  }
}

const REDUCE = {
  sum: { init: 0, f: (a: number, b: number) => a + b },
  prod: { init: 1, f: (a: number, b: number) => a * b },
  max: { init: -Infinity, f: (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)) },
  min: { init: Infinity, f: (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)) },
};

class Compiler {
  readonly slots = new Map<number, number>();
  constructor(private readonly data: ReadonlyMap<number, Float64Array>) {}

  slot(id: number): number {
    let s = this.slots.get(id);
    if (s === undefined) this.slots.set(id, (s = this.slots.size));
    return s;
  }

  compile(e: Expr): Fn {
    const t = e.dtype;
    switch (e.kind) {
      case 'int':
      case 'float': {
        const v = e.value;
        return () => v;
      }
      case 'var': {
        const s = this.slot(e.id);
        return (env) => env[s];
      }
      case 'binary':
      case 'cmp':
      case 'logic': {
        const [a, b, f] = [this.compile(e.a), this.compile(e.b), binop(e.op, e.a.dtype)];
        return (env) => norm(f(a(env), b(env)), t);
      }
      case 'not': {
        const a = this.compile(e.a);
        return (env) => (a(env) ? 0 : 1);
      }
      case 'select': {
        const [c, x, y] = [this.compile(e.cond), this.compile(e.t), this.compile(e.f)];
        return (env) => (c(env) ? x(env) : y(env));
      }
      case 'cast': {
        const v = this.compile(e.value);
        const float = isFloat(t) || t === 'bool';
        return (env) => norm(float ? v(env) : Math.trunc(v(env)), t);
      }
      case 'call': {
        const args = e.args.map((a) => this.compile(a));
        const f = MATH[e.fn];
        return (env) => norm(f(...args.map((a) => a(env))), t);
      }
      case 'let': {
        const [s, v, body] = [this.slot(e.v.id), this.compile(e.value), this.compile(e.body)];
        return (env) => {
          env[s] = v(env);
          return body(env);
        };
      }
      case 'tensorRead':
        return this.read(e.tensor, e.indices);
      case 'reduce':
        return this.reduce(e);
      default:
        throw new EvalError(`cannot evaluate ${e.kind} in a tensor expression`);
    }
  }

  private read(tensor: Tensor, indices: readonly Expr[]): Fn {
    const mem = this.data.get(tensor.id);
    if (!mem) throw new EvalError(`${tensor.name} is read before it is computed`);
    const idx = indices.map((i) => this.compile(i));
    const shape = tensor.shape;
    const name = tensor.name;
    return (env) => {
      let off = 0;
      for (let k = 0; k < idx.length; k++) {
        const x = idx[k](env);
        if (!(x >= 0 && x < shape[k])) throw new EvalError(`${name}: index ${x} out of bounds in dimension ${k} (extent ${shape[k]})`);
        off = off * shape[k] + x;
      }
      return mem[off];
    };
  }

  private reduce(e: Extract<Expr, { kind: 'reduce' }>): Fn {
    const src = this.compile(e.source);
    const where = e.where && this.compile(e.where);
    const axes = e.axes.map((a) => ({ s: this.slot(a.var.id), min: a.min, extent: a.extent }));
    const { init, f } = REDUCE[e.op];
    const t = e.dtype;
    return (env) => {
      let acc = init;
      const loop = (k: number): void => {
        if (k === axes.length) {
          if (!where || where(env)) acc = norm(f(acc, src(env)), t);
          return;
        }
        const a = axes[k];
        for (let v = a.min; v < a.min + a.extent; v++) {
          env[a.s] = v;
          loop(k + 1);
        }
      };
      loop(0);
      return norm(acc, t);
    };
  }
}

/** The values of `outputs`, given the contents of the placeholders they read. */
export function evaluate(outputs: readonly Tensor[], feed: (placeholder: Tensor) => HostTensor): HostTensor[] {
  const data = new Map<number, Float64Array>();
  for (const t of postOrder(outputs)) {
    if (t.op.kind === 'placeholder') {
      const h = feed(t);
      if (h.shape.length !== t.shape.length || h.shape.some((d, k) => d !== t.shape[k])) {
        throw new EvalError(`${t.name}: fed shape [${h.shape.join(', ')}], expected [${t.shape.join(', ')}]`);
      }
      data.set(t.id, Float64Array.from(tensorNumbers(h)));
      continue;
    }
    const c = new Compiler(data);
    const body = c.compile(t.op.body);
    const axes = t.op.axis.map((a) => c.slot(a.var.id));
    const env = new Float64Array(c.slots.size + 1);
    const out = new Float64Array(t.shape.reduce((a, b) => a * b, 1));
    const idx = new Array<number>(t.shape.length).fill(0);
    for (let flat = 0; flat < out.length; flat++) {
      for (let k = 0; k < axes.length; k++) env[axes[k]] = idx[k]!;
      out[flat] = norm(body(env), t.dtype);
      for (let k = idx.length - 1; k >= 0; k--) {
        if (++idx[k] < t.shape[k]) break;
        idx[k] = 0;
      }
    }
    data.set(t.id, out);
  }
  return outputs.map((t) => toHost(t, data.get(t.id)!));
}

function toHost(t: Tensor, values: Float64Array): HostTensor {
  if (t.dtype === 'int64') return tensorOf('int64', t.shape, Array.from(values, (v) => BigInt(Number.isFinite(v) ? v : 0)));
  return tensorOf(t.dtype, t.shape, Array.from(values));
}
