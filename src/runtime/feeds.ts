/**
 * @file Checking feeds against a graph's inputs before anything runs. A kernel trusts the shapes
 * it was specialized to, so a feed of the wrong dtype or shape must be stopped here, with a
 * message naming the feed and what was expected. Symbolic dims bind on first sight: `batch` in
 * two inputs must get the same size from both.
 */

import type { Value } from '../graph/graph.js';
import type { HostTensor } from '../graph/tensor.js';
import { quote } from '../graph/text.js';
import { isUnknownDim, printDim, printType } from '../graph/types.js';
import type { ConcreteType } from '../ops/index.js';
import { SessionError } from './errors.js';

export function feedLabel(v: Value): string {
  return `feed ${quote(v.name)}`;
}

function showShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * The concrete type of each input, from `feeds` (one per input, in order). Throws a SessionError
 * naming the feed when its dtype, rank or a dim disagrees with the input's declared type.
 */
export function checkFeeds(inputs: readonly Value[], feeds: readonly HostTensor[]): ConcreteType[] {
  const bound = new Map<string, { size: number; from: Value }>();
  return inputs.map((v, k) => {
    const feed = feeds[k];
    const where = feedLabel(v);
    const t = v.type;
    if (t === null) return { dtype: feed.dtype, shape: feed.shape };
    if (feed.dtype !== t.dtype) throw new SessionError(where, `expected a ${t.dtype} tensor, got ${feed.dtype}`);
    const mismatch = (): SessionError => new SessionError(where, `expected shape ${printType(t).slice(t.dtype.length)}, got ${showShape(feed.shape)}`);
    if (feed.shape.length !== t.shape.length) throw mismatch();
    t.shape.forEach((d, i) => {
      const got = feed.shape[i];
      if (typeof d === 'number') {
        if (d !== got) throw mismatch();
        return;
      }
      if (isUnknownDim(d)) return;
      const prior = bound.get(d);
      if (prior === undefined) bound.set(d, { size: got, from: v });
      else if (prior.size !== got) {
        const other = prior.from === v ? 'an earlier dimension' : quote(prior.from.name);
        throw new SessionError(where, `dimension ${i} is ${printDim(d)} = ${prior.size} (from ${other}), got ${got}`);
      }
    });
    return { dtype: feed.dtype, shape: feed.shape };
  });
}

/** A key naming a list of concrete shapes, for the cache of specialized kernels. */
export function shapeSignature(types: readonly ConcreteType[]): string {
  return types.map((t) => `${t.dtype}[${t.shape.join('x')}]`).join(';');
}
