/**
 * @file Features of a lowered loop nest, for the learned cost model: one fixed-length vector per
 * PrimFunc. Like Ansor's, they describe each innermost statement — every buffer store — in the
 * loops around it: loop extents and kinds, float operations, vector lanes, and for every buffer it
 * touches, how many bytes it touches inside each enclosing loop (the product of the extents of the
 * loops its index depends on) and how often an element is reused (the loops it does not depend
 * on), and whether its innermost loops form a register tile (unrolled and vectorized loops whose
 * stores stay in registers across the loop around them) and how many flops it makes per load.
 * Stores are then aggregated: the heaviest store's features, the work-weighted mean over all
 * stores, and a few whole-function counts.
 * Magnitudes are log2(1 + x).
 *
 * Works on TIR straight from lowering (loops still marked vectorized/unrolled, multi-dimensional
 * accesses) and after the TIR passes (ramps, copied-out loops, flat accesses) alike; a model must
 * be trained and used on the same kind. The tuner uses the former: lowering is a tenth of the
 * cost of the passes.
 *
 *   const f = extractFeatures(lower(s, args, 'k'));   // Float64Array(FEATURE_NAMES.length)
 */

import { bytesOf, isFloat } from '../ir/dtype.js';
import { exprKey } from '../ir/equal.js';
import type { Buffer, Expr } from '../ir/expr.js';
import { visit } from '../ir/visit.js';
import type { For, PrimFunc, Stmt } from '../tir/stmt.js';

/** Loop levels (innermost first) at which touched bytes and intensity are measured. */
const LEVELS = 5;

const STORE_NAMES: readonly string[] = [
  'instances', // executions of the store, vector loops counted once
  'lanes',
  'flops_per_instance',
  'flops_total',
  'math_calls_per_instance',
  'depth',
  'serial_loops',
  'innermost_extent',
  'parallel_extent',
  'vector_extent',
  'unrolled_extent',
  'guards',
  'loads',
  'loads_local',
  'loads_global',
  'loads_contiguous',
  'loads_broadcast',
  'loads_strided',
  'store_local',
  'store_contiguous',
  'store_reduction', // the store reads what it writes: an accumulator
  ...Array.from({ length: LEVELS + 1 }, (_, l) => `bytes_level${l}`), // level LEVELS: the whole nest
  ...Array.from({ length: LEVELS + 1 }, (_, l) => `intensity_level${l}`),
  'reuse_min',
  'reuse_max',
  'reuse_inner_min', // reuse inside the innermost two loops
  'unique_bytes', // all buffers, whole nest
  'selects_per_instance', // bounds tests of an inlined pad, evaluated per execution
  'straight_body', // points of the unrolled and vectorized loops innermost: the straight-line body
  'register_tile', // points of those loops the store's index depends on: accumulators kept live
  'carried_accumulator', // the innermost serial loop does not index the store: it stays in registers across it
  'register_intensity', // flops of the straight-line body per distinct load in it (other than the store's own element)
];

const FUNC_NAMES: readonly string[] = [
  'stores',
  'loops',
  'flops',
  'allocations',
  'local_bytes',
  'local_bytes_max',
  'parallel_loops',
  'parallel_extent_max',
  'vector_loops',
  'unrolled_loops',
  'ifs',
];

/** The name of every position of the feature vector, in order. */
export const FEATURE_NAMES: readonly string[] = [
  ...FUNC_NAMES.map((n) => `func.${n}`),
  ...STORE_NAMES.map((n) => `top.${n}`),
  ...STORE_NAMES.map((n) => `mean.${n}`),
];

const lg = (x: number): number => Math.log2(1 + Math.max(0, x));

interface Loop {
  readonly id: number;
  readonly extent: number;
  readonly kind: For['forKind'];
}

interface Access {
  readonly buffer: Buffer;
  readonly indices: readonly Expr[];
}

/** Vars of `e`, with let-bound vars replaced by the vars of their values. */
function varsOf(e: Expr, lets: ReadonlyMap<number, ReadonlySet<number>>): Set<number> {
  const ids = new Set<number>();
  visit(e, (n) => {
    if (n.kind !== 'var') return;
    const through = lets.get(n.id);
    if (through) for (const v of through) ids.add(v);
    else ids.add(n.id);
  });
  return ids;
}

/** The constant coefficient of var `id` in `e`, or null when `e` is not linear in it. */
function coefficient(e: Expr, id: number): number | null {
  switch (e.kind) {
    case 'var':
      return e.id === id ? 1 : 0;
    case 'int':
    case 'float':
      return 0;
    case 'ramp':
      return coefficient(e.base, id);
    case 'broadcast':
      return coefficient(e.value, id);
    case 'binary': {
      const a = coefficient(e.a, id);
      const b = coefficient(e.b, id);
      if (a === null || b === null) return null;
      if (e.op === 'add') return a + b;
      if (e.op === 'sub') return a - b;
      if (e.op === 'mul') {
        if (e.b.kind === 'int') return a * e.b.value;
        if (e.a.kind === 'int') return b * e.a.value;
      }
      return a === 0 && b === 0 ? 0 : null;
    }
    default: {
      let uses = false;
      visit(e, (n) => void (n.kind === 'var' && n.id === id && (uses = true)));
      return uses ? null : 0;
    }
  }
}

