/**
 * @file A tiny reference interpreter for TIR, used to check that each pass preserves meaning.
 *
 * Buffers are Float64Arrays whatever their dtype (values are rounded to the dtype on every
 * arithmetic result and store); vectors are plain arrays, one number per lane. Accesses are
 * bounds-checked per dimension, `select`s with a scalar condition evaluate only the taken branch,
 * vector-condition `select`s evaluate both (as vector code does), so an out-of-bounds vector load
 * introduced by a pass shows up as an `InterpError`.
 */

import type { DType } from '../../../src/ir/dtype.js';
import type { Buffer, Expr, MathFn } from '../../../src/ir/expr.js';
import type { PrimFunc, Stmt } from '../../../src/tir/stmt.js';

export class InterpError extends Error {
  override name = 'InterpError';
}

/** Raised by a failing `assert` statement. */
export class InterpAssert extends Error {
  override name = 'InterpAssert';
}

type Val = number | readonly number[];

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

/** Elements a buffer spans (the largest flat offset + 1). */
export function spanOf(b: Buffer): number {
  if (b.shape.some((d) => d === 0)) return 0;
  const strides = stridesOf(b);
  return 1 + b.shape.reduce((acc, d, k) => acc + (d - 1) * strides[k], 0);
}

function stridesOf(b: Buffer): readonly number[] {
  if (b.strides) return b.strides;
  const out: number[] = [];
  let s = 1;
  for (let k = b.shape.length - 1; k >= 0; k--) {
    out[k] = s;
    s *= b.shape[k];
  }
  return out;
}

const lanesOf = (v: Val): number => (typeof v === 'number' ? 1 : v.length);
const lane = (v: Val, l: number): number => (typeof v === 'number' ? v : v[l]);

function zip(vals: readonly Val[], f: (xs: number[]) => number): Val {
  const n = Math.max(...vals.map(lanesOf));
  if (vals.some((v) => lanesOf(v) !== 1 && lanesOf(v) !== n)) throw new InterpError('lanes mismatch');
  if (vals.every((v) => typeof v === 'number')) return f(vals as number[]);
  return Array.from({ length: n }, (_, l) => f(vals.map((v) => lane(v, l))));
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
  erf: (x) => Math.sign(x) * (1 - 1 / (1 + 0.278393 * Math.abs(x) + 0.230389 * x * x + 0.000972 * Math.abs(x) ** 3 + 0.078108 * x ** 4) ** 4),
  pow: Math.pow,
  abs: Math.abs,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  sin: Math.sin,
  cos: Math.cos,
};

function binop(op: string, a: number, b: number, t: DType): number {
  const int = t !== 'float32' && t !== 'float64';
  if (int && (op === 'div' || op === 'mod' || op === 'floordiv' || op === 'floormod') && b === 0) {
    throw new InterpError(`integer ${op} by zero`);
  }
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return t === 'int32' ? Math.imul(a, b) : a * b;
    case 'div': return int ? Math.trunc(a / b) : a / b;
    case 'mod': return a % b;
    case 'floordiv': return Math.floor(a / b);
    case 'floormod': return a - Math.floor(a / b) * b;
    case 'min': return Math.min(a, b);
    case 'max': return Math.max(a, b);
    case 'lt': return a < b ? 1 : 0;
    case 'le': return a <= b ? 1 : 0;
    case 'gt': return a > b ? 1 : 0;
    case 'ge': return a >= b ? 1 : 0;
    case 'eq': return a === b ? 1 : 0;
    case 'ne': return a !== b ? 1 : 0;
    case 'and': return a && b ? 1 : 0;
    case 'or': return a || b ? 1 : 0;
    default: throw new InterpError(`unknown op ${op}`);
  }
}

class Machine {
  private readonly env = new Map<number, Val>();
  private readonly mem = new Map<number, Float64Array>();

  constructor(f: PrimFunc, args: readonly Float64Array[]) {
    f.params.forEach((p, k) => {
      const a = args[k];
      if (!a || a.length !== spanOf(p)) throw new InterpError(`param ${p.name}: expected ${spanOf(p)} elements`);
      this.mem.set(p.id, a);
    });
  }

  /** Flat offsets of an access, one per lane; throws when a lane is out of bounds. */
  private offsets(b: Buffer, indices: readonly Expr[]): { mem: Float64Array; at: number[] } {
    const mem = this.mem.get(b.id);
    if (!mem) throw new InterpError(`buffer ${b.name} is not live`);
    const idx = indices.map((i) => this.eval(i));
    const n = Math.max(1, ...idx.map(lanesOf));
    const strides = stridesOf(b);
    const at = Array.from({ length: n }, (_, l) =>
      idx.reduce<number>((acc, v, k) => {
        const x = lane(v, l);
        if (!(x >= 0 && x < b.shape[k])) throw new InterpError(`${b.name}: index ${x} out of bounds in dimension ${k}`);
        return acc + x * strides[k];
      }, 0),
    );
    return { mem, at };
  }

