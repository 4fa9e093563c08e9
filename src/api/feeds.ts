/**
 * @file Between the API's tensors and the runtime's: feeds as callers give them (a kiln Tensor
 * or any object shaped like onnxruntime's) become host tensors, checked, with a SessionError
 * naming the feed; outputs become Tensors by name. `InferenceSession` and `SavedSession` share it.
 */

import { GraphError } from '../graph/errors.js';
import type { HostTensor } from '../graph/tensor.js';
import { hostTensor, isDType } from '../graph/tensor.js';
import { quote } from '../graph/text.js';
import { SessionError } from '../runtime/errors.js';
import type { Fetch } from '../runtime/steps.js';
import type { TensorData } from './tensor.js';
import { Tensor, fromHostTensor, toHostTensor } from './tensor.js';

/** What `run` accepts per feed: a kiln Tensor or any tensor of the same shape (onnxruntime's). */
export interface TensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

export type Feeds = Readonly<Record<string, TensorLike>>;
export type Outputs = Record<string, Tensor>;
/** Tensors to write outputs into, by output name (onnxruntime's preallocated `fetches`). */
export type Fetches = Readonly<Record<string, TensorLike>>;

/** One host tensor per input name, in order; unknown and missing feeds are SessionErrors. */
export function orderFeeds(inputNames: readonly string[], feeds: Feeds): HostTensor[] {
  const known = new Set(inputNames);
  const names = inputNames.map(quote).join(', ');
  for (const name of Object.keys(feeds)) {
    if (!known.has(name)) throw new SessionError(`feed ${quote(name)}`, `the model has no input of that name (its inputs: ${names})`);
  }
  return inputNames.map((name) => {
    if (!Object.hasOwn(feeds, name)) throw new SessionError(`feed ${quote(name)}`, `is missing (the model's inputs: ${names})`);
    return hostFeed(`feed ${quote(name)}`, feeds[name]);
  });
}

/**
 * Caller-owned output tensors by output name, in output order (`names[k]` for output k; null where
 * none is given): a name may be listed twice among the outputs, and both then go to one tensor.
 */
export function orderFetches(names: readonly string[], fetches: Fetches): (Fetch | null)[] {
  const known = new Set(names);
  for (const name of Object.keys(fetches)) {
    if (!known.has(name)) throw new SessionError(`fetch ${quote(name)}`, `the model has no output of that name (its outputs: ${[...known].map(quote).join(', ')})`);
  }
  const host = new Map(Object.keys(fetches).map((name) => [name, hostFeed(`fetch ${quote(name)}`, fetches[name])]));
  return names.map((name) => {
    const tensor = host.get(name);
    return tensor ? { name, tensor } : null;
  });
}

/** Outputs by name (`names[k]` for `outputs[k]`). */
export function namedOutputs(names: readonly string[], outputs: readonly HostTensor[]): Outputs {
  const out: Outputs = {};
  // defineProperty: a model may name an output `__proto__`, which plain assignment would not store
  names.forEach((name, k) => {
    Object.defineProperty(out, name, { value: fromHostTensor(outputs[k]), enumerable: true, writable: true, configurable: true });
  });
  return out;
}

function hostFeed(where: string, t: TensorLike | undefined): HostTensor {
  if (t === null || typeof t !== 'object') throw new SessionError(where, 'is not a tensor');
  if (t instanceof Tensor) return toHostTensor(t);
  if (typeof t.type !== 'string' || !isDType(t.type)) throw new SessionError(where, `has unsupported element type ${quote(String(t.type))}`);
  if (!Array.isArray(t.dims)) throw new SessionError(where, 'has no dims');
  try {
    return hostTensor(t.type, t.dims, t.data as TensorData);
  } catch (e) {
    if (e instanceof GraphError) throw new SessionError(where, e.detail);
    throw e;
  }
}