/** The flat index's coefficient of var `id`: per-dimension coefficients times row-major strides. */
function flatStride(a: Access, id: number): number | null {
  let stride = 1;
  let total = 0;
  for (let d = a.indices.length - 1; d >= 0; d--) {
    const c = coefficient(a.indices[d], id);
    if (c === null) return null;
    total += c * (a.buffer.strides?.[d] ?? stride);
    stride *= a.buffer.shape[d] ?? 1;
  }
  return total;
}

function countOps(value: Expr): { flops: number; calls: number } {
  let flops = 0;
  let calls = 0;
  visit(value, (n) => {
    if (!isFloat(n.dtype)) return;
    if (n.kind === 'binary' || n.kind === 'select') flops += n.lanes;
    if (n.kind === 'call') calls += n.lanes;
  });
  return { flops, calls };
}

function loadsOf(value: Expr): Access[] {
  const out: Access[] = [];
  visit(value, (n) => void (n.kind === 'load' && out.push({ buffer: n.buffer, indices: n.indices })));
  return out;
}

function extentOf(f: For): number {
  return f.extent.kind === 'int' ? f.extent.value : 1;
}

function storeFeatures(s: { buffer: Buffer; indices: readonly Expr[]; value: Expr }, loops: readonly Loop[], guards: number, lets: ReadonlyMap<number, ReadonlySet<number>>): number[] {
  const prod = (ls: readonly Loop[]): number => ls.reduce((p, l) => p * l.extent, 1);
  const vectorLoops = loops.filter((l) => l.kind === 'vectorized');
  const vectorExtent = prod(vectorLoops);
  const lanes = s.value.lanes * vectorExtent;
  const instances = prod(loops) / vectorExtent;
  const { flops, calls } = countOps(s.value);
  const flopsPer = flops * vectorExtent;
  const serial = loops.filter((l) => l.kind === 'serial');
  // the loop whose stride matters most: the vector loop if any, else the innermost non-unit loop
  const inner = vectorLoops[vectorLoops.length - 1] ?? [...loops].reverse().find((l) => l.extent > 1);

  // the innermost unrolled and vectorized loops become one straight-line body around which the
  // innermost remaining loop runs; the elements that body stores to can live in registers
  let straight = loops.length;
  while (straight > 0 && (loops[straight - 1].kind === 'unrolled' || loops[straight - 1].kind === 'vectorized')) straight--;
  const storeVars = new Set<number>();
  for (const i of s.indices) for (const v of varsOf(i, lets)) storeVars.add(v);
  const body = loops.slice(straight);
  const around = straight > 0 ? loops[straight - 1] : undefined;
  let selects = 0;
  visit(s.value, (n) => void (n.kind === 'select' && selects++));

  const loads = loadsOf(s.value);
  const self: Access = { buffer: s.buffer, indices: s.indices };
  const accesses = [...loads, self];
  const bytesAt = new Array<number>(LEVELS + 1).fill(0);
  const reuse: number[] = [];
  const reuseInner: number[] = [];
  let unique = 0;
  const kinds = { contiguous: 0, broadcast: 0, strided: 0 };
  const seen = new Set<string>();
  for (const a of accesses) {
    const deps = new Set<number>();
    for (const i of a.indices) for (const v of varsOf(i, lets)) deps.add(v);
    const elem = bytesOf(a.buffer.dtype) * (a.indices.some((i) => i.lanes > 1) ? a.indices[a.indices.length - 1].lanes : 1);
    // the store itself and a load of the same element count once
    const key = `${a.buffer.id}:${a.indices.map(exprKey).join(',')}`;
    const dup = seen.has(key);
    seen.add(key);
    for (let l = 0; l <= LEVELS; l++) {
      const inside = l === LEVELS ? loops : loops.slice(Math.max(0, loops.length - 1 - l));
      if (!dup) bytesAt[l] += elem * prod(inside.filter((x) => deps.has(x.id)));
    }
    if (!dup) unique += elem * prod(loops.filter((x) => deps.has(x.id)));
    reuse.push(prod(loops.filter((x) => !deps.has(x.id))));
    reuseInner.push(prod(loops.slice(-2).filter((x) => !deps.has(x.id))));
    if (a === self) continue;
    const stride = inner ? flatStride(a, inner.id) : 0;
    if (stride === 0) kinds.broadcast++;
    else if (stride === 1 || (stride === null && a.indices.some((i) => i.kind === 'ramp' && i.stride === 1))) kinds.contiguous++;
    else kinds.strided++;
  }
  const storeStride = inner ? flatStride(self, inner.id) : 0;
  const reads = (b: Buffer): boolean => loads.some((a) => a.buffer.id === b.id);
  // a load in the straight body is made once per point of the body loops its index depends on
  // (a vector loop's points are one load); the loads of the stored element stay in registers
  const scalarBody = body.filter((l) => l.kind !== 'vectorized');
  const bodyLoads = loads.filter((a) => a.buffer.id !== s.buffer.id).reduce((n, a) => {
    const deps = new Set<number>();
    for (const i of a.indices) for (const v of varsOf(i, lets)) deps.add(v);
    return n + prod(scalarBody.filter((l) => deps.has(l.id)));
  }, 0);
  const intensity = bytesAt.map((b, l) => {
    const inside = l === LEVELS ? loops : loops.slice(Math.max(0, loops.length - 1 - l));
    return (flopsPer * prod(inside.filter((x) => x.kind !== 'vectorized'))) / Math.max(1, b);
  });
  return [
    lg(instances),
    lg(lanes),
    lg(flopsPer),
    lg(flopsPer * instances),
    lg(calls * vectorExtent),
    loops.length,
    serial.length,
    lg(inner?.extent ?? 1),
    lg(prod(loops.filter((l) => l.kind === 'parallel'))),
    lg(vectorExtent),
    lg(prod(loops.filter((l) => l.kind === 'unrolled'))),
    guards,
    loads.length,
    loads.filter((a) => a.buffer.scope !== 'global').length,
    loads.filter((a) => a.buffer.scope === 'global').length,
    kinds.contiguous,
    kinds.broadcast,
    kinds.strided,
    s.buffer.scope === 'global' ? 0 : 1,
    storeStride === 1 || s.indices.some((i) => i.kind === 'ramp') ? 1 : 0,
    reads(s.buffer) ? 1 : 0,
    ...bytesAt.map(lg),
    ...intensity.map(lg),
    lg(Math.min(...reuse)),
    lg(Math.max(...reuse)),
    lg(Math.min(...reuseInner)),
    lg(unique),
    selects,
    lg(prod(body)),
    lg(prod(body.filter((l) => storeVars.has(l.id)))),
    around && around.extent > 1 && !storeVars.has(around.id) ? 1 : 0,
    lg((flopsPer * prod(scalarBody)) / Math.max(1, bodyLoads)),
  ];
}

