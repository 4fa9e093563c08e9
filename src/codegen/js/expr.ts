/**
 * @file Expressions in JavaScript, one vector lane at a time. Lane `l` of any IR expression
 * depends only on lane `l` of its vector operands (ramps and broadcasts are the only places lanes
 * are made), so scalarizing is a walk that carries the lane number.
 *
 * Numbers are JavaScript doubles; every result is brought back to its dtype the way C would:
 * `Math.fround` after float32 operations (exact for + - * / sqrt, because a double holds a
 * float32 product exactly and rounding twice is harmless at these widths), `| 0` or `Math.imul`
 * for int32 wrap-around, shifts or masks for int8/uint8. int64 is kept in doubles (see
 * backend.ts). Booleans are any truthy value; comparisons of booleans go through `+`.
 */

import type { DType } from '../../ir/dtype.js';
import { isFloat } from '../../ir/dtype.js';
import type { Binary, Buffer, Call, Cast, Expr, Var } from '../../ir/expr.js';

/** What the expression printer needs from the statement printer around it. */
export interface JsExprContext {
  ident(x: Var | Buffer): string;
  /** true for vector variables bound as arrays (one element per lane) */
  isArray(v: Var): boolean;
  error(what: string): never;
}

export function jsLiteral(value: number, dtype: DType): string {
  if (dtype === 'bool') return value ? '1' : '0';
  const v = dtype === 'float32' ? Math.fround(value) : value;
  if (Object.is(v, -0)) return '(-0)';
  const s = String(v);
  return v < 0 ? `(${s})` : s;
}

/** Brings a JavaScript number back into the range of `dtype`. */
function wrap(dtype: DType, s: string): string {
  switch (dtype) {
    case 'int8':
      return `(${s} << 24 >> 24)`;
    case 'uint8':
      return `(${s} & 255)`;
    case 'int32':
      return `(${s} | 0)`;
    case 'float32':
      return `kiln_fround(${s})`;
    default:
      return s;
  }
}

function binary(e: Binary, a: string, b: string, cx: JsExprContext): string {
  const t = e.dtype;
  if (t === 'bool') cx.error(`arithmetic '${e.op}' on bool`);
  const narrow = t === 'int8' || t === 'uint8';
  switch (e.op) {
    case 'add':
      return wrap(t, `(${a} + ${b})`);
    case 'sub':
      return wrap(t, `(${a} - ${b})`);
    case 'mul':
      if (t === 'int32') return `kiln_imul(${a}, ${b})`;
      return narrow ? wrap(t, `kiln_imul(${a}, ${b})`) : wrap(t, `(${a} * ${b})`);
    case 'div':
      if (isFloat(t)) return wrap(t, `(${a} / ${b})`);
      if (t === 'int64') return `kiln_divI64(${a}, ${b})`;
      return t === 'int8' ? wrap(t, `kiln_divI32(${a}, ${b})`) : `kiln_divI32(${a}, ${b})`;
    case 'mod':
      if (isFloat(t)) return `(${a} % ${b})`;
      return t === 'int64' ? `kiln_modI64(${a}, ${b})` : `kiln_modI32(${a}, ${b})`;
    case 'floordiv':
      if (isFloat(t)) return t === 'float32' ? `Math.floor(kiln_fround(${a} / ${b}))` : `Math.floor(${a} / ${b})`;
      if (t === 'int64') return `kiln_floordivI64(${a}, ${b})`;
      return t === 'int8' ? wrap(t, `kiln_floordivI32(${a}, ${b})`) : `kiln_floordivI32(${a}, ${b})`;
    case 'floormod':
      return isFloat(t) ? wrap(t, `kiln_floormodF(${a}, ${b})`) : `kiln_floormodInt(${a}, ${b})`;
    case 'min':
      return `kiln_min(${a}, ${b})`;
    case 'max':
      return `kiln_max(${a}, ${b})`;
  }
}

const F64_MATH: Record<Call['fn'], (x: string, y: string) => string> = {
  exp: (x) => `Math.exp(${x})`,
  log: (x) => `Math.log(${x})`,
  sqrt: (x) => `Math.sqrt(${x})`,
  rsqrt: (x) => `(1 / Math.sqrt(${x}))`,
  tanh: (x) => `Math.tanh(${x})`,
  sigmoid: (x) => `(1 / (1 + Math.exp(-${x})))`,
  erf: (x) => `kiln_erf(${x})`,
  pow: (x, y) => `Math.pow(${x}, ${y})`,
  abs: (x) => `Math.abs(${x})`,
  floor: (x) => `Math.floor(${x})`,
  ceil: (x) => `Math.ceil(${x})`,
  round: (x) => `kiln_roundEven(${x})`,
  sin: (x) => `Math.sin(${x})`,
  cos: (x) => `Math.cos(${x})`,
};

