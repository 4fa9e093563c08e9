/**
 * @file Expressions in C. Scalars are plain C; vectors are GCC vector-extension values (see
 * vectors.ts), so `a + b * c` on float32x16 is one FMA on AVX-512. Integer results of int8/uint8
 * arithmetic are cast back to their width (C computes them in int); int32 and int64 wrap because
 * the file is built with -fwrapv. Operations with C-specific pitfalls (integer division, min/max,
 * rounding modes) go through the prelude's helpers.
 */

import type { DType } from '../../ir/dtype.js';
import { isFloat, isInt } from '../../ir/dtype.js';
import type { Binary, Buffer, Call, Cast, Expr, Load, Var } from '../../ir/expr.js';
import type { VectorLib } from './vectors.js';
import { SUFFIX, cFloatLiteral, cIntLiteral, laneBytes, physLanes, scalarType } from './types.js';

export interface CExprContext {
  readonly lib: VectorLib;
  ident(x: Var | Buffer): string;
  error(what: string): never;
}

/** The C type of a value of `lanes` lanes of `t`. */
export function cType(t: DType, lanes: number, lib: VectorLib): string {
  return lanes === 1 ? scalarType(t) : lib.type(t, lanes);
}

const INFIX = { add: '+', sub: '-', mul: '*' } as const;

function scalarBinary(op: Binary['op'], t: DType, a: string, b: string): string {
  const s = SUFFIX[t];
  switch (op) {
    case 'add':
    case 'sub':
    case 'mul':
      return t === 'int8' || t === 'uint8' ? `((${scalarType(t)})(${a} ${INFIX[op]} ${b}))` : `(${a} ${INFIX[op]} ${b})`;
    case 'div':
      return isFloat(t) ? `(${a} / ${b})` : `kiln_div_${s}(${a}, ${b})`;
    case 'mod':
      if (t === 'float32') return `fmodf(${a}, ${b})`;
      return t === 'float64' ? `fmod(${a}, ${b})` : `kiln_mod_${s}(${a}, ${b})`;
    default:
      return `kiln_${op}_${s}(${a}, ${b})`;
  }
}

/** The value of a positive integer constant, scalar or broadcast. */
function positiveConstant(e: Expr): number | undefined {
  const c = e.kind === 'broadcast' ? e.value : e;
  return c.kind === 'int' && c.value > 0 ? c.value : undefined;
}

/**
 * Integer division by a positive constant, the common case in index arithmetic: plain C division
 * (no zero or -1 divisor to guard), and for powers of two an arithmetic shift or a mask, which
 * round toward negative infinity exactly as floordiv/floormod do.
 */
function byPositiveConstant(e: Binary, a: string, c: number, cx: CExprContext): string | undefined {
  const t = e.dtype;
  const vec = e.lanes > 1;
  const k = Math.log2(c);
  const pow2 = Number.isInteger(k);
  const lit = vec ? String(c) : cIntLiteral(c, t);
  const narrow = (x: string): string => (!vec && (t === 'int8' || t === 'uint8') ? `((${scalarType(t)})${x})` : x);
  const helper = (op: 'floordivp' | 'floormodp'): string => {
    const call = (x: string): string => `kiln_${op}_${SUFFIX[t]}(${x}, ${lit})`;
    return vec ? `${cx.lib.lanewise(`${op}${c}`, t, e.lanes, 1, ([x = '']) => call(x))}(${a})` : call(a);
  };
  switch (e.op) {
    case 'div':
      return narrow(`(${a} / ${lit})`);
    case 'mod':
      return narrow(`(${a} % ${lit})`);
    case 'floordiv':
      if (pow2) return narrow(`(${a} >> ${k})`);
      return t === 'uint8' ? narrow(`(${a} / ${lit})`) : helper('floordivp');
    case 'floormod':
      if (pow2) return narrow(`(${a} & ${vec ? String(c - 1) : cIntLiteral(c - 1, t)})`);
      return t === 'uint8' ? narrow(`(${a} % ${lit})`) : helper('floormodp');
    default:
      return undefined;
  }
}