/** The feature vector of `func` (length FEATURE_NAMES.length). */
export function extractFeatures(func: PrimFunc): Float64Array {
  const stores: { features: number[]; work: number }[] = [];
  const counts = { loops: 0, allocations: 0, localBytes: 0, localMax: 0, parallel: 0, parallelMax: 0, vector: 0, unrolled: 0, ifs: 0 };
  const loops: Loop[] = [];
  const lets = new Map<number, ReadonlySet<number>>();
  let guards = 0;
  const walk = (s: Stmt): void => {
    switch (s.kind) {
      case 'for': {
        const extent = extentOf(s);
        counts.loops++;
        if (s.forKind === 'parallel') {
          counts.parallel++;
          counts.parallelMax = Math.max(counts.parallelMax, extent);
        }
        if (s.forKind === 'vectorized') counts.vector++;
        if (s.forKind === 'unrolled') counts.unrolled++;
        loops.push({ id: s.loopVar.id, extent, kind: s.forKind });
        walk(s.body);
        loops.pop();
        return;
      }
      case 'store': {
        const features = storeFeatures(s, loops, guards, lets);
        stores.push({ features, work: 2 ** features[3] + 2 ** features[0] });
        return;
      }
      case 'allocate': {
        counts.allocations++;
        const bytes = s.buffer.shape.reduce((p, d) => p * d, 1) * bytesOf(s.buffer.dtype);
        if (s.buffer.scope !== 'global') {
          counts.localBytes += bytes;
          counts.localMax = Math.max(counts.localMax, bytes);
        }
        walk(s.body);
        return;
      }
      case 'if':
        counts.ifs++;
        guards++;
        walk(s.then);
        if (s.otherwise) walk(s.otherwise);
        guards--;
        return;
      case 'let':
        lets.set(s.v.id, varsOf(s.value, lets));
        walk(s.body);
        return;
      case 'seq':
        s.body.forEach(walk);
        return;
      case 'attr':
      case 'assert':
        walk(s.body);
        return;
      case 'noop':
        return;
    }
  };
  walk(func.body);

  const out = new Float64Array(FEATURE_NAMES.length);
  const totalFlops = stores.reduce((p, s) => p + 2 ** s.features[3] - 1, 0);
  const func_ = [stores.length, counts.loops, totalFlops, counts.allocations, counts.localBytes, counts.localMax, counts.parallel, counts.parallelMax, counts.vector, counts.unrolled, counts.ifs];
  func_.forEach((v, k) => (out[k] = lg(v)));
  if (stores.length === 0) return out;
  const top = stores.reduce((a, b) => (b.work > a.work ? b : a));
  const n = STORE_NAMES.length;
  top.features.forEach((v, k) => (out[FUNC_NAMES.length + k] = v));
  const weight = stores.reduce((p, s) => p + s.work, 0);
  for (const s of stores) s.features.forEach((v, k) => (out[FUNC_NAMES.length + n + k] += (v * s.work) / weight));
  return out;
}
