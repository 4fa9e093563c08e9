/**
 * @file Vector types and the small helpers the C printer calls for vector work that GCC's vector
 * extensions have no operator for: broadcast, gathers and scatters (and contiguous access to
 * padded or boolean vectors), select, min/max, and lane-wise calls. Each is generated the first
 * time a kernel needs it and printed once per file; all are `static inline`, so at -O3 they
 * disappear into the caller (a broadcast feeding an FMA becomes an embedded broadcast operand).
 *
 * Typedefs carry the lane's alignment, not the vector's, so `*(const kiln_f32x8 *)(p + i)` is an
 * unaligned vector load from any element address.
 */

import type { DType } from '../../ir/dtype.js';
import { MASK_OF, SUFFIX, laneBytes, laneType, physLanes, scalarType, vectorTypeName } from './types.js';

/** `kiln_f32x8` → `f32x8`, the part helper names share with their type. */
const tag = (vectorType: string): string => vectorType.slice('kiln_'.length);

const lanesLoop = (n: number, body: string): string => `for (int l = 0; l < ${n}; ++l) ${body}`;

export class VectorLib {
  private readonly types = new Map<string, string>();
  private readonly funcs = new Map<string, string>();

  /** The vector type for `lanes` lanes of `t`, declared on first use. */
  type(t: DType, lanes: number): string {
    const name = vectorTypeName(t, lanes);
    if (!this.types.has(name)) {
      const p = physLanes(lanes);
      const bytes = laneBytes(t);
      this.types.set(name, `typedef ${laneType(t)} ${name} __attribute__((vector_size(${p * bytes}), aligned(${bytes})));`);
    }
    return name;
  }

  /** Typedefs, then helpers, in the order they were first needed. */
  text(): string {
    return [...this.types.values(), ...this.funcs.values()].join('\n');
  }

  private define(name: string, make: () => string): string {
    if (!this.funcs.has(name)) this.funcs.set(name, make());
    return name;
  }

  /** All lanes equal to a scalar (a bool scalar becomes a -1/0 mask). */
  broadcast(t: DType, lanes: number): string {
    const V = this.type(t, lanes);
    return this.define(`kiln_bcast_${tag(V)}`, () => {
      const x = t === 'bool' ? 'm' : 'x';
      const conv = t === 'bool' ? 'int32_t m = -(int32_t)(x != 0); ' : '';
      const all = Array.from({ length: physLanes(lanes) }, () => x).join(', ');
      return `static inline ${V} kiln_bcast_${tag(V)}(${scalarType(t)} x) { ${conv}return (${V}){${all}}; }`;
    });
  }

  /** Lane l from p[l * s]; lanes past `lanes` (padding) are zero. */
  gather(t: DType, lanes: number): string {
    const V = this.type(t, lanes);
    const name = `kiln_gather_${SUFFIX[t]}x${lanes}`;
    return this.define(name, () => {
      const init = physLanes(lanes) > lanes ? ' = {0}' : '';
      const read = t === 'bool' ? '-(int32_t)(p[l * s] != 0)' : 'p[l * s]';
      return `static inline ${V} ${name}(const ${scalarType(t)} *p, int64_t s) { ${V} r${init}; ${lanesLoop(lanes, `r[l] = ${read};`)} return r; }`;
    });
  }

  scatter(t: DType, lanes: number): string {
    const V = this.type(t, lanes);
    const name = `kiln_scatter_${SUFFIX[t]}x${lanes}`;
    return this.define(name, () => {
      const val = t === 'bool' ? '(uint8_t)(v[l] & 1)' : 'v[l]';
      return `static inline void ${name}(${scalarType(t)} *p, int64_t s, ${V} v) { ${lanesLoop(lanes, `p[l * s] = ${val};`)} }`;
    });
  }

  /** Lane l from p[i[l]] for a vector of indices of dtype `it`. */
  gatherIndexed(t: DType, lanes: number, it: DType): string {
    const V = this.type(t, lanes);
    const I = this.type(it, lanes);
    const name = `kiln_gatherv_${SUFFIX[t]}x${lanes}_${SUFFIX[it]}`;
    return this.define(name, () => {
      const init = physLanes(lanes) > lanes ? ' = {0}' : '';
      const read = t === 'bool' ? '-(int32_t)(p[i[l]] != 0)' : 'p[i[l]]';
      return `static inline ${V} ${name}(const ${scalarType(t)} *p, ${I} i) { ${V} r${init}; ${lanesLoop(lanes, `r[l] = ${read};`)} return r; }`;
    });
  }

  scatterIndexed(t: DType, lanes: number, it: DType): string {
    const V = this.type(t, lanes);
    const I = this.type(it, lanes);
    const name = `kiln_scatterv_${SUFFIX[t]}x${lanes}_${SUFFIX[it]}`;
    return this.define(name, () => {
      const val = t === 'bool' ? '(uint8_t)(v[l] & 1)' : 'v[l]';
      return `static inline void ${name}(${scalarType(t)} *p, ${I} i, ${V} v) { ${lanesLoop(lanes, `p[i[l]] = ${val};`)} }`;
    });
  }

  /** Bitwise blend: lanes of `t` where the mask is set, of `f` elsewhere. */
  select(t: DType, lanes: number): string {
    const V = this.type(t, lanes);
    const B = this.type('bool', lanes);
    const M = this.type(MASK_OF[t], lanes);
    return this.define(`kiln_select_${tag(V)}`, () => {
      const m = M === B ? 'c' : `__builtin_convertvector(c, ${M})`;
      return `static inline ${V} kiln_select_${tag(V)}(${B} c, ${V} t, ${V} f) { ${M} m = ${m}; return (${V})(((${M})t & m) | ((${M})f & ~m)); }`;
    });
  }

  /** min/max with the scalar rule (b < a ? b : a), written as a blend GCC maps to min/max. */
  minMax(op: 'min' | 'max', t: DType, lanes: number): string {
    const V = this.type(t, lanes);
    const M = this.type(MASK_OF[t], lanes);
    return this.define(`kiln_${op}_${tag(V)}`, () => {
      const [take, keep, cond] = op === 'max' ? ['b', 'a', 'a < b'] : ['b', 'a', 'b < a'];
      return `static inline ${V} kiln_${op}_${tag(V)}(${V} a, ${V} b) { ${M} m = (${M})(${cond}); return (${V})(((${M})${take} & m) | ((${M})${keep} & ~m)); }`;
    });
  }

  /** A lane-by-lane application of a scalar C expression over every physical lane. */
  lanewise(op: string, t: DType, lanes: number, arity: number, scalar: (args: string[]) => string): string {
    const V = this.type(t, lanes);
    const name = `kiln_${op}_${tag(V)}`;
    return this.define(name, () => {
      const names = ['a', 'b', 'c'].slice(0, arity);
      const params = names.map((n) => `${V} ${n}`).join(', ');
      const body = lanesLoop(physLanes(lanes), `r[l] = ${scalar(names.map((n) => `${n}[l]`))};`);
      return `static inline ${V} ${name}(${params}) { ${V} r; ${body} return r; }`;
    });
  }
}
