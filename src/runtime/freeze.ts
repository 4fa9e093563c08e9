/**
 * @file Inputs that decide shapes. Some models take a shape, axes or sizes as a runtime input
 * (Reshape's shape, ReduceSum's axes, Resize's sizes, TopK's k) where ops need constants, so no
 * kernel exists for shapes alone. For those models only, the executor specializes on the values
 * of the small integer inputs too: they become constants of the specialized graph and their
 * values join the cache key. A model that compiles from shapes alone never has an input frozen
 * (and a float input, such as Resize's scales, never is).
 */

import type { Graph } from '../graph/graph.js';
import type { HostTensor } from '../graph/tensor.js';
import { shapeSize } from '../graph/tensor.js';
import { staticShape } from '../graph/types.js';

/** Integer inputs with at most this many elements may be frozen: shape data, not token ids. */
export const FREEZE_MAX_ELEMENTS = 64;

/** The positions of the inputs of `g` that may hold shape data: small integer tensors, by their declared types. */
export function freezableInputs(g: Graph): number[] {
  return g.inputs.flatMap((v, k) => {
    const shape = v.type && staticShape(v.type.shape);
    const integer = v.type?.dtype === 'int64' || v.type?.dtype === 'int32';
    return integer && shape && shapeSize(shape) <= FREEZE_MAX_ELEMENTS ? [k] : [];
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