function binary(e: Binary, cx: CExprContext): string {
  const t = e.dtype;
  if (t === 'bool') cx.error(`arithmetic '${e.op}' on bool`);
  const a = cExpr(e.a, cx);
  const c = isInt(t) ? positiveConstant(e.b) : undefined;
  const fast = c === undefined ? undefined : byPositiveConstant(e, a, c, cx);
  if (fast !== undefined) return fast;
  const b = cExpr(e.b, cx);
  if (e.lanes === 1) return scalarBinary(e.op, t, a, b);
  if (e.op === 'add' || e.op === 'sub' || e.op === 'mul' || (e.op === 'div' && isFloat(t))) {
    return `(${a} ${e.op === 'div' ? '/' : INFIX[e.op]} ${b})`;
  }
  if (e.op === 'min' || e.op === 'max') return `${cx.lib.minMax(e.op, t, e.lanes)}(${a}, ${b})`;
  const fn = cx.lib.lanewise(e.op, t, e.lanes, 2, ([x = '', y = '']) => scalarBinary(e.op, t, x, y));
  return `${fn}(${a}, ${b})`;
}

const LIBM: Record<Exclude<Call['fn'], 'rsqrt' | 'sigmoid'>, string> = {
  exp: 'exp',
  log: 'log',
  sqrt: 'sqrt',
  tanh: 'tanh',
  erf: 'erf',
  pow: 'pow',
  abs: 'fabs',
  floor: 'floor',
  ceil: 'ceil',
  round: 'rint',
  sin: 'sin',
  cos: 'cos',
};

function scalarCall(fn: Call['fn'], t: DType, args: string[], cx: CExprContext): string {
  if (!isFloat(t)) {
    if (fn !== 'abs') cx.error(`math call '${fn}' on ${t}`);
    return `kiln_abs_${SUFFIX[t]}(${args[0]})`;
  }
  const own = fn === 'rsqrt' || fn === 'sigmoid' || (fn === 'exp' && t === 'float32');
  const name = own ? `kiln_${fn}_${SUFFIX[t]}` : `${LIBM[fn]}${t === 'float32' ? 'f' : ''}`;
  return `${name}(${args.join(', ')})`;
}

function call(e: Call, cx: CExprContext): string {
  const args = e.args.map((a) => cExpr(a, cx));
  if (e.lanes === 1) return scalarCall(e.fn, e.dtype, args, cx);
  const fn = cx.lib.lanewise(e.fn, e.dtype, e.lanes, args.length, (xs) => scalarCall(e.fn, e.dtype, xs, cx));
  return `${fn}(${args.join(', ')})`;
}

function scalarCast(from: DType, to: DType, v: string): string {
  if (to === 'bool') return `(${v} != 0)`;
  if (isFloat(from) && (to === 'int8' || to === 'uint8')) return `((${scalarType(to)})(int32_t)(${v}))`;
  return `((${scalarType(to)})(${v}))`;
}

/** Vector casts: lane-wise C conversions; masks become 1/0, floats reach 8 bits through int32. */
function vectorCast(e: Cast, v: string, cx: CExprContext): string {
  const from = e.value.dtype;
  const to = e.dtype;
  const T = cx.lib.type(to, e.lanes);
  if (to === 'bool') {
    const zero = `(${cx.lib.type(from, e.lanes)}){0}`;
    return laneBytes(from) === 4 ? `((${T})(${v} != ${zero}))` : `__builtin_convertvector(${v} != ${zero}, ${T})`;
  }
  if (from === 'bool') return `__builtin_convertvector(-(${v}), ${T})`;
  if (isFloat(from) && (to === 'int8' || to === 'uint8')) {
    return `__builtin_convertvector(__builtin_convertvector(${v}, ${cx.lib.type('int32', e.lanes)}), ${T})`;
  }
  return `__builtin_convertvector(${v}, ${T})`;
}