  eval(e: Expr): Val {
    switch (e.kind) {
      case 'int':
      case 'float':
        return e.value;
      case 'var': {
        const v = this.env.get(e.id);
        if (v === undefined) throw new InterpError(`unbound variable ${e.name}`);
        return v;
      }
      case 'binary':
      case 'cmp':
      case 'logic': {
        const t = e.a.dtype;
        return zip([this.eval(e.a), this.eval(e.b)], ([a, b]) => norm(binop(e.op, a, b, t), e.dtype));
      }
      case 'not':
        return zip([this.eval(e.a)], ([a]) => (a ? 0 : 1));
      case 'select': {
        const c = this.eval(e.cond);
        if (typeof c === 'number') return c ? this.eval(e.t) : this.eval(e.f);
        return zip([c, this.eval(e.t), this.eval(e.f)], ([cc, t, f]) => (cc ? t : f));
      }
      case 'cast':
        return zip([this.eval(e.value)], ([v]) => norm(e.dtype === 'bool' || e.dtype.startsWith('float') ? v : Math.trunc(v), e.dtype));
      case 'call':
        return zip(e.args.map((a) => this.eval(a)), (xs) => norm(MATH[e.fn](...xs), e.dtype));
      case 'load': {
        const { mem, at } = this.offsets(e.buffer, e.indices);
        return at.length === 1 && e.lanes === 1 ? mem[at[0]] : at.map((o) => mem[o]);
      }
      case 'ramp': {
        const base = this.eval(e.base);
        if (typeof base !== 'number') throw new InterpError('ramp of a vector');
        return Array.from({ length: e.lanes }, (_, l) => base + l * e.stride);
      }
      case 'broadcast': {
        const v = this.eval(e.value);
        if (typeof v !== 'number') throw new InterpError('broadcast of a vector');
        return new Array<number>(e.lanes).fill(v);
      }
      case 'let':
        return this.withVar(e.v.id, this.eval(e.value), () => this.eval(e.body));
      case 'tensorRead':
      case 'reduce':
        throw new InterpError(`cannot interpret ${e.kind}`);
    }
  }

  private withVar<T>(id: number, v: Val, f: () => T): T {
    const old = this.env.get(id);
    this.env.set(id, v);
    try {
      return f();
    } finally {
      if (old === undefined) this.env.delete(id);
      else this.env.set(id, old);
    }
  }

  private scalar(e: Expr): number {
    const v = this.eval(e);
    if (typeof v !== 'number') throw new InterpError('expected a scalar');
    return v;
  }

  exec(s: Stmt): void {
    switch (s.kind) {
      case 'for': {
        const lo = this.scalar(s.min);
        const hi = lo + this.scalar(s.extent);
        for (let i = lo; i < hi; i++) this.withVar(s.loopVar.id, i, () => this.exec(s.body));
        return;
      }
      case 'store': {
        const { mem, at } = this.offsets(s.buffer, s.indices);
        const v = this.eval(s.value);
        if (lanesOf(v) !== at.length && lanesOf(v) !== 1) throw new InterpError(`store to ${s.buffer.name}: lanes mismatch`);
        at.forEach((o, l) => (mem[o] = norm(lane(v, l), s.buffer.dtype)));
        return;
      }
      case 'allocate': {
        const old = this.mem.get(s.buffer.id);
        this.mem.set(s.buffer.id, new Float64Array(spanOf(s.buffer)).fill(NaN));
        try {
          this.exec(s.body);
        } finally {
          if (old) this.mem.set(s.buffer.id, old);
          else this.mem.delete(s.buffer.id);
        }
        return;
      }
      case 'if':
        if (this.scalar(s.cond)) this.exec(s.then);
        else if (s.otherwise) this.exec(s.otherwise);
        return;
      case 'seq':
        for (const b of s.body) this.exec(b);
        return;
      case 'let':
        this.withVar(s.v.id, this.eval(s.value), () => this.exec(s.body));
        return;
      case 'assert':
        if (!this.scalar(s.cond)) throw new InterpAssert(s.message);
        this.exec(s.body);
        return;
      case 'attr':
        this.exec(s.body);
        return;
      case 'noop':
        return;
    }
  }
}

/** Runs `f` on `args` (one array per param, `spanOf(param)` long), writing results into them. */
export function runFunc(f: PrimFunc, args: readonly Float64Array[]): void {
  new Machine(f, args).exec(f.body);
}

/** A small deterministic generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random contents for every param of `f`: small integers for int buffers, floats otherwise. */
export function randomArgs(f: PrimFunc, seed: number): Float64Array[] {
  const r = rng(seed);
  return f.params.map((p) => {
    const a = new Float64Array(spanOf(p));
    for (let k = 0; k < a.length; k++) {
      const x = r() * 16 - 8;
      a[k] = norm(p.dtype === 'float32' || p.dtype === 'float64' ? x : Math.round(x), p.dtype);
    }
    return a;
  });
}

/**
 * Runs `before` and `after` on the same random inputs and returns both final states; callers
 * compare them. The params of `after` must correspond one to one (same order, same span).
 */
export function runBoth(before: PrimFunc, after: PrimFunc, seed: number): [Float64Array[], Float64Array[]] {
  const a = randomArgs(before, seed);
  const b = a.map((x) => x.slice());
  runFunc(before, a);
  runFunc(after, b);
  return [a, b];
}
