/**
 * @file The math functions a module needs, created on first use: float32 and float32x4 kernels
 * assembled by kiln (see kernels.ts), and float64 ones. float64 exp/log/tanh/pow/sin/cos import
 * the host's `Math` functions, which V8 recognises and calls natively; float64 sigmoid runs the
 * float64 exp kernel and float64 erf is assembled here from series that need no table.
 */

import type { FunctionBuilder, ModuleBuilder } from '../builder.js';
import type { FuncRef, Label, Local } from '../code.js';
import type { Num } from './emitter.js';
import { MathEmitter } from './emitter.js';
import type { Expr } from '../../../ir/expr.js';
import { erf, exp, log, pow, rootPow, sigmoid, sinCos, tanh } from './kernels.js';

export type KernelFn = 'exp' | 'log' | 'tanh' | 'sigmoid' | 'erf' | 'sin' | 'cos' | 'pow';
export type HostFn = 'exp' | 'log' | 'tanh' | 'pow' | 'sin' | 'cos';

export const HOST_FNS: ReadonlySet<string> = new Set<HostFn>(['exp', 'log', 'tanh', 'pow', 'sin', 'cos']);
/** The import module name of host math functions. */
export const HOST_MODULE = 'Math';

const arity = (fn: KernelFn): number => (fn === 'pow' ? 2 : 1);

/** float32 kernels computed in float64 and rounded once. */
const VIA_F64: ReadonlySet<KernelFn> = new Set<KernelFn>(['sin', 'cos', 'pow']);

function kernel(m: MathEmitter, fn: KernelFn, args: readonly Num[]): Num {
  const [x, y] = args as [Num, Num];
  switch (fn) {
    case 'exp':
      return exp(m, x);
    case 'log':
      return log(m, x);
    case 'tanh':
      return tanh(m, x);
    case 'sigmoid':
      return sigmoid(m, x);
    case 'erf':
      return erf(m, x);
    case 'sin':
      return sinCos(m, x, 0);
    case 'cos':
      return sinCos(m, x, 1);
    case 'pow':
      return pow(m, x, y);
  }
}

/** The constant float32 exponent `e` (a number or its broadcast) when `rootPow` computes pow with it. */
export function rootExponent(e: Expr): number | null {
  const v = e.kind === 'broadcast' ? e.value : e;
  return v.kind === 'float' && v.dtype === 'float32' && [0.25, 0.5, 0.75].includes(v.value) ? v.value : null;
}

export class MathLibrary {
  private readonly cache = new Map<string, FuncRef>();

  constructor(
    private readonly mb: ModuleBuilder,
    private readonly host: ReadonlyMap<HostFn, FuncRef>,
  ) {}

  /** Imports the host functions float64 calls need; must run before any function is defined. */
  static importHost(mb: ModuleBuilder, fns: Iterable<HostFn>): Map<HostFn, FuncRef> {
    const out = new Map<HostFn, FuncRef>();
    for (const fn of [...new Set(fns)].sort()) {
      const n = fn === 'pow' ? 2 : 1;
      out.set(fn, mb.importFunc(HOST_MODULE, fn, { params: Array<'f64'>(n).fill('f64'), results: ['f64'] }, `host_${fn}`));
    }
    return out;
  }

  private memo(key: string, make: () => FuncRef): FuncRef {
    let ref = this.cache.get(key);
    if (!ref) {
      ref = make();
      this.cache.set(key, ref);
    }
    return ref;
  }

  scalar(fn: KernelFn, dtype: 'float32' | 'float64'): FuncRef {
    if (dtype === 'float64') return this.f64(fn);
    return this.memo(`${fn}_f32`, () => (VIA_F64.has(fn) ? this.f32ViaF64(fn) : this.native(fn, 'f32')));
  }

  /** The float32x4 version: a SIMD kernel, or four calls of the scalar one for kernels run in float64. */
  vector(fn: KernelFn): FuncRef {
    return this.memo(`${fn}_f32x4`, () => (VIA_F64.has(fn) ? this.perLane(fn) : this.native(fn, 'f32x4')));
  }

  /** float32 x^y for a constant `y` that `rootExponent` accepts, as roots (scalar or float32x4). */
  rootPow(y: number, flavor: 'f32' | 'f32x4'): FuncRef {
    // the name holds the quarters of y, one of three (y is model data: never printed as it is)
    const name = `kiln_pow_${y * 4}q_${flavor}`;
    return this.memo(name, () => {
      const t = flavor === 'f32x4' ? 'v128' : 'f32';
      const fb = this.mb.func(name, { params: [t], results: [t] });
      const m = new MathEmitter(fb, flavor);
      m.push(rootPow(m, m.wrap(fb.params[0]), y));
      return fb.ref;
    });
  }

