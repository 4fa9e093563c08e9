/**
 * @file A model's inputs and outputs as its session sees them (names, declared types with their
 * symbolic dims, value ids), recorded in the compiled-model cache beside its entries as
 * `<kiln cache>/models/<model key>.io.json`. A session whose model the cache has met reads this
 * instead of parsing the model: a big model's weights are then read only from the entry of the
 * shapes it runs (../executor.ts `DeferredGraph`). The model key covers the model's bytes and
 * kiln's sources, so a record describes exactly what parsing those bytes would give.
 *
 * A record that is missing or malformed in any way is null (the session parses the model); one
 * is written atomically.
 */

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Value } from '../../graph/graph.js';
import type { Dim, TensorType } from '../../graph/types.js';
import { DTYPES } from '../../ir/dtype.js';
import type { DType } from '../../ir/dtype.js';
import { writeFileAtomic } from '../saved/files.js';

export interface ModelInterface {
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
}

const fileOf = (dir: string, key: string): string => join(dir, 'models', `${key}.io.json`);

const isDim = (d: unknown): d is Dim => typeof d === 'string' || (Number.isSafeInteger(d) && (d as number) >= 0);

function typeOf(t: unknown): TensorType | null | undefined {
  if (t === null) return null;
  if (typeof t !== 'object') return undefined;
  const { dtype, shape } = t as { dtype?: unknown; shape?: unknown };
  if (!DTYPES.includes(dtype as DType) || !Array.isArray(shape) || !shape.every(isDim)) return undefined;
  return { dtype: dtype as DType, shape };
}

function valueOf(v: unknown): Value | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { id, name, type } = v as { id?: unknown; name?: unknown; type?: unknown };
  const t = typeOf(type);
  return Number.isSafeInteger(id) && typeof name === 'string' && t !== undefined ? { id: id as number, name, type: t } : undefined;
}

function valuesOf(list: unknown): Value[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const values = list.map(valueOf);
  return values.every((v) => v !== undefined) ? values : undefined;
}

/** The inputs and outputs recorded under `key` in kiln's cache folder `dir`, or null. */
export async function loadInterface(dir: string, key: string): Promise<ModelInterface | null> {
  try {
    const r = JSON.parse(await readFile(fileOf(dir, key), 'utf8')) as { inputs?: unknown; outputs?: unknown };
    const inputs = valuesOf(r.inputs);
    const outputs = valuesOf(r.outputs);
    return inputs && outputs ? { inputs, outputs } : null;
  } catch {
    return null;
  }
}

/** Records `io` under `key`; a failure leaves no record (sessions then parse the model). */
export async function storeInterface(dir: string, key: string, io: ModelInterface): Promise<void> {
  const strip = (v: Value): Value => ({ id: v.id, name: v.name, type: v.type && { dtype: v.type.dtype, shape: v.type.shape } });
  const text = JSON.stringify({ inputs: io.inputs.map(strip), outputs: io.outputs.map(strip) });
  await mkdir(join(dir, 'models'), { recursive: true })
    .then(() => writeFileAtomic(fileOf(dir, key), new TextEncoder().encode(text)))
    .catch(() => undefined);
}
