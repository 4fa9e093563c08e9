/**
 * @file Where each stage's values live. Kernel arguments get one global Buffer each, shaped like
 * their tensor and indexed absolutely. Every other computed stage gets a Buffer of exactly its
 * inferred region, in the schedule's scope, indexed relative to the region's minimum, with the
 * padded strides its storageAlign requests. Inlined stages get nothing.
 */

import type { Buffer, Expr } from '../ir/expr.js';
import { buffer } from '../ir/expr.js';
import type { Schedule, Stage, StorageAlign } from '../schedule/index.js';
import type { Tensor } from '../te/tensor.js';
import type { StageBound } from './bounds.js';
import { LowerError } from './error.js';

export interface Storage {
  readonly buffer: Buffer;
  /** per dimension, what is subtracted from an index (the region min); null for kernel arguments */
  readonly origin: readonly Expr[] | null;
}

export interface StoragePlan {
  readonly params: readonly Buffer[];
  /** by tensor id */
  readonly storage: ReadonlyMap<number, Storage>;
}

export function planStorage(s: Schedule, args: readonly Tensor[], bounds: ReadonlyMap<Stage, StageBound>, fn: string): StoragePlan {
  const storage = new Map<number, Storage>();
  const params = args.map((t) => {
    const st = s.stages.find((x) => x.tensor === t);
    if (!st) throw new LowerError(`lower(${fn}): argument ${t.name} is not part of the schedule`);
    if (st.attach.kind === 'inline') throw new LowerError(`lower(${fn}): argument ${t.name} is inlined and has no storage`);
    if (storage.has(t.id)) throw new LowerError(`lower(${fn}): argument ${t.name} is given twice`);
    const b = buffer(t.name, t.dtype, t.shape, 'global');
    storage.set(t.id, { buffer: b, origin: null });
    return b;
  });
  for (const st of s.stages) {
    if (storage.has(st.tensor.id) || st.attach.kind === 'inline') continue;
    if (st.isPlaceholder) throw new LowerError(`lower(${fn}): input ${st.name} is not in the arguments`);
    if (st.isOutput) throw new LowerError(`lower(${fn}): output ${st.name} is not in the arguments`);
    const b = bounds.get(st)!;
    const shape = b.region.map((r) => r.extent);
    const scope = st.scope ?? 'global';
    storage.set(st.tensor.id, {
      buffer: buffer(st.name, st.tensor.dtype, shape, scope, alignedStrides(st, shape, st.storageAligns)),
      origin: b.region.map((r) => r.min),
    });
  }
  return { params, storage };
}

/** Row-major strides where each aligned dimension's stride is padded to stride % factor == offset. */
function alignedStrides(st: Stage, shape: readonly number[], aligns: readonly StorageAlign[]): number[] | null {
  if (aligns.length === 0) return null;
  const strides: number[] = new Array<number>(shape.length).fill(0);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const a = aligns.find((x) => x.axis === st.axis[d]);
    if (a) stride += (a.factor + a.offset - (stride % a.factor)) % a.factor;
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}