function compare(e: Expr & { kind: 'cmp' }, cx: CExprContext): string {
  const sym = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' }[e.op];
  const c = `(${cExpr(e.a, cx)} ${sym} ${cExpr(e.b, cx)})`;
  if (e.lanes === 1) return c;
  const B = cx.lib.type('bool', e.lanes);
  return laneBytes(e.a.dtype) === 4 ? `((${B})${c})` : `__builtin_convertvector(${c}, ${B})`;
}

function load(e: Load, cx: CExprContext): string {
  const buf = cx.ident(e.buffer);
  if (e.indices.length !== 1) cx.error(`load of ${buf} has ${e.indices.length} indices; codegen expects flattened buffers`);
  const idx = e.indices[0];
  if (!isInt(idx.dtype)) cx.error(`load of ${buf} has a ${idx.dtype} index`);
  const t = e.dtype;
  if (e.lanes === 1) return `${buf}[${cExpr(idx, cx)}]`;
  if (idx.kind === 'ramp') {
    const base = cExpr(idx.base, cx);
    if (idx.stride === 1 && physLanes(e.lanes) === e.lanes && t !== 'bool') return `(*(const ${cx.lib.type(t, e.lanes)} *)(${buf} + ${base}))`;
    return `${cx.lib.gather(t, e.lanes)}(${buf} + ${base}, ${idx.stride})`;
  }
  if (idx.kind === 'broadcast') return `${cx.lib.broadcast(t, e.lanes)}(${buf}[${cExpr(idx.value, cx)}])`;
  return `${cx.lib.gatherIndexed(t, e.lanes, idx.dtype)}(${buf}, ${cExpr(idx, cx)})`;
}

function rampValue(e: Expr & { kind: 'ramp' }, cx: CExprContext): string {
  const V = cx.lib.type(e.dtype, e.lanes);
  const steps = Array.from({ length: physLanes(e.lanes) }, (_, l) => l * e.stride).join(', ');
  return `(${cx.lib.broadcast(e.dtype, e.lanes)}(${cExpr(e.base, cx)}) + (${V}){${steps}})`;
}

export function cExpr(e: Expr, cx: CExprContext): string {
  const vec = e.lanes > 1;
  switch (e.kind) {
    case 'int':
      return cIntLiteral(e.value, e.dtype);
    case 'float':
      return cFloatLiteral(e.value, e.dtype === 'float64' ? 'float64' : 'float32');
    case 'var':
      return cx.ident(e);
    case 'binary':
      return binary(e, cx);
    case 'cmp':
      return compare(e, cx);
    case 'logic':
      return `(${cExpr(e.a, cx)} ${vec ? (e.op === 'and' ? '&' : '|') : e.op === 'and' ? '&&' : '||'} ${cExpr(e.b, cx)})`;
    case 'not':
      return `(${vec ? '~' : '!'}${cExpr(e.a, cx)})`;
    case 'select': {
      const [c, t, f] = [cExpr(e.cond, cx), cExpr(e.t, cx), cExpr(e.f, cx)];
      return e.cond.lanes > 1 ? `${cx.lib.select(e.dtype, e.lanes)}(${c}, ${t}, ${f})` : `(${c} ? ${t} : ${f})`;
    }
    case 'cast': {
      const v = cExpr(e.value, cx);
      return vec ? vectorCast(e, v, cx) : scalarCast(e.value.dtype, e.dtype, v);
    }
    case 'call':
      return call(e, cx);
    case 'load':
      return load(e, cx);
    case 'ramp':
      return vec ? rampValue(e, cx) : cExpr(e.base, cx);
    case 'broadcast':
      return vec ? `${cx.lib.broadcast(e.dtype, e.lanes)}(${cExpr(e.value, cx)})` : cExpr(e.value, cx);
    case 'let':
      return `({ const ${cType(e.v.dtype, e.v.lanes, cx.lib)} ${cx.ident(e.v)} = ${cExpr(e.value, cx)}; ${cExpr(e.body, cx)}; })`;
    case 'tensorRead':
    case 'reduce':
      return cx.error(`'${e.kind}' is a tensor-expression node; lower it before codegen`);
  }
}
