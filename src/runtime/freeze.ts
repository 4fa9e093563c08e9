/**
 * @file Inputs that decide shapes. Some models take a shape, axes, sizes or scales as a runtime
 * input (Reshape's shape, ReduceSum's axes, Resize's scales, sizes and roi, TopK's k) where ops
 * need constants, so no kernel exists for shapes alone. For those models only, the executor
 * specializes on the values of the inputs that feed such operands: they become constants of the
 * specialized graph and their values join the cache key. A model that compiles from shapes
 * alone never has an input frozen.
 *
 * An input may be frozen when it is small (shape data, not token ids or pixels) and either an
 * integer (axes, pads, k: ops read those as constants in their computes too, where inference does
 * not show it) or, of any dtype, a value an op's type inference asks for as a constant depends on
 * it — through any ops but Shape and Size, whose results follow their input's shape alone:
 *
 *   %s: float32[4] = input;  %y = Resize(%x, , %s)   → %s is frozen (Resize reads its scales)
 *   %t: float32[4] = input;  %z = Add(%t, %t)        → %t is not (no op reads it as a constant)
 */

import type { Graph, Value } from '../graph/graph.js';
import type { HostTensor } from '../graph/tensor.js';
import { shapeSize } from '../graph/tensor.js';
import type { TensorType } from '../graph/types.js';
import { staticShape } from '../graph/types.js';
import { indexGraph } from '../graph/uses.js';
import { inferNode } from '../ops/index.js';

/** Inputs with at most this many elements may be frozen: shape data, not token ids. */
export const FREEZE_MAX_ELEMENTS = 64;

/** Ops whose outputs depend on their input's shape alone. */
const SHAPE_ONLY = new Set(['Shape', 'Size']);

/** The values that ops of `g` ask for as constants and that are not initializers. */
function wantedConstants(g: Graph): Value[] {
  const index = indexGraph(g);
  const types = new Map<number, TensorType | null>(g.inputs.map((v) => [v.id, v.type]));
  for (const i of g.initializers) types.set(i.value.id, i.value.type);
  const wanted: Value[] = [];
  for (const n of g.nodes) {
    const lookup = (i: number): HostTensor | null => {
      const v = n.inputs[i] ?? null;
      const t = v && (index.constant(v) ?? null);
      if (v !== null && t === null) wanted.push(v);
      return t;
    };
    let out: (TensorType | null)[] = [];
    try {
      out = inferNode(n, g.opsets.get(n.domain) ?? 1, n.inputs.map((v) => v && (types.get(v.id) ?? v.type)), lookup);
    } catch {
      // this node cannot be typed yet: what it asked for before failing is recorded all the same
    }
    n.outputs.forEach((v, k) => types.set(v.id, out[k] ?? null));
  }
  return wanted;
}

/** The positions of the inputs of `g` that may be frozen: small, and integers or feeding a value an op needs as a constant. */
export function freezableInputs(g: Graph): number[] {
  const index = indexGraph(g);
  const reached = new Set<number>();
  const visit = (v: Value): void => {
    if (reached.has(v.id)) return;
    reached.add(v.id);
    const n = index.producer(v);
    if (n && !SHAPE_ONLY.has(n.op)) for (const u of n.inputs) if (u) visit(u);
  };
  wantedConstants(g).forEach(visit);
  return g.inputs.flatMap((v, k) => {
    const shape = v.type && staticShape(v.type.shape);
    const integer = v.type?.dtype === 'int64' || v.type?.dtype === 'int32';
    return (integer || reached.has(v.id)) && shape && shapeSize(shape) <= FREEZE_MAX_ELEMENTS ? [k] : [];
  });
}

/**
 * `g` with the inputs at `frozen` turned into constants holding `feeds[k]`; the inputs must
 * already have the feeds' types (a value keeps its id and type when it becomes a constant).
 */
export function freezeInputs(g: Graph, frozen: readonly number[], feeds: readonly HostTensor[]): Graph {
  if (frozen.length === 0) return g;
  const set = new Set(frozen);
  const constants = frozen.map((k) => ({ value: g.inputs[k], tensor: feeds[k] }));
  return { ...g, inputs: g.inputs.filter((_, k) => !set.has(k)), initializers: [...g.initializers, ...constants] };
}

/** The part of the cache key the frozen inputs' values make. */
export function frozenKey(frozen: readonly number[], feeds: readonly HostTensor[]): string {
  return frozen.map((k) => `${k}=${Array.from(feeds[k].data, String).join(',')}`).join(';');
}