/** float32 versions round where C rounds (after each float32 operation). */
const F32_MATH: Partial<Record<Call['fn'], (x: string) => string>> = {
  rsqrt: (x) => `kiln_fround(1 / kiln_fround(Math.sqrt(${x})))`,
  sigmoid: (x) => `kiln_fround(1 / kiln_fround(1 + kiln_fround(Math.exp(-${x}))))`,
};

function mathCall(e: Call, args: string[], cx: JsExprContext): string {
  const [x = '', y = ''] = args;
  if (!isFloat(e.dtype)) {
    if (e.fn !== 'abs') cx.error(`math call '${e.fn}' on ${e.dtype}`);
    return e.dtype === 'int64' ? `Math.abs(${x})` : wrap(e.dtype, `Math.abs(${x})`);
  }
  if (e.dtype === 'float64') return F64_MATH[e.fn](x, y);
  return F32_MATH[e.fn]?.(x) ?? wrap('float32', F64_MATH[e.fn](x, y));
}

function cast(e: Cast, v: string): string {
  const from = e.value.dtype;
  const to = e.dtype;
  if (to === 'bool') return from === 'bool' ? v : `(${v} !== 0 ? 1 : 0)`;
  if (from === 'bool') return `(${v} ? 1 : 0)`;
  if (isFloat(to)) return to === 'float32' && from !== 'float32' ? `kiln_fround(${v})` : v;
  if (isFloat(from)) {
    if (to === 'int64') return `kiln_f2i64(${v})`;
    return to === 'int32' ? `kiln_f2i32(${v})` : wrap(to, `kiln_f2i32(${v})`);
  }
  if (to === 'int64' || (to === 'int32' && from !== 'int64')) return v;
  return wrap(to, v);
}

const CMP = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' } as const;

/** Lane `lane` of `e` (scalars ignore the lane). */
export function jsExpr(e: Expr, lane: number, cx: JsExprContext): string {
  const l = e.lanes === 1 ? 0 : lane;
  const sub = (x: Expr): string => jsExpr(x, l, cx);
  switch (e.kind) {
    case 'int':
    case 'float':
      return jsLiteral(e.value, e.dtype);
    case 'var':
      return cx.isArray(e) ? `${cx.ident(e)}[${l}]` : cx.ident(e);
    case 'binary':
      return binary(e, sub(e.a), sub(e.b), cx);
    case 'cmp': {
      const bools = e.a.dtype === 'bool';
      const [a, b] = bools ? [`+${sub(e.a)}`, `+${sub(e.b)}`] : [sub(e.a), sub(e.b)];
      return `(${a} ${CMP[e.op]} ${b})`;
    }
    case 'logic':
      return `(${sub(e.a)} ${e.op === 'and' ? '&&' : '||'} ${sub(e.b)})`;
    case 'not':
      return `!${sub(e.a)}`;
    case 'select':
      return `(${sub(e.cond)} ? ${sub(e.t)} : ${sub(e.f)})`;
    case 'cast':
      return cast(e, sub(e.value));
    case 'call':
      return mathCall(e, e.args.map(sub), cx);
    case 'load': {
      if (e.indices.length !== 1) cx.error(`load of ${cx.ident(e.buffer)} has ${e.indices.length} indices; codegen expects flattened buffers`);
      const read = `${cx.ident(e.buffer)}[${sub(e.indices[0])}]`;
      return e.dtype === 'int64' ? `Number(${read})` : read;
    }
    case 'ramp': {
      const base = sub(e.base);
      const step = l * e.stride;
      if (step === 0) return base;
      return e.dtype === 'int64' ? `(${base} + ${step})` : wrap(e.dtype, `(${base} + ${step})`);
    }
    case 'broadcast':
      return sub(e.value);
    case 'let':
      return `((${cx.ident(e.v)}) => ${sub(e.body)})(${sub(e.value)})`;
    case 'tensorRead':
    case 'reduce':
      return cx.error(`'${e.kind}' is a tensor-expression node; lower it before codegen`);
  }
}