  private native(fn: KernelFn, flavor: 'f32' | 'f32x4' | 'f64'): FuncRef {
    const t = flavor === 'f32x4' ? 'v128' : flavor;
    const fb = this.mb.func(`kiln_${fn}_${flavor}`, { params: Array<typeof t>(arity(fn)).fill(t), results: [t] });
    const m = new MathEmitter(fb, flavor);
    m.push(kernel(m, fn, fb.params.map((p) => m.wrap(p))));
    return fb.ref;
  }

  private f32ViaF64(fn: KernelFn): FuncRef {
    const fb = this.mb.func(`kiln_${fn}_f32`, { params: Array<'f32'>(arity(fn)).fill('f32'), results: ['f32'] });
    const m = new MathEmitter(fb, 'f64');
    const args = fb.params.map((p) => {
      const wide = fb.local('f64');
      fb.code.localGet(p).op('f64.promote_f32').localSet(wide);
      return m.wrap(wide);
    });
    m.push(kernel(m, fn, args));
    fb.code.op('f32.demote_f64');
    return fb.ref;
  }

  private perLane(fn: KernelFn): FuncRef {
    const scalar = this.scalar(fn, 'float32');
    const fb = this.mb.func(`kiln_${fn}_f32x4`, { params: Array<'v128'>(arity(fn)).fill('v128'), results: ['v128'] });
    const c = fb.code;
    c.localGet(fb.params[0]);
    for (let lane = 0; lane < 4; lane++) {
      for (const p of fb.params) c.localGet(p).lane('f32x4.extract_lane', lane);
      c.call(scalar).lane('f32x4.replace_lane', lane);
    }
    return fb.ref;
  }

  /**
   * C fmod: a − trunc(a/b)·b computed in float64, then corrected by ±|b| when the quotient was
   * rounded across an integer, and given a's sign. Exact for float32 when |a/b| < 2^29; float64
   * results lose precision when the quotient needs more than 53 − log2|b| bits.
   */
  fmod(dtype: 'float32' | 'float64'): FuncRef {
    return this.memo(`fmod_${dtype}`, () => {
      const t = dtype === 'float32' ? 'f32' : 'f64';
      const fb = this.mb.func(`kiln_fmod_${t}`, { params: [t, t], results: [t] });
      const c = fb.code;
      const [a, b, r, sa] = [fb.local('f64'), fb.local('f64'), fb.local('f64'), fb.local('f64')];
      for (const [param, wide] of [[fb.params[0], a], [fb.params[1], b]] as const) {
        c.localGet(param);
        if (t === 'f32') c.op('f64.promote_f32');
        c.localSet(wide);
      }
      c.localGet(a).localGet(a).localGet(b).op('f64.div').op('f64.trunc').localGet(b).op('f64.mul').op('f64.sub').localSet(r);
      c.localGet(b).op('f64.abs').localGet(a).op('f64.copysign').localSet(sa);
      // quotient one too small: |r| ≥ |b|
      c.localGet(r).localGet(sa).op('f64.sub').localGet(r).localGet(r).op('f64.abs').localGet(sa).op('f64.abs').op('f64.ge').op('select').localSet(r);
      // quotient one too large: r and a have opposite signs
      c.localGet(r).localGet(sa).op('f64.add').localGet(r).localGet(r).localGet(a).op('f64.mul').f64Const(0).op('f64.lt').op('select').localSet(r);
      // a finite and b infinite: the result is a
      c.localGet(a).localGet(r).localGet(a).op('f64.copysign');
      c.localGet(b).op('f64.abs').f64Const(Infinity).op('f64.eq').localGet(a).op('f64.abs').f64Const(Infinity).op('f64.lt').op('i32.and');
      c.op('select');
      if (t === 'f32') c.op('f32.demote_f64');
      return fb.ref;
    });
  }

  private hostFn(fn: HostFn): FuncRef {
    const ref = this.host.get(fn);
    if (!ref) throw new Error(`wasm math: float64 ${fn} was not imported (the pre-scan missed it)`);
    return ref;
  }

  private f64(fn: KernelFn): FuncRef {
    if (fn === 'sigmoid') return this.memo('sigmoid_f64', () => this.native('sigmoid', 'f64'));
    if (fn === 'erf') return this.memo('erf_f64', () => this.erf64());
    return this.hostFn(fn);
  }

  /**
   * float64 erf: for |x| < 2 the series erf x = 2x/√π · e^{−x²} · Σ (2x²)^n / (1·3·…·(2n+1)),
   * whose terms are all positive, with x² split exactly into hi + lo; for 2 ≤ |x| < 6 the
   * continued fraction of erfc evaluated backwards from depth 60; 1 beyond. Relative error
   * below 2e−15 (about 10 float64 ulps).
   */
  private erf64(): FuncRef {
    const hostExp = this.hostFn('exp');
    const fb = this.mb.func('kiln_erf_f64', { params: ['f64'], results: ['f64'] });
    const c = fb.code;
    const x = fb.params[0];
    const ax = fb.local('f64');
    const res = fb.local('f64');
    c.localGet(x).op('f64.abs').localSet(ax);
    c.f64Const(1).localSet(res);
    c.localGet(ax).f64Const(2).op('f64.lt');
    c.if(null, () => this.erfSeries(fb, ax, res, hostExp), () => {
      c.localGet(ax).f64Const(6).op('f64.lt');
      c.if(null, () => this.erfContinuedFraction(fb, ax, res, hostExp));
    });
    // copysign keeps erf odd; a NaN fails both range tests above and is passed through here
    c.localGet(x).localGet(res).localGet(x).op('f64.copysign');
    c.localGet(x).localGet(x).op('f64.ne').op('select');
    return fb.ref;
  }

  private erfSeries(fb: FunctionBuilder, ax: Local, res: Local, hostExp: FuncRef): void {
    const c = fb.code;
    const [hi, lo, t, term, sum, n] = [fb.local('f64'), fb.local('f64'), fb.local('f64'), fb.local('f64'), fb.local('f64'), fb.local('f64')];
    // Veltkamp split: hi has 26 bits, so hi·hi and 2·hi·lo are exact
    c.localGet(ax).f64Const(134217729).op('f64.mul').localTee(hi).localGet(hi).localGet(ax).op('f64.sub').op('f64.sub').localSet(hi);
    c.localGet(ax).localGet(hi).op('f64.sub').localSet(lo);
    c.f64Const(2).localGet(ax).op('f64.mul').localGet(ax).op('f64.mul').localSet(t);
    c.f64Const(1).localTee(term).localSet(sum);
    c.f64Const(0).localSet(n);
    c.loop(null, (top: Label) => {
      c.localGet(n).f64Const(1).op('f64.add').localSet(n);
      c.localGet(term).localGet(t).op('f64.mul').localGet(n).f64Const(2).op('f64.mul').f64Const(1).op('f64.add').op('f64.div').localSet(term);
      c.localGet(sum).localGet(term).op('f64.add').localSet(sum);
      c.localGet(term).localGet(sum).f64Const(2 ** -56).op('f64.mul').op('f64.gt').brIf(top);
    });
    // e^{−x²} = e^{−hi²} · e^{−(2·hi·lo + lo²)} ≈ e^{−hi²} · (1 − (2·hi·lo + lo²))
    c.localGet(hi).localGet(hi).op('f64.mul').op('f64.neg').call(hostExp);
    c.f64Const(1).f64Const(2).localGet(hi).op('f64.mul').localGet(lo).op('f64.mul').localGet(lo).localGet(lo).op('f64.mul').op('f64.add').op('f64.sub');
    c.op('f64.mul').localGet(sum).op('f64.mul').localGet(ax).op('f64.mul').f64Const(2 / Math.sqrt(Math.PI)).op('f64.mul').localSet(res);
  }

  private erfContinuedFraction(fb: FunctionBuilder, ax: Local, res: Local, hostExp: FuncRef): void {
    const c = fb.code;
    const [f, k] = [fb.local('f64'), fb.local('f64')];
    c.localGet(ax).localSet(f);
    c.f64Const(60).localSet(k);
    c.loop(null, (top: Label) => {
      c.localGet(ax).localGet(k).f64Const(0.5).op('f64.mul').localGet(f).op('f64.div').op('f64.add').localSet(f);
      c.localGet(k).f64Const(1).op('f64.sub').localTee(k).f64Const(0).op('f64.gt').brIf(top);
    });
    c.f64Const(1);
    c.localGet(ax).localGet(ax).op('f64.mul').op('f64.neg').call(hostExp);
    c.localGet(f).f64Const(Math.sqrt(Math.PI)).op('f64.mul').op('f64.div').op('f64.sub').localSet(res);
  }
}
